import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  handleApiRequest,
  matchParams,
  resolveRepositoryPath,
  UPLOAD_PATTERN,
  type ApiEnvironment,
} from './api.js';
import { renderEtag, matchesIfNoneMatch } from './etag.js';
import { GitHubApiError, renderErrorBody, validationFailed, DOCS } from './errors.js';
import { createArmedFault, takeFault, type ArmedFault, type EmulatorHost, type FaultSpec } from './faults.js';
import { EmulatorStore, type AssetRecord, type DispatchRecord } from './model.js';
import {
  ANONYMOUS_LIMIT,
  AUTHENTICATED_LIMIT,
  RateLimiter,
  renderRateLimitHeaders,
  type RateWindow,
} from './rate-limit.js';
import { EMULATOR_USER, renderAsset, type Origins } from './render.js';
import { handleWebRequest, type WebEnvironment } from './web.js';

/** Where the emulator listens. */
export interface EmulatorOptions {
  /** Port of the API origin; 0 (the default) picks free ports. Uploads and web use `port + 1` and `port + 2`. */
  port?: number;
  host?: '127.0.0.1';
}

/** One served request, in arrival order. `status` is 0 when a `reset` fault dropped the connection. */
export interface RequestLogEntry {
  method: string;
  host: EmulatorHost;
  path: string;
  status: number;
  write: boolean;
}

/** A running emulator of api.github.com, uploads.github.com and github.com on three loopback origins. */
export interface GitHubEmulator {
  /** Stands for https://api.github.com; pass it as octokit's `baseUrl`. */
  apiUrl: string;
  /** Stands for https://uploads.github.com; releases' `upload_url` points here. */
  uploadsUrl: string;
  /** Stands for https://github.com: `html_url`s and `{webUrl}/{owner}/{repo}/releases/download/{tag}/{name}`. */
  webUrl: string;
  /** Adds a repository; throws if it exists. Immutable releases and privacy are fixed here (or via the API). */
  createRepo(owner: string, repo: string, options?: { immutableReleases?: boolean; private?: boolean }): void;
  /** Accepts a token (as `token X` or `Bearer X`); it authenticates as one user with push access everywhere. */
  addToken(token: string): void;
  /** Queues a fault; faults match in insertion order and only the first match applies to a request. */
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Every request received, in arrival order, across the three origins. */
  requests(): RequestLogEntry[];
  /**
   * POST/PATCH/PUT/DELETE requests that reached an endpoint handler: writes answered by a `status` or
   * `reset` fault, or refused with 401, are not counted; writes the handler refused (422, 404) are, and so
   * are uploads cut by a `reset` with `afterBytes` or a 502 (they reach the handler to leave a starter).
   */
  writeCount(): number;
  /** Empties the request log and zeroes the write count. */
  resetLog(): void;
  /** Repository dispatch events received, oldest first (`client_payload` is `{}` when none was sent). */
  dispatches(owner: string, repo: string): Array<{ event_type: string; client_payload: unknown }>;
  /** Stops all three servers and drops open connections; rejects if the emulator itself failed meanwhile. */
  close(): Promise<void>;
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
// GitHub accepts request bodies up to 25 MB on the REST API.
const MAX_JSON_BODY = 25 * 1024 * 1024;
const EXPOSED_HEADERS =
  'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, ' +
  'X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, ' +
  'X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset';
const SECONDARY_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const PRIMARY_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-the-primary-rate-limit';

type Caller = { authenticated: true } | { authenticated: false; address: string };

/** What a request to api/uploads resolved to before a handler ran. */
interface Admission {
  caller: Caller;
  rateKey: string;
  rateLimit: number;
}

/** Starts the emulator on three loopback ports. */
export async function startGitHubEmulator(options: EmulatorOptions = {}): Promise<GitHubEmulator> {
  const bindAddress = options.host ?? '127.0.0.1';
  const basePort = options.port ?? 0;
  const store = new EmulatorStore(() => new Date());
  const tokens = new Set<string>();
  const faults: ArmedFault[] = [];
  const limiter = new RateLimiter();
  const signingKey = randomBytes(32);
  const instance = randomBytes(2).toString('hex').toUpperCase();
  const timers = new Set<NodeJS.Timeout>();
  // Bugs in the emulator are answered with a 500 but also surface from close(), so they cannot pass for
  // GitHub outages that a client under test retries through.
  const internalErrors: unknown[] = [];
  let log: RequestLogEntry[] = [];
  let writes = 0;
  let sequence = 0;

  const nowSeconds = (): number => Math.floor(Date.now() / 1000);
  const nextRequestId = (): string => {
    sequence += 1;
    const hex = (value: number, width: number): string =>
      value.toString(16).toUpperCase().padStart(width, '0');
    return `${instance}:${hex(sequence, 5)}:${hex(sequence * 7919, 7)}:${hex(sequence * 104_729, 7)}:${hex(nowSeconds(), 8)}`;
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const sign = (assetId: number): string =>
    createHmac('sha256', signingKey).update(String(assetId)).digest('hex').slice(0, 32);

  const servers: Record<EmulatorHost, Server> = {
    api: createServer((req, res) => void serve('api', req, res)),
    uploads: createServer((req, res) => void serve('uploads', req, res)),
    web: createServer((req, res) => void serve('web', req, res)),
  };
  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bindAddress, () => resolve((server.address() as AddressInfo).port));
    });
  const apiPort = await listen(servers.api, basePort);
  const uploadsPort = await listen(servers.uploads, basePort === 0 ? 0 : basePort + 1);
  const webPort = await listen(servers.web, basePort === 0 ? 0 : basePort + 2);
  const origins: Origins = {
    apiUrl: `http://${bindAddress}:${apiPort}`,
    uploadsUrl: `http://${bindAddress}:${uploadsPort}`,
    webUrl: `http://${bindAddress}:${webPort}`,
  };

  const objectUrl = (asset: AssetRecord): string =>
    `${origins.webUrl}/_objects/${asset.id}/${encodeURIComponent(asset.name)}?sig=${sign(asset.id)}`;
  const apiEnv: ApiEnvironment = { store, origins, objectUrl };
  const webEnv: WebEnvironment = {
    store,
    webUrl: origins.webUrl,
    objectUrl,
    verifyObjectSignature: (assetId, signature) => {
      const expected = Buffer.from(sign(assetId));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };

  async function serve(host: EmulatorHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const entry: RequestLogEntry = {
      method,
      host,
      path: `${url.pathname}${url.search}`,
      status: 0,
      write: WRITE_METHODS.has(method),
    };
    log.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const requestId = nextRequestId();
    try {
      const fault = takeFault(faults, method, host, entry.path);
      if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 0);
      const isUpload = host === 'uploads' && method === 'POST' && UPLOAD_PATTERN.test(url.pathname);
      if (host === 'web') {
        if (fault !== undefined && fault.kind !== 'delay') {
          await applyFault(fault, host, req, res, requestId);
          return;
        }
        const reply = handleWebRequest(webEnv, method, url.pathname, url.searchParams);
        res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
        res.end(reply.body);
        return;
      }
      // An upload keeps a `reset` with afterBytes or a 502 for itself: both leave a `starter` asset behind.
      const uploadFault =
        isUpload &&
        fault !== undefined &&
        ((fault.kind === 'reset' && fault.afterBytes !== undefined) ||
          (fault.kind === 'status' && fault.status === 502))
          ? fault
          : undefined;
      if (fault !== undefined && fault.kind !== 'delay' && uploadFault === undefined) {
        await applyFault(fault, host, req, res, requestId);
        return;
      }

      const admission = admit(req);
      if (admission instanceof GitHubApiError) {
        await drain(req);
        const window = limiter.consume(
          `anonymous:${req.socket.remoteAddress ?? ''}`,
          ANONYMOUS_LIMIT,
          nowSeconds(),
        );
        return sendError(res, host, admission, requestId, window);
      }
      if (host === 'api' && method === 'GET' && url.pathname === '/rate_limit') {
        return sendRateLimit(res, admission, requestId);
      }
      const window = limiter.peek(admission.rateKey, admission.rateLimit, nowSeconds());
      if (window.used >= window.limit) {
        await drain(req);
        return sendError(res, host, primaryRateLimitError(admission.caller, requestId), requestId, window);
      }
      if (entry.write && !admission.caller.authenticated) {
        await drain(req);
        const consumed = limiter.consume(admission.rateKey, admission.rateLimit, nowSeconds());
        return sendError(res, host, new GitHubApiError(401, 'Requires authentication'), requestId, consumed);
      }
      if (entry.write) writes += 1;

      if (host === 'uploads') {
        const consumed = limiter.consume(admission.rateKey, admission.rateLimit, nowSeconds());
        if (!isUpload) {
          await drain(req);
          return sendError(res, host, new GitHubApiError(404, 'Not Found'), requestId, consumed);
        }
        return await serveUpload(req, res, url, admission, requestId, consumed, uploadFault);
      }
      await serveApi(req, res, method, url, admission, requestId);
    } catch (error) {
      // A client that hangs up mid-request is not the emulator's failure.
      if (!(error instanceof GitHubApiError) && !req.destroyed) internalErrors.push(error);
      if (res.headersSent || res.destroyed) return;
      const apiError =
        error instanceof GitHubApiError ? error : new GitHubApiError(500, 'Server Error', DOCS);
      const window = limiter.peek(
        `anonymous:${req.socket.remoteAddress ?? ''}`,
        ANONYMOUS_LIMIT,
        nowSeconds(),
      );
      sendError(res, host === 'web' ? 'api' : host, apiError, requestId, window);
    }
  }

  function admit(req: IncomingMessage): Admission | GitHubApiError {
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      const address = req.socket.remoteAddress ?? '';
      return {
        caller: { authenticated: false, address },
        rateKey: `anonymous:${address}`,
        rateLimit: ANONYMOUS_LIMIT,
      };
    }
    // octokit sends `token <t>`; GitHub also accepts `Bearer <t>`.
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
    if (match === null || !tokens.has(match[1]!)) return new GitHubApiError(401, 'Bad credentials');
    return {
      caller: { authenticated: true },
      rateKey: `user:${EMULATOR_USER.id}`,
      rateLimit: AUTHENTICATED_LIMIT,
    };
  }

  async function serveApi(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: URL,
    admission: Admission,
    requestId: string,
  ): Promise<void> {
    const routedMethod = method === 'HEAD' ? 'GET' : method;
    let reply;
    try {
      const raw = await readBody(req, MAX_JSON_BODY);
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new GitHubApiError(400, 'Problems parsing JSON');
        }
      }
      reply = handleApiRequest(apiEnv, {
        method: routedMethod,
        pathname: resolveRepositoryPath(store, url.pathname),
        query: url.searchParams,
        headers: req.headers,
        body,
        authenticated: admission.caller.authenticated,
      });
    } catch (error) {
      if (!(error instanceof GitHubApiError)) throw error;
      const window = limiter.consume(admission.rateKey, admission.rateLimit, nowSeconds());
      return sendError(res, 'api', error, requestId, window);
    }
    const payload = reply.json === undefined ? undefined : Buffer.from(JSON.stringify(reply.json));
    const etag = payload !== undefined && reply.status < 300 ? renderEtag(payload) : undefined;
    if (
      routedMethod === 'GET' &&
      etag !== undefined &&
      matchesIfNoneMatch(req.headers['if-none-match'], etag)
    ) {
      // "Making a conditional request does not count against your primary rate limit if a 304 response is
      // returned" (GitHub REST best practices), so the window is only peeked.
      const window = limiter.peek(admission.rateKey, admission.rateLimit, nowSeconds());
      res.writeHead(304, { ...commonHeaders(requestId, window, routedMethod), etag });
      res.end();
      return;
    }
    const window = limiter.consume(admission.rateKey, admission.rateLimit, nowSeconds());
    const headers: Record<string, string> = {
      ...commonHeaders(requestId, window, routedMethod),
      ...reply.headers,
    };
    if (payload === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(payload.length),
      ...(etag === undefined ? {} : { etag }),
    });
    res.end(payload);
  }

  async function serveUpload(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    admission: Admission,
    requestId: string,
    window: RateWindow,
    fault: FaultSpec | undefined,
  ): Promise<void> {
    const fail = async (error: GitHubApiError): Promise<void> => {
      await drain(req);
      sendError(res, 'uploads', error, requestId, window);
    };
    const badGateway = (): GitHubApiError => new GitHubApiError(502, 'Server Error');
    const params = matchParams(UPLOAD_PATTERN, url.pathname);
    const repo = params === undefined ? undefined : store.findRepo(params.owner!, params.repo!);
    const release = repo?.releases.get(Number(params?.release_id));
    if (repo === undefined || release === undefined || (repo.private && !admission.caller.authenticated)) {
      return fail(fault?.kind === 'status' ? badGateway() : new GitHubApiError(404, 'Not Found'));
    }
    const name = url.searchParams.get('name') ?? '';
    if (name === '') {
      return fail(validationFailed({ resource: 'ReleaseAsset', code: 'missing_field', field: 'name' }, DOCS));
    }
    const declared = req.headers['content-length'];
    if (declared === undefined) {
      // GitHub needs the size up front; chunked uploads get `400 Bad Content-Length: `.
      return fail(new GitHubApiError(400, 'Bad Content-Length: '));
    }
    let asset: AssetRecord;
    try {
      asset = store.beginUpload(
        release,
        name,
        url.searchParams.get('label') ?? '',
        req.headers['content-type'] ?? 'application/octet-stream',
      );
    } catch (error) {
      if (error instanceof GitHubApiError) return fail(fault?.kind === 'status' ? badGateway() : error);
      throw error;
    }
    const resetAfter = fault?.kind === 'reset' ? (fault.afterBytes ?? 0) : undefined;
    if (resetAfter !== undefined && resetAfter <= 0) {
      req.socket.destroy();
      return;
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let received = 0;
    const complete = await new Promise<boolean>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
        chunks.push(chunk);
        if (resetAfter !== undefined && received >= resetAfter) req.socket.destroy();
      });
      req.on('end', () => resolve(true));
      req.on('close', () => resolve(req.complete && !req.socket.destroyed));
      req.on('error', () => resolve(false));
    });
    // A connection that died mid-body leaves the asset in `starter`, exactly as GitHub does.
    if (!complete) return;
    if (resetAfter !== undefined) {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') return sendError(res, 'uploads', badGateway(), requestId, window);
    store.completeUpload(asset, Buffer.concat(chunks, received), hash.digest('hex'));
    const payload = Buffer.from(JSON.stringify(renderAsset(origins, asset)));
    res.writeHead(201, {
      ...commonHeaders(requestId, window, 'POST'),
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(payload.length),
      etag: renderEtag(payload),
    });
    res.end(payload);
  }

  function sendRateLimit(res: ServerResponse, admission: Admission, requestId: string): void {
    // GET /rate_limit "does not count against your REST API rate limit".
    const window = limiter.peek(admission.rateKey, admission.rateLimit, nowSeconds());
    const core = {
      limit: window.limit,
      used: window.used,
      remaining: window.limit - window.used,
      reset: window.reset,
      resource: 'core',
    };
    const idle = (resource: string, limit: number): object => ({
      limit,
      used: 0,
      remaining: limit,
      reset: window.reset,
      resource,
    });
    const payload = Buffer.from(
      JSON.stringify({
        resources: {
          core,
          search: idle('search', 30),
          graphql: idle('graphql', admission.rateLimit),
          integration_manifest: idle('integration_manifest', 5000),
          code_search: idle('code_search', 10),
        },
        rate: core,
      }),
    );
    res.writeHead(200, {
      ...commonHeaders(requestId, window, 'GET'),
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(payload.length),
      etag: renderEtag(payload),
    });
    res.end(payload);
  }

  function commonHeaders(requestId: string, window: RateWindow, method: string): Record<string, string> {
    return {
      ...renderRateLimitHeaders(window),
      'x-github-request-id': requestId,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
      'cache-control': method === 'GET' ? 'private, max-age=60, s-maxage=60' : 'no-cache',
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    };
  }

  function sendError(
    res: ServerResponse,
    host: 'api' | 'uploads',
    error: GitHubApiError,
    requestId: string,
    window: RateWindow,
  ): void {
    if (res.headersSent || res.destroyed) return;
    const payload = Buffer.from(JSON.stringify(renderErrorBody(error, host, requestId)));
    res.writeHead(error.status, {
      ...commonHeaders(requestId, window, 'POST'),
      ...error.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(payload.length),
    });
    res.end(payload);
  }

  function primaryRateLimitError(caller: Caller, requestId: string): GitHubApiError {
    const who = caller.authenticated ? `user ID ${EMULATOR_USER.id}` : caller.address;
    return new GitHubApiError(
      403,
      `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
      PRIMARY_DOCS,
    );
  }

  async function applyFault(
    fault: FaultSpec,
    host: EmulatorHost,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    await drain(req);
    const status = fault.status ?? 503;
    const retryAfter: Record<string, string> =
      fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
    if (host === 'web') {
      const body = Buffer.from(STATUS_CODES[status] ?? 'Error');
      res.writeHead(status, {
        ...retryAfter,
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(body.length),
      });
      res.end(body);
      return;
    }
    const admission = admit(req);
    const rateKey =
      admission instanceof GitHubApiError ? `anonymous:${req.socket.remoteAddress ?? ''}` : admission.rateKey;
    const rateLimit = admission instanceof GitHubApiError ? ANONYMOUS_LIMIT : admission.rateLimit;
    let window = limiter.peek(rateKey, rateLimit, nowSeconds());
    let error: GitHubApiError;
    if (status === 403 || status === 429) {
      if (fault.secondaryRateLimit ?? status === 429) {
        // The wording octokit's throttling plugin keys on (/\bsecondary rate\b/i).
        error = new GitHubApiError(
          status,
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          SECONDARY_DOCS,
          undefined,
          retryAfter,
        );
      } else {
        const caller: Caller =
          admission instanceof GitHubApiError ? { authenticated: false, address: '' } : admission.caller;
        const base = primaryRateLimitError(caller, requestId);
        window = {
          limit: window.limit,
          used: window.limit,
          reset: nowSeconds() + (fault.retryAfterSeconds ?? 60),
        };
        error = new GitHubApiError(status, base.message, base.documentationUrl, undefined, retryAfter);
      }
    } else {
      // GitHub's 5xx bodies say "Server Error" rather than the reason phrase of 500.
      const message = status === 500 || status === 502 ? 'Server Error' : (STATUS_CODES[status] ?? 'Error');
      error = new GitHubApiError(status, message, DOCS, undefined, retryAfter);
    }
    sendError(res, host, error, requestId, window);
  }

  return {
    ...origins,
    createRepo(owner, repo, repoOptions = {}) {
      store.createRepo(owner, repo, repoOptions);
    },
    addToken(token) {
      tokens.add(token);
    },
    injectFault(fault) {
      faults.push(createArmedFault(fault));
    },
    clearFaults() {
      faults.length = 0;
    },
    requests() {
      return log.map((entry) => ({ ...entry }));
    },
    writeCount() {
      return writes;
    },
    resetLog() {
      log = [];
      writes = 0;
    },
    dispatches(owner, repo) {
      const record = store.findRepo(owner, repo);
      if (record === undefined) throw new Error(`github-emulator: no repository ${owner}/${repo}`);
      return record.dispatches.map((dispatch: DispatchRecord) => structuredClone(dispatch));
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(
        Object.values(servers).map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      if (internalErrors.length > 0) {
        throw new AggregateError(internalErrors, 'github-emulator: internal errors while serving requests');
      }
    },
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new GitHubApiError(413, 'Payload Too Large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads and discards the rest of a request body so the answer reaches a client still sending. */
function drain(req: IncomingMessage): Promise<void> {
  if (req.complete || req.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    req.on('end', resolve);
    req.on('close', resolve);
    req.on('error', resolve);
    req.resume();
  });
}
