import pRetry, { AbortError } from 'p-retry';

/** What counts as transient is decided here, once, for every client packyard has. */
export interface RetryPolicy {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, minTimeoutMs: 250, maxTimeoutMs: 8_000 };

/** HTTP statuses worth another try: throttling and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds, capped. */
export function parseRetryAfter(
  value: string | null | undefined,
  capMs = 60_000,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), capMs);
}

/** Thrown by an attempt to say "try again", optionally after the server's `Retry-After`. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Runs `attempt` until it succeeds. Only `RetryableError` and network failures (fetch's TypeError,
 * timeouts) are retried, with capped exponential backoff; anything else fails at once.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<T> {
  return pRetry(
    async (attemptNumber) => {
      try {
        return await attempt(attemptNumber);
      } catch (error) {
        if (error instanceof RetryableError || isNetworkError(error)) {
          if (error instanceof RetryableError && error.retryAfterMs) await sleep(error.retryAfterMs);
          throw error;
        }
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      factor: 2,
      randomize: true,
    },
  ).catch((error: unknown) => {
    // p-retry wraps the original in AbortError; hand callers the error they threw.
    throw error instanceof AbortError && error.cause !== undefined ? error.cause : error;
  });
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  // undici reports connection failures as `TypeError: fetch failed` with the socket error as cause.
  return error instanceof TypeError && /fetch failed|terminated|socket/i.test(error.message);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
