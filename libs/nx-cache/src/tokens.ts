import { createHash, timingSafeEqual } from 'node:crypto';

/** What a request's bearer token allows. */
export type Access = 'read-write' | 'read' | 'none';

/** The two tokens a cache server accepts; either may be absent. */
export interface CacheTokens {
  /** Reads and writes (protected branches). */
  write?: string | undefined;
  /** Reads only (pull requests): a PUT with it gets 403. */
  read?: string | undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares two secrets in time that does not depend on where they differ (both hashed first). */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * What the `Authorization` header grants. With no token configured at all every request reads and
 * writes (the loopback default); otherwise a missing or unknown token grants nothing. Both tokens are
 * always compared, so the time taken does not tell which one matched. Pure.
 */
export function accessFor(header: string | undefined, tokens: CacheTokens): Access {
  if (tokens.write === undefined && tokens.read === undefined) return 'read-write';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  const write = tokens.write !== undefined && sameSecret(given, tokens.write);
  const read = tokens.read !== undefined && sameSecret(given, tokens.read);
  if (given === '') return 'none';
  return write ? 'read-write' : read ? 'read' : 'none';
}
