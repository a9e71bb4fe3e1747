import { readFile } from 'node:fs/promises';
import {
  PackyardError,
  RetryableError,
  isRetryableStatus,
  parseRetryAfter,
  registerSecret,
  withRetry,
  type RetryPolicy,
} from '@packyard/core';
import { checkGitRef, checkOwner, checkRepo, parseRepository } from './names.js';

/** The `repository_dispatch` event type the index workflow listens to (the seed's). */
export const DISPATCH_EVENT_TYPE = 'update_package_index';

/** The seed's client payload: which repository to build, and at which ref. */
export type UpdateDispatchPayload = {
  source_repo: string;
  source_org: string;
  dependency_ref: string;
};

/** The event a dispatch sends, checked. Pure. */
export function planDispatch(input: { owner: string; repo: string; ref: string; indexRepo: string }): {
  owner: string;
  repo: string;
  event_type: string;
  client_payload: UpdateDispatchPayload;
} {
  const target = parseRepository(input.indexRepo);
  return {
    owner: target.owner,
    repo: target.repo,
    event_type: DISPATCH_EVENT_TYPE,
    client_payload: {
      source_repo: checkRepo(input.repo),
      source_org: checkOwner(input.owner),
      dependency_ref: checkGitRef(input.ref),
    },
  };
}

/** The environment variables a token is read from, in order. */
export const TOKEN_ENV_VARS = ['PKG_UPDATE_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN'] as const;

/**
 * The dispatch token: the file named by `--token-file` (first line), else PKG_UPDATE_TOKEN (the
 * secret's name in the seed's workflows), GITHUB_TOKEN or GH_TOKEN. The token is registered as a
 * secret, so no message can print it. Throws AUTH_MISSING.
 */
export async function readDispatchToken(
  env: Record<string, string | undefined>,
  tokenFile: string | undefined,
): Promise<string> {
  let token: string | undefined;
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(tokenFile, 'utf8');
    } catch (error) {
      throw new PackyardError('AUTH_MISSING', `cannot read the token file: ${(error as Error).message}`, {
        file: tokenFile,
        field: '--token-file',
        cause: error,
      });
    }
    token = text.split(/\r?\n/)[0]?.trim();
    if (!token)
      throw new PackyardError('AUTH_MISSING', 'the token file is empty', {
        file: tokenFile,
        field: '--token-file',
      });
  } else {
    token = TOKEN_ENV_VARS.map((name) => env[name]?.trim()).find(
      (value) => value !== undefined && value !== '',
    );
  }
  if (!token) {
    throw new PackyardError('AUTH_MISSING', 'no GitHub token: nothing was sent', {
      field: TOKEN_ENV_VARS.join(' / '),
      hint:
        'set PKG_UPDATE_TOKEN (or GITHUB_TOKEN, GH_TOKEN) or give --token-file; a fine-grained token needs ' +
        '"Contents" (write) on the index repository',
    });
  }
  registerSecret(token);
  return token;
}

/** Options for `sendDispatch`. */
export interface SendDispatchOptions {
  token: string;
  /** GitHub REST API base; default https://api.github.com. */
  apiUrl?: string | undefined;
  fetch?: typeof globalThis.fetch;
  retry?: RetryPolicy;
}

/**
 * Sends the `repository_dispatch` event through Octokit (POST /repos/{owner}/{repo}/dispatches,
 * https://docs.github.com/en/rest/repos/repos#create-a-repository-dispatch-event). Throttling and
 * server errors are retried; anything else throws DISPATCH_FAILED naming the status and GitHub's message.
 */
export async function sendDispatch(
  event: ReturnType<typeof planDispatch>,
  options: SendDispatchOptions,
): Promise<void> {
  // Loaded here, so the other commands of an app built on this library do not pay for Octokit.
  const { Octokit } = await import('@octokit/rest');
  const octokit = new Octokit({
    auth: options.token,
    ...(options.apiUrl ? { baseUrl: options.apiUrl.replace(/\/+$/, '') } : {}),
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
    userAgent: 'packyard-pkg-index',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const target = `${event.owner}/${event.repo}`;
  try {
    await withRetry(async () => {
      try {
        await octokit.rest.repos.createDispatchEvent(event);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (typeof status === 'number' && isRetryableStatus(status)) {
          const headers = (error as { response?: { headers?: Record<string, string> } }).response?.headers;
          throw new RetryableError(`GitHub answered ${status}`, parseRetryAfter(headers?.['retry-after']), {
            cause: error,
          });
        }
        throw error;
      }
    }, options.retry);
  } catch (error) {
    const cause = error instanceof RetryableError && error.cause !== undefined ? error.cause : error;
    const status = (cause as { status?: number }).status;
    const message = (cause as Error).message ?? String(cause);
    throw new PackyardError(
      'DISPATCH_FAILED',
      `dispatching ${DISPATCH_EVENT_TYPE} to ${target} failed${status ? ` (HTTP ${status})` : ''}: ${message}`,
      {
        value: target,
        hint:
          status === 401
            ? 'the token is not valid'
            : status === 403 || status === 404
              ? `the token cannot write to ${target} ("Contents" write permission), or the repository does not exist`
              : status === 422
                ? 'GitHub refused the payload'
                : undefined,
        cause,
      },
    );
  }
}
