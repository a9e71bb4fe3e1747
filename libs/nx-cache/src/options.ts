/**
 * What a cache server's front end reads from its command line and environment: the store, the
 * tokens, the port and the entry size limit, each checked with an error naming the option.
 */
import { PackyardError, type ObjectStore } from '@packyard/core';
import { openObjectStore } from '@packyard/r2-store';
import type { CacheTokens } from './tokens.js';

/** Where the cache lives: a store location for `openObjectStore` and a key prefix inside it. */
export interface StoreLocation {
  location: string;
  prefix: string;
}

/**
 * Splits `--store`: `s3://bucket/some/prefix` → the bucket and `some/prefix/`; anything else is a
 * directory (or `file://` URL) with no prefix. Pure.
 */
export function parseStoreLocation(value: string): StoreLocation {
  if (!value.startsWith('s3://')) return { location: value, prefix: '' };
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (bucket === '') {
    throw new PackyardError('CONFIG_INVALID', `--store ${JSON.stringify(value)} names no bucket`, {
      field: '--store',
      value,
      hint: 'use s3://<bucket>[/<prefix>] or a directory',
    });
  }
  return { location: `s3://${bucket}`, prefix: path === '' ? '' : `${path}/` };
}

/**
 * Opens the store `--store` names (`s3://bucket[/prefix]` with credentials from `env`, or a
 * directory) and the key prefix inside it.
 */
export function openCacheStore(
  value: string,
  env: Record<string, string | undefined>,
): { store: ObjectStore; prefix: string } {
  const { location, prefix } = parseStoreLocation(value);
  return { store: openObjectStore(location, { env }), prefix };
}

/** Parses `--port`: 0 to 65535 (0, the default, lets the system choose). Pure. */
export function parsePort(text: string | undefined): number {
  const port = text === undefined ? 0 : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PackyardError('CONFIG_INVALID', `--port ${JSON.stringify(text)} is not a port`, {
      field: '--port',
      value: text,
    });
  }
  return port;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * The tokens from `NX_CACHE_WRITE_TOKEN` and `NX_CACHE_READ_TOKEN` (never from the command line, so
 * they stay out of process listings and shell history). A server reachable beyond loopback must
 * have at least one; the two must differ.
 */
export function readTokens(env: Record<string, string | undefined>, host: string): CacheTokens {
  const pick = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const tokens = { write: pick('NX_CACHE_WRITE_TOKEN'), read: pick('NX_CACHE_READ_TOKEN') };
  if (tokens.write === undefined && tokens.read === undefined && !LOOPBACK.test(host)) {
    throw new PackyardError('AUTH_MISSING', `a cache server on ${host} needs a token`, {
      field: 'NX_CACHE_WRITE_TOKEN, NX_CACHE_READ_TOKEN',
      hint: 'set NX_CACHE_WRITE_TOKEN (and NX_CACHE_READ_TOKEN for pull requests); only a server on loopback may run without one',
    });
  }
  if (tokens.write !== undefined && tokens.write === tokens.read) {
    throw new PackyardError('CONFIG_INVALID', 'NX_CACHE_WRITE_TOKEN and NX_CACHE_READ_TOKEN are the same', {
      field: 'NX_CACHE_READ_TOKEN',
      hint: 'the read-only token must differ from the read-write one, or a pull request could write',
    });
  }
  return tokens;
}

/** Parses `--max-entry-size`: bytes, or a number with K, M or G (binary units). Pure. */
export function parseSize(value: string): number {
  const match = /^(\d+)([KMG]?)i?B?$/i.exec(value.trim());
  if (match === null) {
    throw new PackyardError('CONFIG_INVALID', `--max-entry-size ${JSON.stringify(value)} is not a size`, {
      field: '--max-entry-size',
      value,
      hint: 'give bytes or a number with K, M or G, such as 2G',
    });
  }
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[
    (match[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'
  ];
  return Number(match[1]) * unit;
}
