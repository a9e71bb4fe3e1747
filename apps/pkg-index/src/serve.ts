import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toPackyardError } from '@packyard/core';
import { normalizeProjectName } from '@packyard/pypi-client';
import { BROWSE_DIR, explainIndexFilename } from '@packyard/wheel-index';
import busboy from 'busboy';
import { DEFAULT_MAX_UPLOAD_BYTES, verifyBasicAuth, type ServeConfig } from './config.js';
import { classifyRefusal, type AddFilesToIndex } from './index-files.js';
import { negotiateSimpleFormat } from './negotiate.js';

/** What the index server needs. */
export interface IndexServerOptions {
  indexDir: string;
  /** Who may upload; without it uploads are refused (the index is read-only over HTTP). */
  config?: ServeConfig | undefined;
  addFilesToIndex: AddFilesToIndex;
  /** Where uploads are staged before they are added; default the OS temp directory. */
  stagingDir?: string | undefined;
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
 * - `GET /files/<project>/<file>` and PEP 658 `<file>.metadata`, with single-range requests (206);
 * - `GET /` and `/project/<project>/`: the pages for people, when the index has them;
 * - `POST /` (and `/legacy/`): the legacy upload API twine speaks (multipart `:action=file_upload`,
 *   https://docs.pypi.org/api/upload/), with basic auth from the config. Identical bytes are accepted
 *   again; other bytes under an existing name get 409; anything refused leaves the index untouched.
 */
export function createIndexServer(options: IndexServerOptions): Server {
  const root = resolve(options.indexDir);
  const log = options.log ?? (() => {});
  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A client that hung up is not a server error: there is no one left to answer.
      if (isClientGone(req, res, error)) return void res.destroy();
      const failure = toPackyardError(error);
      log(`error: ${req.method} ${req.url}: ${failure.format()}`);
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
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
      return serveFile(req, res, join(root, 'files', project, file), contentTypeOf(file));
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
  ): Promise<void> {
    // decodeSegments already refused `..` and separators; this guards against anything it missed.
    if (!path.startsWith(root + sep)) return send(res, 404, 'not found');
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) return send(res, 404, 'not found', headers);
    const lastModified = info.mtime.toUTCString();
    // A weak validator from size and mtime, enough for If-Range (RFC 9110 §13.1.5).
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const common = {
      'Content-Type': contentType,
      'Last-Modified': lastModified,
      ETag: etag,
      'Accept-Ranges': 'bytes',
      ...headers,
    };
    const range = planRange(req.headers.range, headerText(req.headers['if-range']), info.size, {
      etag,
      lastModified,
    });
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${info.size}`, 'Content-Length': '0' });
      return void res.end();
    }
    if (range === undefined) {
      res.writeHead(200, { ...common, 'Content-Length': String(info.size) });
      if (req.method === 'HEAD') return void res.end();
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

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const users = options.config?.users;
    if (users === undefined || users.size === 0) {
      return refuse(req, res, 403, 'uploads are disabled: start serve with a --config that names users');
    }
    const auth = await verifyBasicAuth(req.headers.authorization, users);
    if (auth.kind === 'missing') {
      return refuse(req, res, 401, 'authentication required', {
        'WWW-Authenticate': 'Basic realm="pkg-index"',
      });
    }
    if (auth.kind === 'invalid') return refuse(req, res, 403, 'invalid credentials');
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      return refuse(req, res, 400, 'an upload is a multipart/form-data POST');
    }

    const staging = await mkdtemp(join(options.stagingDir ?? tmpdir(), 'pkg-index-upload-'));
    try {
      const form = await readUploadForm(
        req,
        staging,
        options.config?.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
      );
      const problem = checkUploadForm(form);
      if (problem !== undefined) return send(res, problem.status, problem.message);
      const { filename, path } = form.file!;
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
      if (error instanceof UploadError)
        return send(res, error.status, error.message, { Connection: 'close' });
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
}

/** Starts `createIndexServer` on `host:port` (port 0: any free port). */
export async function startIndexServer(
  options: IndexServerOptions & { host?: string; port?: number },
): Promise<RunningIndexServer> {
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

/** An upload form as read: its fields (first value of each) and the staged `content` file. */
export interface UploadForm {
  fields: Map<string, string>;
  file?: { filename: string; path: string; size: number; sha256: string; md5: string } | undefined;
  /** Why the form cannot be used even before its fields are checked. */
  problem?: { status: number; message: string } | undefined;
}

class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readUploadForm(req: IncomingMessage, staging: string, maxBytes: number): Promise<UploadForm> {
  const form: UploadForm = { fields: new Map() };
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Keep the name as sent, so a path in it is refused rather than silently cut to its last part.
      preservePath: true,
      limits: { files: 1, fileSize: maxBytes, fields: 256, fieldSize: 4 * 1024 * 1024, parts: 300 },
    });
  } catch (error) {
    req.resume();
    throw new UploadError(400, `bad multipart request: ${(error as Error).message}`);
  }
  const writes: Array<Promise<void>> = [];
  const setProblem = (status: number, message: string) => {
    form.problem ??= { status, message };
  };
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) setProblem(413, `field ${name} is too long`);
    if (!form.fields.has(name)) form.fields.set(name, value);
  });
  parser.on('file', (name, stream, info) => {
    if (name !== 'content' || form.file !== undefined) {
      setProblem(400, `unexpected file field ${quote(name)}`);
      stream.resume();
      return;
    }
    const filename = info.filename ?? '';
    // The index's own check, so the client hears the reason the index would give; nothing is
    // staged under a name the index could not hold.
    const explained = explainIndexFilename(filename);
    if (typeof explained === 'string') {
      setProblem(
        400,
        `${quote(filename.length > 300 ? `${filename.slice(0, 300)}…` : filename)} cannot be indexed: ${explained}`,
      );
      stream.resume();
      return;
    }
    const path = join(staging, filename);
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sha256.update(chunk);
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    stream.on('limit', () => setProblem(413, `the file is larger than ${maxBytes} bytes`));
    form.file = { filename, path, size: 0, sha256: '', md5: '' };
    writes.push(
      pipeline(stream, hashing, createWriteStream(path)).then(() => {
        form.file = { filename, path, size, sha256: sha256.digest('hex'), md5: md5.digest('base64url') };
      }),
    );
  });
  parser.on('filesLimit', () => setProblem(400, 'only one file per upload'));
  parser.on('fieldsLimit', () => setProblem(413, 'too many fields'));
  parser.on('partsLimit', () => setProblem(413, 'too many parts'));
  try {
    await pipeline(req, parser);
    await Promise.all(writes);
  } catch (error) {
    throw new UploadError(400, `bad multipart request: ${(error as Error).message}`);
  }
  return form;
}

/**
 * Checks a read upload form against the legacy upload API (https://docs.pypi.org/api/upload/):
 * `:action=file_upload`, protocol 1, a `content` file, a matching sha256 (hex) or md5 (urlsafe
 * base64 without padding; hex from old clients) digest, and a `name` that is the file's project. Pure.
 */
export function checkUploadForm(form: UploadForm): { status: number; message: string } | undefined {
  if (form.problem !== undefined) return form.problem;
  const action = form.fields.get(':action');
  if (action !== 'file_upload') return { status: 400, message: `unsupported :action ${quote(action ?? '')}` };
  const protocol = form.fields.get('protocol_version');
  if (protocol !== undefined && protocol !== '1')
    return { status: 400, message: `unsupported protocol_version ${quote(protocol)}` };
  const file = form.file;
  if (file === undefined) return { status: 400, message: 'no content file' };
  const sha256 = form.fields.get('sha256_digest')?.trim().toLowerCase();
  const md5 = form.fields.get('md5_digest')?.trim();
  if (!sha256 && !md5) return { status: 400, message: 'a sha256_digest or md5_digest is required' };
  if (sha256 && sha256 !== file.sha256)
    return { status: 400, message: 'sha256_digest does not match the content' };
  if (md5 && md5 !== file.md5 && md5.toLowerCase() !== Buffer.from(file.md5, 'base64url').toString('hex')) {
    return { status: 400, message: 'md5_digest does not match the content' };
  }
  const name = form.fields.get('name');
  const project = projectOfFilename(file.filename);
  if (
    name !== undefined &&
    project !== undefined &&
    normalizeProjectName(name) !== normalizeProjectName(project)
  ) {
    return { status: 400, message: `name ${quote(name)} is not the project of ${file.filename}` };
  }
  return undefined;
}

/** The project part of a wheel (`name-version-…whl`) or sdist (`name-version.tar.gz`) file name. Pure. */
export function projectOfFilename(filename: string): string | undefined {
  if (filename.endsWith('.whl')) return filename.split('-')[0];
  const stem = filename.replace(/\.(?:tar\.gz|zip)$/, '');
  const dash = stem.lastIndexOf('-');
  return dash > 0 ? stem.slice(0, dash) : undefined;
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

// Client-supplied text is echoed JSON-quoted with markup characters escaped, so no answer can carry
// live HTML whatever a client (or a browser sniffing the type) makes of it.
function quote(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&']/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
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

/** A single byte range to answer with, from a Range header (RFC 9110 §14); undefined: the whole file. Pure. */
export function planRange(
  header: string | undefined,
  ifRange: string | undefined,
  size: number,
  validators: { etag: string; lastModified: string },
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  // If-Range names the representation the client has part of; another one gets the whole file.
  if (ifRange !== undefined && ifRange !== validators.etag && ifRange !== validators.lastModified) {
    return undefined;
  }
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges (multipart/byteranges) or other units: the whole file is a valid answer.
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined;
  return { start, end };
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
