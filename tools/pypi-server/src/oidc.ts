import { generateKeyPairSync, randomBytes, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PypiServer } from './server.js';

/** The issuer GitHub Actions puts in every OIDC token. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** A trusted publisher as PyPI stores it for a project: the GitHub workflow allowed to publish. */
export interface TrustedPublisher {
  /** `owner/name`. */
  repository: string;
  /** The workflow's file name under .github/workflows/, e.g. `release.yml`. */
  workflow: string;
  /** The GitHub environment the job must run in; undefined: any. */
  environment?: string;
}

/** The GitHub Actions job the emulator issues identity tokens for. */
export interface ActionsJob {
  /** `owner/name`. */
  repository: string;
  /** The workflow's file name, e.g. `release.yml`. */
  workflow: string;
  environment?: string;
  /** Default `refs/tags/v0.1.0`. */
  ref?: string;
  /** Default 40 zeros. */
  sha?: string;
}

/** Options for `startTrustedPublishing`. */
export interface TrustedPublishingOptions {
  /** The index the minted tokens are good for; every path but `/_/oidc/*` is passed through to it. */
  pypi: PypiServer;
  publisher: TrustedPublisher;
  /** The job identity tokens are issued for; default one matching `publisher`. */
  job?: ActionsJob;
  /** What `GET /_/oidc/audience` answers; default `pypi`, as on pypi.org. */
  audience?: string;
  /** Lifetime of a minted token in seconds; default 900, as on PyPI. */
  tokenLifetimeSeconds?: number;
}

/** A running emulator: the Actions token endpoint and PyPI's two OIDC endpoints, in front of pypiserver. */
export interface TrustedPublishing {
  /** Upload URL for twine: this front, which passes uploads through to pypiserver. */
  repositoryUrl: string;
  /** The PEP 503 index behind the front. */
  indexUrl: string;
  audience: string;
  /** The two variables a GitHub Actions job with `id-token: write` has. */
  actionsEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** Changes the job identity tokens are issued for (a wrong workflow, another environment). */
  setJob(job: ActionsJob): void;
  /** Every minted API token, in order (tests grep output for them). */
  mintedTokens: string[];
  /** Every `/_/oidc/mint-token` answer's HTTP status, in order. */
  mintStatuses: number[];
  stop(): Promise<void>;
}

/**
 * Starts a loopback emulator of trusted publishing (https://docs.pypi.org/trusted-publishers/):
 * - `GET /actions/idtoken?api-version=2.0&audience=A` with `Authorization: bearer <request token>` is
 *   GitHub's ACTIONS_ID_TOKEN_REQUEST_URL and answers `{"count": 1, "value": "<JWT>"}`, an RS256 JWT
 *   with GitHub's claim set (iss, aud, sub, repository, repository_owner, workflow, job_workflow_ref,
 *   environment, ref, sha, …);
 * - `GET /_/oidc/audience` answers `{"audience": "pypi"}`;
 * - `POST /_/oidc/mint-token` with `{"token": "<JWT>"}` checks the signature, issuer, audience, time
 *   window and the claims against the trusted publisher, then answers `{"success": true, "token": …,
 *   "expires": …}` and lets the token upload to pypiserver as user `__token__`; otherwise HTTP 422
 *   `{"message": "Token request failed", "errors": [{"code": …, "description": …}]}`, as PyPI does.
 * Everything else is passed through to pypiserver, so twine uploads to this front.
 */
export async function startTrustedPublishing(options: TrustedPublishingOptions): Promise<TrustedPublishing> {
  const audience = options.audience ?? 'pypi';
  const lifetime = options.tokenLifetimeSeconds ?? 900;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const requestToken = randomBytes(24).toString('hex');
  let job: ActionsJob = options.job ?? { ...options.publisher };
  const mintedTokens: string[] = [];
  const mintStatuses: number[] = [];
  const kid = randomBytes(8).toString('hex');

  const issue = (aud: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const [owner] = job.repository.split('/');
    const ref = job.ref ?? 'refs/tags/v0.1.0';
    const workflowPath = `${job.repository}/.github/workflows/${job.workflow}@${ref}`;
    const claims = {
      jti: randomUUID(),
      sub: job.environment
        ? `repo:${job.repository}:environment:${job.environment}`
        : `repo:${job.repository}:ref:${ref}`,
      aud,
      ref,
      sha: job.sha ?? '0'.repeat(40),
      repository: job.repository,
      repository_owner: owner,
      repository_owner_id: '1',
      repository_id: '1',
      repository_visibility: 'public',
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      actor: owner,
      actor_id: '1',
      workflow: job.workflow.replace(/\.ya?ml$/, ''),
      workflow_ref: workflowPath,
      job_workflow_ref: workflowPath,
      event_name: 'push',
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      runner_environment: 'github-hosted',
      ...(job.environment ? { environment: job.environment } : {}),
      iss: GITHUB_ACTIONS_ISSUER,
      nbf: now - 5,
      iat: now,
      exp: now + 300,
    };
    return signJwt({ alg: 'RS256', typ: 'JWT', kid }, claims, privateKey);
  };

  const mint = async (body: string): Promise<{ status: number; json: unknown }> => {
    const fail = (code: string, description: string) => ({
      status: 422,
      json: { message: 'Token request failed', errors: [{ code, description }] },
    });
    let token: unknown;
    try {
      token = (JSON.parse(body) as { token?: unknown }).token;
    } catch {
      return fail('invalid-payload', 'malformed JSON');
    }
    if (typeof token !== 'string') return fail('invalid-payload', 'missing or non-string "token"');
    const claims = verifyJwt(token, publicKey);
    if (claims === undefined) return fail('invalid-token', 'malformed or unsigned JWT');
    const now = Math.floor(Date.now() / 1000);
    if (claims['iss'] !== GITHUB_ACTIONS_ISSUER) return fail('invalid-token', 'unknown issuer');
    if (claims['aud'] !== audience) return fail('invalid-token', `audience is not ${audience}`);
    if (typeof claims['exp'] !== 'number' || claims['exp'] < now)
      return fail('invalid-token', 'token expired');
    if (typeof claims['nbf'] === 'number' && claims['nbf'] > now + 60)
      return fail('invalid-token', 'token not yet valid');
    const publisher = options.publisher;
    const workflowRef = String(claims['job_workflow_ref'] ?? '');
    const expectedPrefix = `${publisher.repository}/.github/workflows/${publisher.workflow}@`;
    const mismatch =
      claims['repository'] !== publisher.repository
        ? 'repository'
        : !workflowRef.startsWith(expectedPrefix)
          ? 'job_workflow_ref'
          : publisher.environment !== undefined && claims['environment'] !== publisher.environment
            ? 'environment'
            : undefined;
    if (mismatch !== undefined) {
      return fail(
        'invalid-publisher',
        `valid token, but no corresponding publisher (claim ${mismatch} does not match a trusted publisher)`,
      );
    }
    const apiToken = `pypi-${randomBytes(32).toString('base64url')}`;
    await options.pypi.addUser('__token__', apiToken);
    mintedTokens.push(apiToken);
    return { status: 200, json: { success: true, token: apiToken, expires: now + lifetime } };
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String((error as Error).message) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/actions/idtoken' && req.method === 'GET') {
      // GitHub answers a missing or wrong request token with 401 and no identity token.
      if ((req.headers.authorization ?? '').toLowerCase() !== `bearer ${requestToken}`) {
        send(res, 401, { message: 'Bad credentials' });
        return;
      }
      send(res, 200, { count: 1, value: issue(url.searchParams.get('audience') ?? GITHUB_ACTIONS_ISSUER) });
      return;
    }
    if (url.pathname === '/_/oidc/audience' && req.method === 'GET') {
      send(res, 200, { audience });
      return;
    }
    if (url.pathname === '/_/oidc/mint-token' && req.method === 'POST') {
      const answer = await mint(await readBody(req));
      mintStatuses.push(answer.status);
      send(res, answer.status, answer.json);
      return;
    }
    await passThrough(req, res, options.pypi.port);
  }

  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    repositoryUrl: `${base}/`,
    indexUrl: `${base}/simple/`,
    audience,
    actionsEnv: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/actions/idtoken?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    setJob: (next) => {
      job = next;
    },
    mintedTokens,
    mintStatuses,
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function passThrough(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
  return new Promise((resolveDone) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () => resolveDone());
      },
    );
    upstream.once('error', () => {
      // The index behind the front is down: the client sees the connection drop, as it would.
      res.destroy();
      resolveDone();
    });
    req.pipe(upstream);
  });
}

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function signJwt(header: object, claims: object, key: Parameters<typeof sign>[2]): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function verifyJwt(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    if (head.alg !== 'RS256') return undefined;
    if (!verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')))
      return undefined;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
