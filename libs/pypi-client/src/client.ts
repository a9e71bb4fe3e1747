import {
  DEFAULT_RETRY_POLICY,
  PackyardError,
  RetryableError,
  isPackyardError,
  isRetryableStatus,
  parseRetryAfter,
  withRetry,
  type RetryPolicy,
  normalizeProjectName,
} from '@packyard/core';
import { PYPI_SIMPLE_URL, redactIndexUrl } from './index-url.js';
import { badPage, parseSimpleHtml, parseSimpleJson, stripTrailingSlash } from './parse.js';
import type { ListVersionsOptions, ProjectVersions } from './types.js';

/** Lists a project's versions from one package index. */
export interface PypiClient {
  indexUrl: string;
  listVersions(project: string, options?: ListVersionsOptions): Promise<ProjectVersions>;
}

/** Options of createPypiClient; every I/O dependency can be replaced. */
export interface CreatePypiClientOptions {
  /** Index base, e.g. https://pypi.org/simple (credentials in it are sent as Basic auth). */
  indexUrl?: string;
  fetch?: typeof fetch;
  /** Per attempt, covering headers and body; default 30 s. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  userAgent?: string;
}

// PEP 691 content negotiation: prefer JSON, accept either HTML flavour.
const ACCEPT =
  'application/vnd.pypi.simple.v1+json;q=1.0, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_USER_AGENT = 'packyard-pypi-client/0.1.0';

/** Creates a client for a PEP 503/691 "simple" index (PyPI unless `indexUrl` says otherwise). */
export function createPypiClient(options: CreatePypiClientOptions = {}): PypiClient {
  const indexUrl = stripTrailingSlash(options.indexUrl ?? PYPI_SIMPLE_URL);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const shownIndex = redactIndexUrl(indexUrl);
  if (!URL.canParse(indexUrl)) {
    throw new PackyardError('CONFIG_INVALID', `the index URL "${shownIndex}" is not a URL`, {
      field: 'indexUrl',
      value: shownIndex,
      hint: 'use an absolute URL such as https://pypi.org/simple',
    });
  }

  async function listVersions(
    project: string,
    listOptions: ListVersionsOptions = {},
  ): Promise<ProjectVersions> {
    const normalizedName = normalizeProjectName(project);
    // fetch refuses URLs that carry credentials, so they travel as Basic auth like pip sends them.
    const { url: pageUrl, authorization } = splitCredentials(
      `${indexUrl}/${encodeURIComponent(normalizedName)}/`,
    );
    const headers: Record<string, string> = { Accept: ACCEPT, 'User-Agent': userAgent };
    if (authorization !== undefined) headers['Authorization'] = authorization;

    let attempts = 0;
    const page = await withRetry(async () => {
      attempts += 1;
      const response = await retryingNetworkErrors(() =>
        fetchImpl(pageUrl, { headers, signal: AbortSignal.timeout(timeoutMs) }),
      );
      if (response.status === 404) {
        await response.body?.cancel();
        throw new PackyardError('INDEX_NOT_FOUND', `project "${project}" was not found on ${shownIndex}`, {
          value: project,
          hint: `check the project name, or point packyard at the index that has it (package config, PIP_INDEX_URL, pip.conf)`,
        });
      }
      if (isRetryableStatus(response.status)) {
        await response.body?.cancel();
        throw new RetryableError(
          `it answered HTTP ${response.status}`,
          parseRetryAfter(response.headers.get('retry-after')),
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new PackyardError(
          'INDEX_BAD_RESPONSE',
          `${shownIndex} answered HTTP ${response.status} for project "${project}"`,
          { value: project, hint: hintForStatus(response.status) },
        );
      }
      // The body is read inside the attempt so a connection cut mid-body is retried too.
      const body = await retryingNetworkErrors(() => response.text());
      return { body, contentType: response.headers.get('content-type'), url: response.url };
    }, policy).catch((error: unknown) => {
      if (isPackyardError(error)) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new PackyardError(
        'INDEX_UNREACHABLE',
        `cannot list project "${project}" from ${shownIndex}: ${why} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
        { value: project, hint: 'check the network and the index URL, then try again', cause: error },
      );
    });

    return parsePage(page, project, indexUrl, page.url || pageUrl, listOptions);
  }

  return { indexUrl, listVersions };
}

function parsePage(
  page: { body: string; contentType: string | null },
  project: string,
  indexUrl: string,
  pageUrl: string,
  options: ListVersionsOptions,
): ProjectVersions {
  const format = formatOf(page.contentType, page.body);
  if (format === 'html') return { ...parseSimpleHtml(page.body, project, pageUrl, options), indexUrl };
  if (format === 'json') {
    let body: unknown;
    try {
      body = JSON.parse(page.body);
    } catch (error) {
      throw badPage(project, pageUrl, 'the body is not valid JSON', error);
    }
    return parseSimpleJson(body, project, indexUrl, { ...options, pageUrl });
  }
  throw badPage(
    project,
    pageUrl,
    `its content type "${page.contentType ?? ''}" is neither PEP 691 JSON nor HTML`,
  );
}

/**
 * PEP 691 names the JSON and HTML media types; `text/html` is PEP 503's. A server that sends no
 * type at all is judged by its first character.
 */
function formatOf(contentType: string | null, body: string): 'json' | 'html' | 'unknown' {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '') return body.trimStart().startsWith('{') ? 'json' : 'html';
  if (type === 'application/vnd.pypi.simple.v1+json' || type === 'application/vnd.pypi.simple.latest+json') {
    return 'json';
  }
  if (type === 'application/json') return 'json';
  if (
    type === 'text/html' ||
    type === 'application/vnd.pypi.simple.v1+html' ||
    type === 'application/vnd.pypi.simple.latest+html'
  ) {
    return 'html';
  }
  return 'unknown';
}

function splitCredentials(url: string): { url: string; authorization?: string } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.href,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

function hintForStatus(status: number): string {
  if (status === 401 || status === 403)
    return 'the index wants credentials: put them in the index URL (https://user:token@host/simple)';
  return 'check that the index URL points at a PEP 503/691 "simple" index';
}

/**
 * Turns fetch's network failures (TypeError) and timeouts (DOMException) into RetryableError, so
 * retrying does not hinge on `instanceof Error` across realms (DOMException fails it under Jest).
 */
async function retryingNetworkErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError')
      throw new RetryableError('the request timed out', undefined, { cause: error });
    if (name === 'AbortError' || name === 'TypeError') {
      const message = (error as { message?: unknown }).message;
      const cause = (error as { cause?: { message?: unknown } }).cause?.message;
      const text = [message, cause].filter((part) => typeof part === 'string' && part !== '').join(': ');
      throw new RetryableError(text || 'the connection failed', undefined, { cause: error });
    }
    throw error;
  }
}
