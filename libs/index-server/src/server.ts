import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PackyardError, toPackyardError, normalizeProjectName } from '@packyard/core';
import { BROWSE_DIR, classifyRefusal, pausePoint, type AddFilesToIndex } from '@packyard/wheel-index';

// The refusal classes and the injected writer's type are wheel-index's; re-exported for this API.
export { classifyRefusal, type AddFilesToIndex };
import { isNotModified, planRange, type Validators } from './http-cache.js';
import { checkInflateLimit } from './inflate-limit.js';
import { negotiateSimpleFormat } from './negotiate.js';
import { createPasswordPool, parseBasicAuth, type PasswordPool } from './passwords.js';
import { createRateLimiter } from './rate-limit.js';
import { recoverIndexDir } from './recovery.js';
import { STAGING_PREFIX, readListing, type ListedFile } from './tree.js';
import { UploadError, checkUploadForm, quote, readUploadForm } from './upload-form.js';

/** Password attempts allowed per client address and per user name. */
export interface LoginRate {
  /** Attempts at once (default 20). */
  burst: number;
  /** Attempts regained per minute (default 30). */
  perMinute: number;
}

/** The default upload limit: 1 GiB, well above PyPI's default 100 MB file limit. */
const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
// A form's fields and boundaries around the file: what a Content-Length may add to the limit.
const FORM_OVERHEAD_BYTES = 8 * 1024 * 1024;
const DEFAULT_LOGIN_RATE: LoginRate = { burst: 20, perMinute: 30 };
// Pages and metadata files up to this size are kept in memory, checked against stat on each read.
const CACHE_MAX_BYTES = 256 * 1024;
const CACHE_MAX_ENTRIES = 2048;

/** What the index server needs. */
export interface IndexServerOptions {
  indexDir: string;
  /** Who may upload (user → bcrypt hash) and how much; without users uploads are refused. */
  config?: { users: ReadonlyMap<string, string>; maxUploadBytes?: number; loginRate?: LoginRate } | undefined;
  addFilesToIndex: AddFilesToIndex;
  /** Where uploads are staged before they are added; default the OS temporary directory. */
  stagingDir?: string | undefined;
  /** Bcrypt checks run here (default: a pool of worker threads the server owns). */
  passwordPool?: PasswordPool;
  log?: (line: string) => void;
}

/** A listening index server. */
export interface RunningIndexServer {
  /** `http://host:port` without a trailing slash. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Creates (does not start) the HTTP server for an index directory:
 * - `GET /simple/` and `/simple/<project>/`: PEP 691 content negotiation between the JSON and HTML
 *   pages the index holds; a non-normalised project name redirects to its PEP 503 form;
 * - `GET /files/<project>/<file>` and PEP 658 `<file>.metadata`, only when the project's JSON page
 *   lists the file (a file is visible once its page is written), with a strong ETag (its sha256),
 *   304 on If-None-Match / If-Modified-Since, and single ranges (206) with a strong-only If-Range;
 * - `GET /` and `/project/<project>/`: the pages for people, when the index has them;
 * - `POST /` (and `/legacy/`): the legacy upload API twine speaks (multipart `:action=file_upload`,
 *   https://docs.pypi.org/api/upload/), with basic auth checked on worker threads and a bounded
 *   rate per client and user name (429). No upload, however it ends, takes the process down.
 */
export function createIndexServer(options: IndexServerOptions): Server {
  const root = resolve(options.indexDir);
  const log = options.log ?? (() => {});
  const stagingRoot = options.stagingDir ?? tmpdir();
  const maxUploadBytes = options.config?.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const rate = options.config?.loginRate ?? DEFAULT_LOGIN_RATE;
  const limiter = createRateLimiter(rate);
  let pool = options.passwordPool;
  const ownPool = pool === undefined;
  const listings = new Map<string, { key: string; files: Map<string, ListedFile> }>();
  const cache = new Map<string, { key: string; body: Buffer }>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A client that hung up is not a server error: there is no one left to answer.
      if (isClientGone(req, res, error)) return void res.destroy();
      const failure = toPackyardError(error);
      log(`error: ${req.method} ${req.url}: ${failure.format()}`);
      if (!res.headersSent) send(res, 500, 'internal error', { Connection: 'close' });
      else res.destroy();
    });
  });
  server.on('close', () => {
    if (ownPool) void pool?.close();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://index.invalid');
    const segments = decodeSegments(url.pathname);
    if (segments === undefined) return send(res, 400, 'bad path');
    if (req.method === 'POST') {
      if (segments.length === 0 || (segments.length === 1 && segments[0] === 'legacy'))
        return upload(req, res);
      return send(res, 405, 'uploads go to / or /legacy/', { Allow: 'GET, HEAD' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'method not allowed', { Allow: 'GET, HEAD, POST' });
    }
    const trailingSlash = url.pathname.endsWith('/');
    const [top, project, file, extra] = segments;
    if (top === undefined || (top === 'index.html' && project === undefined)) {
      const home = join(root, 'index.html');
      if (await isFile(home)) return serveFile(req, res, home, contentTypeOf(home));
      return redirect(res, '/simple/');
    }
    if (top === BROWSE_DIR && project !== undefined && extra === undefined) {
      const normalised = normalizeProjectName(project);
      if (file === undefined && (normalised !== project || !trailingSlash)) {
        return redirect(res, `/${BROWSE_DIR}/${encodeURIComponent(normalised)}/`);
      }
      if (file === undefined || file === 'index.html') {
        const page = join(root, BROWSE_DIR, project, 'index.html');
        return serveFile(req, res, page, contentTypeOf(page));
      }
    }
    if (top === 'simple') {
      if (project === undefined) {
        return trailingSlash ? servePage(req, res, join(root, 'simple'), url) : redirect(res, '/simple/');
      }
      // The pages as files, the way a static server (GitHub Pages) exposes them.
      if (file === undefined && isPageFile(project) && !trailingSlash) {
        return serveFile(req, res, join(root, 'simple', project), contentTypeOf(project));
      }
      if (file === undefined) {
        const normalised = normalizeProjectName(project);
        if (normalised !== project || !trailingSlash) {
          return redirect(res, `/simple/${encodeURIComponent(normalised)}/`);
        }
        return servePage(req, res, join(root, 'simple', project), url);
      }
      if (extra === undefined && isPageFile(file)) {
        return serveFile(req, res, join(root, 'simple', project, file), contentTypeOf(file));
      }
    }
    if (top === 'files' && project !== undefined && file !== undefined && extra === undefined) {
      // Only what the project's JSON page lists is served: a file becomes visible in the one step
      // that writes its page, never while it is being written or before it is listed.
      const listed = await listedFile(project, file);
      if (listed === undefined) return send(res, 404, 'not found');
      return serveFile(
        req,
        res,
        join(root, 'files', project, file),
        contentTypeOf(file),
        {},
        listed || undefined,
      );
    }
    return send(res, 404, 'not found');
  }

  async function servePage(req: IncomingMessage, res: ServerResponse, dir: string, url: URL): Promise<void> {
    // An unencoded `+` in `?format=application/vnd.pypi.simple.v1+json` reads as a space.
    const chosen = negotiateSimpleFormat(
      req.headers.accept,
      url.searchParams.get('format')?.replace(/ /g, '+'),
    );
    if (chosen === undefined) {
      return send(
        res,
        406,
        'acceptable: application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html, text/html',
        {
          Vary: 'Accept',
        },
      );
    }
    return serveFile(
      req,
      res,
      join(dir, chosen.format === 'json' ? 'index.json' : 'index.html'),
      chosen.contentType,
      {
        Vary: 'Accept',
      },
    );
  }

  async function serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    contentType: string,
    headers: Record<string, string> = {},
    sha256?: string,
  ): Promise<void> {
    // decodeSegments already refused `..` and separators; this guards against anything it missed.
    if (!path.startsWith(root + sep)) return send(res, 404, 'not found');
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) return send(res, 404, 'not found', headers);
    const validators: Validators = {
      // Files: strong, their listed sha256. Pages are rewritten in place: weak, from size and mtime.
      etag:
        sha256 !== undefined
          ? `"sha256-${sha256}"`
          : `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      lastModified: info.mtime.toUTCString(),
    };
    const common = {
      'Content-Type': contentType,
      'Last-Modified': validators.lastModified,
      ETag: validators.etag,
      'Accept-Ranges': 'bytes',
      ...headers,
    };
    if (
      isNotModified(
        headerText(req.headers['if-none-match']),
        headerText(req.headers['if-modified-since']),
        validators,
      )
    ) {
      res.writeHead(304, common);
      return void res.end();
    }
    const range = planRange(req.headers.range, headerText(req.headers['if-range']), info.size, validators);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${info.size}`, 'Content-Length': '0' });
      return void res.end();
    }
    if (range === undefined) {
      res.writeHead(200, { ...common, 'Content-Length': String(info.size) });
      if (req.method === 'HEAD') return void res.end();
      if (info.size <= CACHE_MAX_BYTES) return void res.end(await cachedBytes(path, info));
      return streamFile(res, path);
    }
    res.writeHead(206, {
      ...common,
      'Content-Range': `bytes ${range.start}-${range.end}/${info.size}`,
      'Content-Length': String(range.end - range.start + 1),
    });
    if (req.method === 'HEAD') return void res.end();
    return streamFile(res, path, range);
  }

  // Small files (pages, metadata) from memory while their inode, size and mtime are unchanged:
  // every writer replaces them by rename, so a new version is always a new key.
  async function cachedBytes(
    path: string,
    info: { ino: number; size: number; mtimeMs: number },
  ): Promise<Buffer> {
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    const hit = cache.get(path);
    if (hit?.key === key) return hit.body;
    const body = await readFile(path);
    cache.delete(path);
    if (body.length === info.size) {
      cache.set(path, { key, body });
      if (cache.size > CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    }
    return body;
  }

  // A file's listing: the sha256 its project's JSON page records (the metadata file's, for
  // `<file>.metadata`), or undefined when the page does not list it.
  async function listedFile(project: string, file: string): Promise<string | undefined> {
    const page = join(root, 'simple', project, 'index.json');
    const info = await stat(page).catch(() => undefined);
    if (info === undefined) return undefined;
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    let listing = listings.get(project);
    if (listing?.key !== key) {
      const files = await readListing(root, project).catch(() => undefined);
      listing = { key, files: new Map((files ?? []).map((entry) => [entry.filename, entry])) };
      listings.set(project, listing);
      if (listings.size > CACHE_MAX_ENTRIES) listings.delete(listings.keys().next().value!);
    }
    const metadataOf = file.endsWith('.metadata')
      ? listing.files.get(file.slice(0, -'.metadata'.length))
      : undefined;
    if (metadataOf !== undefined) {
      if (metadataOf.coreMetadata === undefined) return undefined;
      return typeof metadataOf.coreMetadata === 'object' ? (metadataOf.coreMetadata['sha256'] ?? '') : '';
    }
    return listing.files.get(file)?.hashes['sha256'] ?? (listing.files.has(file) ? '' : undefined);
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Refused from the headers alone, before a byte of the body is read (as nginx does).
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > maxUploadBytes + FORM_OVERHEAD_BYTES) {
      send(res, 413, `the upload is larger than ${maxUploadBytes} bytes`, { Connection: 'close' });
      return void req.destroy();
    }
    const users = options.config?.users;
    if (users === undefined || users.size === 0) {
      return refuse(req, res, 403, 'uploads are disabled: start serve with a --config that names users');
    }
    const credentials = parseBasicAuthUser(req.headers.authorization);
    if (credentials !== undefined) {
      const client = req.socket?.remoteAddress ?? 'unknown';
      const wait = limiter.take([`client ${client}`, `user ${credentials}`]);
      if (wait > 0) {
        log(`upload refused (429): too many attempts from ${client} or for ${quote(credentials)}`);
        return refuse(req, res, 429, 'too many login attempts: retry later', { 'Retry-After': String(wait) });
      }
    }
    pool ??= createPasswordPool();
    const auth = await pool.verify(req.headers.authorization, users);
    if (auth.kind === 'busy') {
      return refuse(req, res, 503, 'too many logins at once: retry later', { 'Retry-After': '1' });
    }
    if (auth.kind === 'missing') {
      return refuse(req, res, 401, 'authentication required', {
        'WWW-Authenticate': 'Basic realm="pkg-index"',
      });
    }
    if (auth.kind === 'invalid') return refuse(req, res, 403, 'invalid credentials');
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      return refuse(req, res, 400, 'an upload is a multipart/form-data POST');
    }

    // Named after this process, so a restart after kill -9 finds what a dead process left.
    await mkdir(stagingRoot, { recursive: true });
    const staging = await mkdtemp(join(stagingRoot, `${STAGING_PREFIX}${process.pid}-`));
    try {
      const form = await readUploadForm(req, staging, { maxBytes: maxUploadBytes });
      const problem = checkUploadForm(form);
      if (problem !== undefined) return send(res, problem.status, problem.message);
      const { filename, path } = form.file!;
      await pausePoint('upload-staged');
      const bomb = await checkInflateLimit(path, filename);
      if (bomb !== undefined) {
        log(`upload by ${auth.user}: ${filename}: refused (400): ${bomb}`);
        return send(res, 400, bomb);
      }
      try {
        const result = await options.addFilesToIndex(root, [path]);
        const outcome = result.unchanged.includes(filename) ? 'already present, identical' : 'added';
        log(`upload by ${auth.user}: ${filename}: ${outcome}`);
        return send(res, 200, 'OK');
      } catch (error) {
        const failure = toPackyardError(error);
        const kind = classifyRefusal(failure.code);
        const status = kind === 'STORE_CONFLICT' ? 409 : kind === 'ARCHIVE_INVALID' ? 400 : 500;
        log(`upload by ${auth.user}: ${filename}: refused (${status}): ${failure.format()}`);
        return send(res, status, status === 500 ? 'internal error' : failure.message.split('\n')[0]!);
      }
    } catch (error) {
      if (error instanceof UploadError) {
        if (error.status >= 500) log(`error: upload by ${auth.user}: ${error.message}`);
        if (res.headersSent || req.socket?.destroyed !== false) return void res.destroy();
        return send(res, error.status, error.message, { Connection: 'close' });
      }
      throw error;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  function refuse(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): Promise<void> {
    // The body is read (and dropped) before the answer: a client still sending would otherwise see
    // a reset connection instead of the status. A body over the upload limit is cut off.
    const limit = options.config?.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    return new Promise((resolvePromise) => {
      let seen = 0;
      const finish = () => {
        if (!res.headersSent) send(res, status, message, { Connection: 'close', ...headers });
        resolvePromise();
      };
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > limit) {
          finish();
          req.destroy();
        }
      });
      req.once('end', finish);
      req.once('error', finish);
    });
  }
  return server;
}

/**
 * Starts `createIndexServer` on `host:port` (port 0: any free port), after checking that the index
 * directory exists and recovering whatever a killed writer left in it (recoverIndexDir).
 */
export async function startIndexServer(
  options: IndexServerOptions & { host?: string; port?: number },
): Promise<RunningIndexServer> {
  const root = resolve(options.indexDir);
  const info = await stat(root).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new PackyardError('CONFIG_MISSING', `the index directory ${root} does not exist`, {
      file: root,
      field: '--index-dir',
      value: options.indexDir,
      hint: 'create it (an empty directory is an empty index), or name the right one',
    });
  }
  const log = options.log ?? (() => {});
  await recoverIndexDir(root, { stagingDir: options.stagingDir, log });
  const server = createIndexServer(options);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}

// The user name of basic credentials, for the rate limit (the password is checked later).
function parseBasicAuthUser(header: string | undefined): string | undefined {
  const credentials = parseBasicAuth(header);
  return typeof credentials === 'string' ? undefined : credentials.user;
}

function decodeSegments(pathname: string): string[] | undefined {
  const segments: string[] = [];
  for (const raw of pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}

function isPageFile(name: string): boolean {
  return name === 'index.html' || name === 'index.json';
}

function contentTypeOf(file: string): string {
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.json')) return 'application/vnd.pypi.simple.v1+json';
  if (file.endsWith('.metadata')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { Location: location, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`moved to ${location}\n`);
}

function send(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = `${status} ${message}\n`;
  // twine prints the reason phrase (as Warehouse sets it), so the phrase carries the message.
  const reason = message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  res.writeHead(status, reason, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

// Sends a file, or part of it. A client that goes away mid-way only ends the read: that is the
// client's choice, not a failure of the server. A read error is a real one and is rethrown.
async function streamFile(
  res: ServerResponse,
  path: string,
  range?: { start: number; end: number },
): Promise<void> {
  const source = createReadStream(path, range === undefined ? {} : range);
  try {
    await pipeline(source, res);
  } catch (error) {
    // The file could not be read: a real error.
    if (source.errored !== null) throw error;
    source.destroy();
    // Otherwise the response closed before the end: the client hung up.
    if (res.destroyed || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw error;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isClientGone(req: IncomingMessage, res: ServerResponse, error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    ((req.destroyed || res.destroyed) && code !== undefined && code.startsWith('ERR_STREAM'))
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}
