/** Which of the emulator's three origins a request reached. */
export type EmulatorHost = 'api' | 'uploads' | 'web';

/** A failure to inject into the next matching requests. */
export interface FaultSpec {
  /** HTTP method to match (case-insensitive); any method when absent. */
  method?: string;
  /** A prefix of, or a RegExp tested against, the request path including its query string. */
  path?: string | RegExp;
  /** Which origin; `any` (the default) matches all three. */
  host?: EmulatorHost | 'any';
  kind: 'status' | 'reset' | 'delay';
  /** For `status`: 500, 502, 503, 429 or 403 (defaults to 503). */
  status?: number;
  /** Adds `Retry-After: <seconds>` to a `status` fault. */
  retryAfterSeconds?: number;
  /**
   * For 403/429: answer with GitHub's secondary-rate-limit body (true) or its primary-rate-limit body with
   * `x-ratelimit-remaining: 0` (false). Defaults to true for 429 and false for 403.
   */
  secondaryRateLimit?: boolean;
  /** For `delay`: how long to hold the request before serving it normally. */
  delayMs?: number;
  /** How many matching requests the fault hits (default 1); `Infinity` is allowed. */
  times?: number;
  /** For `reset` on an upload: destroy the socket once this many body bytes arrived, leaving a `starter` asset. */
  afterBytes?: number;
}

/** A fault with its remaining hit count. */
export interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

/** Stores a copy of the spec with its hit budget. */
export function createArmedFault(spec: FaultSpec): ArmedFault {
  const remaining = spec.times ?? 1;
  if (!(remaining > 0)) throw new RangeError(`FaultSpec.times must be positive, got ${String(spec.times)}`);
  return { spec: { ...spec }, remaining };
}

/** Whether a fault applies to a request; pure. */
export function faultMatches(spec: FaultSpec, method: string, host: EmulatorHost, path: string): boolean {
  if (spec.host !== undefined && spec.host !== 'any' && spec.host !== host) return false;
  if (spec.method !== undefined && spec.method.toUpperCase() !== method.toUpperCase()) return false;
  if (spec.path === undefined) return true;
  if (typeof spec.path === 'string') return path.startsWith(spec.path);
  spec.path.lastIndex = 0;
  return spec.path.test(path);
}

/**
 * Takes the first armed fault (insertion order) that matches, spending one of its hits and dropping it when
 * spent. Only one fault applies to a request.
 */
export function takeFault(
  faults: ArmedFault[],
  method: string,
  host: EmulatorHost,
  path: string,
): FaultSpec | undefined {
  const index = faults.findIndex((fault) => faultMatches(fault.spec, method, host, path));
  if (index === -1) return undefined;
  const fault = faults[index]!;
  fault.remaining -= 1;
  if (fault.remaining <= 0) faults.splice(index, 1);
  return fault.spec;
}
