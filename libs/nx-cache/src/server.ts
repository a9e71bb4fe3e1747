import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isPackyardError, type RetryPolicy } from '@packyard/core';
import type { ObjectStore } from '@packyard/r2-store';
import { checkCacheEntryFile } from './entry-check.js';
import { spoolObject, SpoolError } from './spool.js';
import { accessFor, type CacheTokens } from './tokens.js';

/** What a cache server serves and how. */
export interface CacheHandlerOptions {
  /** Where entries live: S3/R2 or a local directory (`@packyard/r2-store`). */
  store: ObjectStore;
  /** Prepended to every hash to make the object key (`nx-cache/` → `nx-cache/<hash>`). */
  prefix?: string;
  tokens?: CacheTokens;
  /** The largest entry accepted, in bytes (default 4 GiB); larger uploads get 413 before their body is read. */
  maxEntryBytes?: number;
  /** Where an upload is spooled while it is checked (default the system's temporary directory). */
  tempDir?: string;
  /**
   * The one directory where downloads from a remote store are spooled before they are sent, emptied
   * when the first one starts (default `nx-cache-get-<random>` under `tempDir`, removed on close).
   */
  spoolDir?: string;
  /** How often a failed, short or corrupt read from the store is tried again (default core's policy). */
  readRetry?: RetryPolicy;
  /** Called once per request, after the response is sent: the access log. */
  onEvent?: (event: CacheEvent) => void;
}

/** How one request ended. */
export type CacheOutcome =
  'hit' | 'miss' | 'stored' | 'exists' | 'unauthorized' | 'forbidden' | 'refused' | 'error';

/** One line of the access log. Never holds a token. */
export interface CacheEvent {
  time: string;
  method: string;
  hash: string | undefined;
  status: number;
  outcome: CacheOutcome;
  /** Body bytes sent (GET) or received (PUT). */
  bytes: number;
  ms: number;
  /** Why a request was refused or failed. */
  reason?: string;
}

/** Counts of outcomes since the server started. */
export type CacheStats = Record<CacheOutcome, number>;

/** A request handler and its counters. */
export interface CacheHandler {
  handle(request: IncomingMessage, response: ServerResponse): void;
  stats(): CacheStats;
  /** Removes the default spool directory; call after the server closed. */
  close(): Promise<void>;
}

const HASH = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DEFAULT_MAX_ENTRY_BYTES = 4 * 1024 ** 3;

class Reply extends Error {
  constructor(
    readonly status: number,
    readonly outcome: CacheOutcome,
    readonly reason: string,
    /** Read the rest of the body before answering, so a client still sending sees the status. */
    readonly drain = false,
  ) {
    super(reason);
  }
}

/**
 * The request handler of Nx's self-hosted remote cache contract (`GET`/`PUT /v1/cache/{hash}`, bearer
 * tokens), over an object store. Writes are create-only (`If-None-Match: *` on the store), so of any
 * number of concurrent uploads of one hash exactly one is stored and the rest get 409; an upload is
 * spooled to disk, never held in memory, and its tar is read to the end and refused when a member
 * would land outside the directory the client unpacks into.
 */
export function createCacheHandler(options: CacheHandlerOptions): CacheHandler {
  const prefix = options.prefix ?? '';
  const tokens = options.tokens ?? {};
  const maxEntryBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const ownSpool = options.spoolDir === undefined;
  let spooling: Promise<string> | undefined;
  const spoolRoot = (): Promise<string> =>
    (spooling ??= (async () => {
      if (options.spoolDir === undefined) {
        return mkdtemp(join(options.tempDir ?? tmpdir(), 'nx-cache-get-'));
      }
      // Leftovers of an earlier run that stopped mid-download go first.
      await rm(options.spoolDir, { recursive: true, force: true });
      await mkdir(options.spoolDir, { recursive: true });
      return options.spoolDir;
    })());
  const counts: CacheStats = {
    hit: 0,
    miss: 0,
    stored: 0,
    exists: 0,
    unauthorized: 0,
    forbidden: 0,
    refused: 0,
    error: 0,
  };

  async function serveGet(hash: string, request: IncomingMessage, response: ServerResponse) {
    const key = prefix + hash;
    const info = await options.store.head(key);
    if (info === undefined) throw new Reply(404, 'miss', 'no entry under this hash');
    if (request.method === 'HEAD') {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
      response.end();
      return { outcome: 'hit' as const, bytes: 0 };
    }
    // A directory store sends its file as it is; a remote store's object is first copied whole to
    // a local file, so a read that breaks off is retried before the client sees a single header.
    if (options.store.kind === 'local') {
      const body = await options.store.getStream(key);
      if (body === undefined) throw new Reply(404, 'miss', 'no entry under this hash');
      return send(body, info.size, response);
    }
    const file = join(await spoolRoot(), randomUUID());
    const left = new AbortController();
    const leave = () => left.abort();
    response.once('close', leave);
    try {
      await spoolObject(options.store, info, file, {
        signal: left.signal,
        ...(options.readRetry === undefined ? {} : { retry: options.readRetry }),
      }).catch((error: unknown) => {
        if (error instanceof SpoolError && error.code === 'SPOOL_MISSING') {
          throw new Reply(404, 'miss', 'no entry under this hash');
        }
        throw error;
      });
      const { size } = await stat(file);
      return await send(createReadStream(file), size, response);
    } finally {
      response.off('close', leave);
      await rm(file, { force: true });
    }
  }

  async function send(body: Readable, size: number, response: ServerResponse) {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    let bytes = 0;
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    try {
      await pipeline(body, response);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Reply(200, 'error', `the download stopped after ${bytes} of ${size} bytes: ${why}`);
    }
    return { outcome: 'hit' as const, bytes };
  }

  async function servePut(hash: string, request: IncomingMessage, response: ServerResponse) {
    const declared = request.headers['content-length'];
    if (declared === undefined) throw new Reply(411, 'refused', 'Content-Length is required');
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new Reply(400, 'refused', `Content-Length ${JSON.stringify(declared)} is not a size`);
    }
    if (length > maxEntryBytes) {
      throw new Reply(413, 'refused', `the entry is ${length} bytes, over the limit of ${maxEntryBytes}`);
    }
    const key = prefix + hash;
    if ((await options.store.head(key)) !== undefined) {
      throw new Reply(409, 'exists', 'an entry is already stored under this hash', true);
    }
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'nx-cache-put-'));
    try {
      const file = join(dir, 'entry');
      const sha256 = createHash('sha256');
      let received = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          received += chunk.length;
          if (received > length) {
            done(new Reply(400, 'refused', `the body is longer than its Content-Length ${length}`));
            return;
          }
          sha256.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(request, count, createWriteStream(file));
      if (received !== length) {
        throw new Reply(400, 'refused', `the body ended after ${received} of ${length} bytes`);
      }
      const problem = await checkCacheEntryFile(file).catch((error: unknown) => {
        if (isPackyardError(error, 'ARCHIVE_INVALID')) throw new Reply(400, 'refused', error.message);
        throw error;
      });
      if (problem !== undefined) {
        throw new Reply(
          400,
          'refused',
          `member ${JSON.stringify(problem.member)} is refused: ${problem.reason}`,
        );
      }
      try {
        await options.store.put({
          key,
          body: { file },
          contentType: 'application/octet-stream',
          sha256: sha256.digest('hex'),
          condition: { ifNoneMatch: '*' },
        });
      } catch (error) {
        // Another upload of the same hash won the create-only write: its bytes stay.
        if (isPackyardError(error, 'STORE_CONFLICT')) {
          throw new Reply(409, 'exists', 'an entry is already stored under this hash');
        }
        throw error;
      }
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('stored\n');
      return { outcome: 'stored' as const, bytes: received };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function route(request: IncomingMessage, response: ServerResponse, event: CacheEvent) {
    const url = new URL(request.url ?? '/', 'http://cache');
    const match = /^\/v1\/cache\/([^/]+)$/.exec(url.pathname);
    if (match === null) throw new Reply(404, 'refused', 'not a cache path (/v1/cache/{hash})');
    const hash = decodeURIComponent(match[1] as string);
    if (!HASH.test(hash) || hash.includes('..')) throw new Reply(400, 'refused', 'not a task hash');
    event.hash = hash;
    const method = request.method ?? 'GET';
    const access = accessFor(request.headers.authorization, tokens);
    if (method === 'GET' || method === 'HEAD') {
      if (access === 'none') throw new Reply(401, 'unauthorized', 'a valid bearer token is required');
      return serveGet(hash, request, response);
    }
    if (method === 'PUT') {
      if (access === 'none') throw new Reply(401, 'unauthorized', 'a valid bearer token is required');
      if (access === 'read') throw new Reply(403, 'forbidden', 'this token may only read', true);
      return servePut(hash, request, response);
    }
    throw new Reply(405, 'refused', `method ${method} is not allowed`);
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const started = performance.now();
    const event: CacheEvent = {
      time: new Date().toISOString(),
      method: request.method ?? 'GET',
      hash: undefined,
      status: 0,
      outcome: 'error',
      bytes: 0,
      ms: 0,
    };
    const finish = () => {
      event.status = response.statusCode;
      event.ms = Math.round(performance.now() - started);
      counts[event.outcome] += 1;
      options.onEvent?.(event);
    };
    route(request, response, event)
      .then((result) => {
        event.outcome = result.outcome;
        event.bytes = result.bytes;
      })
      .catch((error: unknown) => {
        const reply =
          error instanceof Reply
            ? error
            : new Reply(500, 'error', error instanceof Error ? error.message : String(error));
        event.outcome = reply.outcome;
        event.reason = reply.reason;
        if (response.headersSent) {
          response.destroy();
          return;
        }
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        if (reply.status === 401) headers['www-authenticate'] = 'Bearer';
        const answer = () => {
          response.writeHead(reply.status, headers);
          response.end(`${reply.reason}\n`);
        };
        if (reply.drain && !request.readableEnded && !request.destroyed) {
          request.on('end', answer).on('error', () => response.destroy());
          request.resume();
        } else {
          // The rest of an unread body is not wanted: answer, then close the connection.
          if (!request.readableEnded) headers.connection = 'close';
          answer();
        }
      })
      .finally(() => {
        // A response the client closed early has already emitted 'close': log it now.
        if (response.writableFinished || response.closed) finish();
        else response.once('close', finish);
      });
  }

  const close = async () => {
    if (spooling === undefined || !ownSpool) return;
    const dir = await spooling.catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };

  return { handle, stats: () => ({ ...counts }), close };
}

/** A running cache server. */
export interface CacheServer {
  /** `http://host:port`, for NX_SELF_HOSTED_REMOTE_CACHE_SERVER. */
  url: string;
  stats(): CacheStats;
  close(): Promise<void>;
}

/** Options of `startCacheServer`: the handler's, and where to listen. */
export interface StartCacheServerOptions extends CacheHandlerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

/** Starts a cache server and resolves once it accepts connections. */
export async function startCacheServer(options: StartCacheServerOptions): Promise<CacheServer> {
  const handler = createCacheHandler(options);
  const server: Server = createServer((request, response) => handler.handle(request, response));
  // Large entries on slow runners: no whole-request deadline, only one for the headers.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    stats: handler.stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => handler.close()),
  };
}
