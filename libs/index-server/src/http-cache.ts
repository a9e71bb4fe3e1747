/** A representation's validators (RFC 9110 §8.8). */
export interface Validators {
  /** `"…"` (strong) or `W/"…"` (weak). */
  etag: string;
  /** An HTTP date. */
  lastModified: string;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

function parseTags(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/**
 * Whether a GET/HEAD can be answered 304 Not Modified (RFC 9110 §13.1.2, §13.1.3): If-None-Match
 * (weak comparison, `*`) decides when present; otherwise If-Modified-Since against Last-Modified
 * (whole seconds). Pure.
 */
export function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  validators: Validators,
): boolean {
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    const mine = opaque(validators.etag);
    return parseTags(ifNoneMatch).some((tag) => opaque(tag) === mine);
  }
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  const modified = Date.parse(validators.lastModified);
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
}

/**
 * Whether an If-Range condition holds (RFC 9110 §13.1.5): only a strong ETag that matches exactly,
 * or the exact Last-Modified date; a weak tag never does. Pure.
 */
export function ifRangeHolds(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return !validators.etag.startsWith('W/') && value === validators.etag;
  return value === validators.lastModified;
}

/** A single byte range to answer with, from a Range header (RFC 9110 §14); undefined: the whole file. Pure. */
export function planRange(
  header: string | undefined,
  ifRange: string | undefined,
  size: number,
  validators: Validators,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  // If-Range names the representation the client has part of; another one gets the whole file.
  if (!ifRangeHolds(ifRange, validators)) return undefined;
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
