// Test support shared by every project's suite: the fixtures a project's cached `fixtures` Nx target
// builds once per run, read by its tests. Not part of any pipeline; exported as `@packyard/core/testing`.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAccessible, writeFileAtomically } from './fs.js';

/** The file a fixtures build writes last: fixture name → path relative to the project's fixtures dir. */
export const FIXTURES_MANIFEST = 'manifest.json';

/**
 * `<workspace>/dist/fixtures` (this file sits in libs/core/src or libs/core/dist), or
 * `$PACKYARD_FIXTURES_DIR` when set.
 */
export function fixturesRoot(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env['PACKYARD_FIXTURES_DIR'];
  if (fromEnv) return resolve(fromEnv);
  return fileURLToPath(new URL('../../../dist/fixtures', import.meta.url));
}

/** The directory a project's `fixtures` target fills: `<fixturesRoot>/<project>`. */
export function fixturesDir(project: string, root: string = fixturesRoot()): string {
  return join(root, project);
}

/** Thrown when a test asks for a fixture its project's `fixtures` target has not built. */
export class FixtureMissingError extends Error {
  constructor(
    readonly project: string,
    readonly fixture: string,
    readonly path: string,
  ) {
    super(
      `fixture "${fixture}" of ${project} is missing (${path}): run \`npx nx run ${project}:fixtures\`` +
        ` (the project's test target depends on it)`,
    );
    this.name = 'FixtureMissingError';
  }
}

/**
 * The absolute path of fixture `name` built by `nx run <project>:fixtures`; throws
 * FixtureMissingError naming that command when the manifest or the file is missing.
 */
export async function fixturePath(
  project: string,
  name: string,
  root: string = fixturesRoot(),
): Promise<string> {
  const dir = fixturesDir(project, root);
  const manifestPath = join(dir, FIXTURES_MANIFEST);
  let manifest: Record<string, string>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, string>;
  } catch {
    throw new FixtureMissingError(project, name, manifestPath);
  }
  const relative = manifest[name];
  if (relative === undefined) throw new FixtureMissingError(project, name, manifestPath);
  const path = join(dir, relative);
  if (!(await isAccessible(path))) throw new FixtureMissingError(project, name, path);
  return path;
}

/**
 * Builds a project's fixtures for its `fixtures` Nx target: `build` fills a fresh temporary
 * directory beside the final one and returns fixture name → path inside it; the manifest is written
 * last and the directory renamed into place, so a killed build never leaves a set that looks whole.
 */
export async function buildFixtures(
  project: string,
  build: (dir: string) => Promise<Record<string, string>>,
  root: string = fixturesRoot(),
): Promise<string> {
  const dir = fixturesDir(project, root);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const manifest = await build(tmp);
    for (const [name, relative] of Object.entries(manifest)) {
      if (isAbsolute(relative) || !(await isAccessible(join(tmp, relative)))) {
        throw new Error(
          `fixture "${name}" of ${project}: ${relative} is not a path the build wrote under ${tmp}`,
        );
      }
    }
    await writeFileAtomically(join(tmp, FIXTURES_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return dir;
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** A static file server on loopback (`serveDirectory`). */
export interface StaticServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request's path, in order (tests clear it with `requests.length = 0`). */
  requests: string[];
  close(): Promise<void>;
}

/** Options for `serveDirectory`. */
export interface ServeDirectoryOptions {
  /** Headers every 200 answer carries, e.g. `{ 'cache-control': 'max-age=600' }` as PyPI sends. */
  headers?: Record<string, string>;
}

/**
 * Serves `root` on 127.0.0.1 as a plain static host does (`python3 -m http.server`): a directory URL
 * answers its index.html, and every file carries `Last-Modified` from its mtime, which HTTP caches
 * use for heuristic freshness when there is no Cache-Control.
 */
export async function serveDirectory(
  root: string,
  options: ServeDirectoryOptions = {},
): Promise<StaticServer> {
  const base = resolve(root);
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    requests.push(pathname);
    const path = normalize(join(base, pathname));
    if (path !== base && !path.startsWith(base + sep)) {
      response.writeHead(403).end();
      return;
    }
    void (async () => {
      const info = await stat(path).catch(() => undefined);
      const file = info?.isDirectory() ? join(path, 'index.html') : path;
      const fileInfo = await stat(file).catch(() => undefined);
      if (!fileInfo?.isFile()) {
        response.writeHead(404).end('not found');
        return;
      }
      response.writeHead(200, {
        'content-type': file.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/octet-stream',
        'content-length': fileInfo.size,
        'last-modified': fileInfo.mtime.toUTCString(),
        ...options.headers,
      });
      createReadStream(file).pipe(response);
    })();
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the static server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
