import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from '@packyard/core';
import { downloadDistribution } from '@packyard/test-helpers';
import { defaultPackyardHome, toolCacheEnv, type Tools } from '@packyard/python-tools';
import yauzl from 'yauzl';

const MAKE_DIST = fileURLToPath(new URL('./fixtures/make_dist.py', import.meta.url));
const PYPI_SIMPLE = 'pypi-simple==1.8.0';
const READ_WITH_PYPI_SIMPLE = fileURLToPath(new URL('./fixtures/read_with_pypi_simple.py', import.meta.url));

/**
 * Reads an index with the pypi-simple library (pinned, through the provisioned uv) in `mode`, saving
 * the files it downloads under `downloadDir` (`-` for none); returns the script's JSON view.
 */
export async function readWithPypiSimple(
  tools: Tools,
  simpleUrl: string,
  mode: string,
  downloadDir: string,
): Promise<unknown> {
  const { stdout } = await runTool(
    tools.uv,
    [
      'run',
      '--no-project',
      '--python',
      await realPython(),
      '--with',
      PYPI_SIMPLE,
      'python',
      READ_WITH_PYPI_SIMPLE,
      simpleUrl,
      mode,
      downloadDir,
    ],
    { env: { ...toolCacheEnv(tools), UV_NO_CONFIG: '1' } },
  );
  return JSON.parse(stdout);
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `packyard-wheel-index-${prefix}-`));
}

export interface DistSpec {
  /** What METADATA / PKG-INFO says. */
  name: string;
  version: string;
  /** The file name; default the standard one for name and version. */
  filename?: string;
  module?: string;
  requiresPython?: string;
  /** Changes the bytes without changing the names. */
  extra?: string;
  distInfo?: string;
}

/** Builds a real, installable wheel with Python's zipfile (see fixtures/make_dist.py). */
export async function aWheel(dir: string, spec: DistSpec): Promise<string> {
  const filename = spec.filename ?? `${spec.name.replace(/[-.]+/g, '_')}-${spec.version}-py3-none-any.whl`;
  return makeDist(dir, 'wheel', filename, spec);
}

/** Builds an sdist (`<name>-<version>/PKG-INFO` inside a .tar.gz). */
export async function anSdist(dir: string, spec: DistSpec): Promise<string> {
  const filename = spec.filename ?? `${spec.name.replace(/[-.]+/g, '_')}-${spec.version}.tar.gz`;
  return makeDist(dir, 'sdist', filename, spec);
}

let python: Promise<string> | undefined;

/** The interpreter behind `python3` (a pyenv shim costs a fifth of a second on every start). */
export function realPython(): Promise<string> {
  python ??= runTool('python3', ['-c', 'import sys; print(sys.executable)']).then(({ stdout }) =>
    stdout.trim(),
  );
  return python;
}

async function makeDist(dir: string, kind: string, filename: string, spec: DistSpec): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, filename);
  await runTool(await realPython(), [
    MAKE_DIST,
    JSON.stringify({
      kind,
      out,
      name: spec.name,
      version: spec.version,
      module: spec.module ?? spec.name.toLowerCase().replace(/[-.]+/g, '_'),
      requires_python: spec.requiresPython ?? null,
      extra: spec.extra ?? '',
      dist_info: spec.distInfo ?? null,
    }),
  ]);
  return out;
}

/** sha256 of every file under `dir` (relative path → digest), the lock directory left out. */
export async function treeDigests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    for (const entry of (await readdir(current, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(current, entry.name);
      if (entry.name === '.packyard-index.lock') continue;
      if (entry.isDirectory()) await walk(path);
      else
        out[relative(dir, path)] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
    }
  };
  await walk(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return out;
}

/** One hash over a whole tree: equal before and after means nothing changed. */
export async function treeHash(dir: string): Promise<string> {
  return createHash('sha256')
    .update(JSON.stringify(await treeDigests(dir)))
    .digest('hex');
}

/** inode + mtime of a path, to tell whether it was rewritten (atomic writes make a new inode). */
export async function fileIdentity(path: string): Promise<string> {
  const info = await lstat(path);
  return `${info.ino}:${info.mtimeMs}`;
}

export interface StaticServer {
  url: string;
  requests: { path: string; accept: string }[];
  close(): Promise<void>;
}

/**
 * Serves `root` over HTTP on loopback, as a static host would. With `negotiate`, a directory URL
 * answers PEP 691 content negotiation (index.json for the JSON media type, index.html otherwise),
 * which is what `pkg-index serve` does; without it, a directory URL always answers index.html,
 * as GitHub Pages or `python -m http.server` do.
 */
export async function serveDirectory(root: string, options: { negotiate: boolean }): Promise<StaticServer> {
  const requests: { path: string; accept: string }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const accept = String(req.headers.accept ?? '');
    requests.push({ path: decodeURIComponent(url.pathname), accept });
    const path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (path !== root && !path.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    void (async () => {
      let file = path;
      let type = contentType(path);
      const info = await stat(path).catch(() => undefined);
      if (info?.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { location: `${url.pathname}/` }).end();
          return;
        }
        const json = options.negotiate && prefersJson(accept);
        file = join(path, json ? 'index.json' : 'index.html');
        type = json ? 'application/vnd.pypi.simple.v1+json' : 'text/html; charset=utf-8';
      }
      const fileInfo = await stat(file).catch(() => undefined);
      if (!fileInfo?.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': fileInfo.size });
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function contentType(path: string): string {
  if (path.endsWith('.html')) return 'text/html; charset=utf-8';
  if (path.endsWith('.json')) return 'application/vnd.pypi.simple.v1+json';
  return extname(path) === '.metadata' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

// The highest-q type wins; ties go to JSON, as PyPI does.
function prefersJson(accept: string): boolean {
  let json = -1;
  let html = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? '1',
    );
    const t = (type ?? '').trim().toLowerCase();
    if (t === 'application/vnd.pypi.simple.v1+json' || t === 'application/vnd.pypi.simple.latest+json')
      json = Math.max(json, q);
    if (t === 'application/vnd.pypi.simple.v1+html' || t === 'text/html' || t === '*/*')
      html = Math.max(html, q);
  }
  return json >= 0 && json >= html;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A real wheel from the index pip is configured with, pinned, downloaded once into packyard's home. */
export async function realDistribution(requirement: string): Promise<string> {
  return downloadDistribution(requirement, {
    python: await realPython(),
    cacheRoot: join(defaultPackyardHome(), 'test-downloads'),
  });
}

/** Where a zip member's compressed bytes start and how many there are (from its local header). */
export async function memberData(
  path: string,
  member: string,
): Promise<{ start: number; length: number; method: number }> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  try {
    const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === member ? resolve(e) : zip.readEntry()));
      zip.on('end', () => reject(new Error(`${path} has no member ${member}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
    const bytes = await readFile(path);
    const header = entry.relativeOffsetOfLocalHeader;
    const start = header + 30 + bytes.readUInt16LE(header + 26) + bytes.readUInt16LE(header + 28);
    return { start, length: entry.compressedSize, method: entry.compressionMethod };
  } finally {
    zip.close();
  }
}

/**
 * Copies a wheel to `out` with one member's compressed bytes damaged (16 bytes from its middle
 * inverted); the zip directory, every other member and the METADATA stay intact.
 */
export async function damageMember(wheel: string, member: string, out: string): Promise<string> {
  const { start, length } = await memberData(wheel, member);
  const bytes = await readFile(wheel);
  const middle = start + Math.floor(length / 2) - 8;
  for (let i = middle; i < middle + 16; i += 1) bytes[i] = (bytes[i] as number) ^ 0xff;
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bytes);
  return out;
}

/**
 * Rewrites a wheel with Python's zipfile: `edits` maps a member to new text (its CRC is then
 * right) or to null to store it uncompressed as it is. RECORD is left as it was.
 */
export async function rewriteWheel(
  wheel: string,
  out: string,
  edits: Record<string, string | null>,
): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  const script = `
import json, sys, zipfile
src, dst, edits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename in edits:
            if edits[info.filename] is None:
                info.compress_type = zipfile.ZIP_STORED
            else:
                data = edits[info.filename].encode()
        zout.writestr(info, data)
`;
  await runTool(await realPython(), ['-c', script, wheel, out, JSON.stringify(edits)]);
  return out;
}

/** Copies `file` to `dir/name` (a real file under another name). */
export async function copyAs(file: string, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, name);
  await copyFile(file, out);
  return out;
}

/** Every directory (with a trailing slash) and every file's sha256 under `dir`, lock left out. */
export async function treeSnapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(current, entry.name);
      if (entry.name === '.packyard-index.lock') continue;
      if (entry.isDirectory()) {
        out.push(`${relative(dir, path)}/`);
        await walk(path);
      } else {
        out.push(
          `${relative(dir, path)} ${createHash('sha256')
            .update(await readFile(path))
            .digest('hex')}`,
        );
      }
    }
  };
  await walk(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return out;
}
