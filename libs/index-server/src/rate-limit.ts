/** Options of createRateLimiter. */
export interface RateLimitOptions {
  /** Attempts a key may make at once (the bucket's size). */
  burst: number;
  /** Attempts a key regains per minute. */
  perMinute: number;
  /** The clock (ms), replaceable in tests; default Date.now. */
  now?: () => number;
  /** Keys tracked at most; the longest idle are dropped first (default 10,000). */
  maxKeys?: number;
}

/** A token bucket per key (a client address, a user name). */
export interface RateLimiter {
  /** Takes one attempt for every key; 0 when allowed, else the seconds until the fullest key allows one. */
  take(keys: readonly string[]): number;
}

/** Token buckets per key, bounded in memory. Pure apart from the clock. */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (key: string, at: number): { tokens: number; at: number } => {
    const bucket = buckets.get(key) ?? { tokens: options.burst, at };
    bucket.tokens = Math.min(options.burst, bucket.tokens + (at - bucket.at) * perMs);
    bucket.at = at;
    // Re-inserted, so the map's order is least recently used first.
    buckets.delete(key);
    buckets.set(key, bucket);
    while (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    return bucket;
  };
  return {
    take(keys) {
      const at = now();
      const levels = keys.map((key) => level(key, at));
      const short = levels.filter((bucket) => bucket.tokens < 1);
      if (short.length > 0) {
        const waitMs = Math.max(...short.map((bucket) => (1 - bucket.tokens) / perMs));
        return Math.max(1, Math.ceil(waitMs / 1000));
      }
      for (const bucket of levels) bucket.tokens -= 1;
      return 0;
    },
  };
}
