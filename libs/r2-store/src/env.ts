import { PackyardError, type ObjectStore } from '@packyard/core';
import { createLocalStore } from './local.js';
import { createS3Store, type S3Credentials, type S3StoreOptions } from './s3.js';

/** Where an S3 store's account comes from. */
export interface S3Account {
  credentials: S3Credentials;
  endpoint: string | undefined;
  region: string | undefined;
}

const NAMES = {
  accessKeyId: ['AWS_ACCESS_KEY_ID', 'R2_ACCESS_KEY_ID'],
  secretAccessKey: ['AWS_SECRET_ACCESS_KEY', 'R2_SECRET_ACCESS_KEY'],
  endpoint: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'R2_ENDPOINT_URL'],
  region: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
} as const;

function first(env: Record<string, string | undefined>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/**
 * Reads the S3/R2 account from the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_ENDPOINT_URL` (or `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY`, `R2_ENDPOINT_URL`), and
 * `AWS_REGION`. Missing credentials throw AUTH_MISSING naming the variables; values never appear.
 */
export function readS3Account(env: Record<string, string | undefined> = process.env): S3Account {
  const accessKeyId = first(env, NAMES.accessKeyId);
  const secretAccessKey = first(env, NAMES.secretAccessKey);
  const missing = [
    ...(accessKeyId === undefined ? [NAMES.accessKeyId.join(' or ')] : []),
    ...(secretAccessKey === undefined ? [NAMES.secretAccessKey.join(' or ')] : []),
  ];
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new PackyardError(
      'AUTH_MISSING',
      `an S3/R2 store needs credentials: set ${missing.join(', and ')}`,
      {
        field: missing.join(', '),
        hint: 'for Cloudflare R2 also set AWS_ENDPOINT_URL (or R2_ENDPOINT_URL) to https://<account-id>.r2.cloudflarestorage.com; without a remote store the local directory store needs no account',
      },
    );
  }
  const endpoint = first(env, NAMES.endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `the S3 endpoint must be an http(s) URL, not ${JSON.stringify(endpoint)}`,
      {
        field: 'AWS_ENDPOINT_URL',
        value: endpoint,
      },
    );
  }
  return { credentials: { accessKeyId, secretAccessKey }, endpoint, region: first(env, NAMES.region) };
}

/** Options for `openObjectStore`, passed on to the S3 backend. */
export type OpenObjectStoreOptions = Omit<
  S3StoreOptions,
  'bucket' | 'credentials' | 'endpoint' | 'region'
> & {
  env?: Record<string, string | undefined>;
};

/**
 * Opens a store from a location: `s3://<bucket>` (account from the environment, see `readS3Account`)
 * or a local directory (a path or `file://` URL), the embedded default that needs no account.
 */
export function openObjectStore(location: string, options: OpenObjectStoreOptions = {}): ObjectStore {
  const { env, ...s3Options } = options;
  if (location.startsWith('s3://')) {
    const bucket = location.slice('s3://'.length).replace(/\/+$/, '');
    if (bucket === '' || bucket.includes('/')) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `an S3 store location is s3://<bucket>, not ${JSON.stringify(location)}`,
        {
          field: 'store',
          value: location,
          hint: 'put key prefixes in the prefix option, not in the store location',
        },
      );
    }
    const account = readS3Account(env);
    return createS3Store({ ...s3Options, bucket, ...account });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://')) {
    throw new PackyardError('CONFIG_INVALID', `unsupported store location ${JSON.stringify(location)}`, {
      field: 'store',
      value: location,
      hint: 'use s3://<bucket> or a directory',
    });
  }
  return createLocalStore({ dir: location.startsWith('file://') ? new URL(location).pathname : location });
}
