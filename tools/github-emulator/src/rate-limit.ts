/** One identity's primary rate-limit window, as GitHub reports it in `x-ratelimit-*`. */
export interface RateWindow {
  limit: number;
  used: number;
  /** Epoch seconds when the window resets. */
  reset: number;
}

// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api: 5,000 an hour for a
// user token, 60 an hour for unauthenticated requests (per client IP).
export const AUTHENTICATED_LIMIT = 5000;
export const ANONYMOUS_LIMIT = 60;
const WINDOW_SECONDS = 3600;

/** Counts requests per identity in hour-long windows that start at the first request. */
export class RateLimiter {
  readonly #windows = new Map<string, RateWindow>();

  /** The identity's current window (opening one if the last has expired); counts nothing. */
  peek(identity: string, limit: number, nowSeconds: number): RateWindow {
    const current = this.#windows.get(identity);
    if (current !== undefined && current.reset > nowSeconds) return current;
    const fresh = { limit, used: 0, reset: nowSeconds + WINDOW_SECONDS };
    this.#windows.set(identity, fresh);
    return fresh;
  }

  /** Counts one request against the identity's window. */
  consume(identity: string, limit: number, nowSeconds: number): RateWindow {
    const window = this.peek(identity, limit, nowSeconds);
    window.used = Math.min(window.used + 1, window.limit);
    return window;
  }
}

/** The five `x-ratelimit-*` headers GitHub sends on REST responses. */
export function renderRateLimitHeaders(window: RateWindow): Record<string, string> {
  return {
    'x-ratelimit-limit': String(window.limit),
    'x-ratelimit-remaining': String(window.limit - window.used),
    'x-ratelimit-reset': String(window.reset),
    'x-ratelimit-used': String(window.used),
    'x-ratelimit-resource': 'core',
  };
}
