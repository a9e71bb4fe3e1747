import { createHash } from 'node:crypto';

/** A weak validator over the response bytes, in GitHub's `W/"…"` form. */
export function renderEtag(body: Buffer): string {
  return `W/"${createHash('sha256').update(body).digest('hex')}"`;
}

/**
 * Whether `If-None-Match` names the current representation. GET uses the weak comparison of
 * RFC 9110 §13.1.2, so `W/` prefixes are ignored on both sides.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return header.split(',').some((candidate) => candidate.trim() === '*' || opaque(candidate) === wanted);
}
