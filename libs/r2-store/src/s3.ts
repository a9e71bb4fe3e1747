import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  DEFAULT_RETRY_POLICY,
  PackyardError,
  RetryableError,
  isPackyardError,
  isRetryableStatus,
  registerSecret,
  sha256File,
  withRetry,
  type RetryPolicy,
  listAllPages,
  validateObjectKey,
  type ObjectInfo,
  type ObjectStore,
  type PutObjectInput,
} from '@packyard/core';

/** Access key pair for S3 or R2. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Options for `createS3Store`. */
export interface S3StoreOptions {
  bucket: string;
  credentials: S3Credentials;
  /** A custom endpoint (R2: `https://<account>.r2.cloudflarestorage.com`); default AWS S3. */
  endpoint?: string | undefined;
  /** Default `auto` (R2's); AWS needs a real region. */
  region?: string | undefined;
  /** Default true with a custom endpoint, false otherwise. */
  forcePathStyle?: boolean;
  /** Core's policy applies: 5xx, 429 and network errors are retried with capped backoff. */
  retry?: RetryPolicy;
  /** Time allowed to open a connection; default 10 s. */
  connectionTimeoutMs?: number;
  /** Time a request may sit with no bytes moving; default 120 s. */
  requestTimeoutMs?: number;
  /** Bodies at least this big go up as multipart uploads; default 16 MiB. */
  multipartThresholdBytes?: number;
  /** Multipart part size; default 8 MiB (S3's minimum is 5 MiB). */
  partSizeBytes?: number;
  /** Parts of one upload sent at once; default 4. */
  partConcurrency?: number;
}

/** The S3 backend: an ObjectStore, plus clean-up of multipart uploads that never completed. */
export interface S3ObjectStore extends ObjectStore {
  readonly kind: 's3';
  readonly bucket: string;
  /** Aborts the unfinished multipart uploads of `key` (left by a run that died mid-upload); returns how many. */
  abortIncompleteUploads(key: string): Promise<number>;
  /**
   * Aborts every unfinished multipart upload of any key under `prefix` (left by runs that died
   * mid-upload, or still running elsewhere: call it where no other writer uses the prefix); returns
   * the keys and upload ids it aborted. Lists every page.
   */
  abortIncompleteUploadsUnder(prefix: string): Promise<Array<{ key: string; uploadId: string }>>;
}

/** The S3 `sha256` metadata key (`x-amz-meta-sha256`) in which the hex digest of every put is recorded. */
export const SHA256_METADATA_KEY = 'sha256';

const MIB = 1024 * 1024;

/**
 * An ObjectStore on an S3-compatible bucket (Cloudflare R2, AWS S3, versitygw) through
 * @aws-sdk/client-s3. Every put carries its sha256: a single put as `x-amz-checksum-sha256`, which
 * the server checks; a multipart upload (@aws-sdk/lib-storage) with a SHA-256 checksum on every part.
 * The hex digest is also recorded as `x-amz-meta-sha256`, so a HEAD tells the digest of any object
 * packyard wrote. The SDK's own retries are off: core's retry policy is the one place that decides.
 */
export function createS3Store(options: S3StoreOptions): S3ObjectStore {
  const { bucket } = options;
  if (!bucket) {
    throw new PackyardError('CONFIG_INVALID', 'an S3 store needs a bucket name', {
      field: 'bucket',
      value: bucket,
    });
  }
  registerSecret(options.credentials.secretAccessKey);
  registerSecret(options.credentials.accessKeyId);
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const threshold = options.multipartThresholdBytes ?? 16 * MIB;
  const partSize = Math.max(options.partSizeBytes ?? 8 * MIB, 5 * MIB);
  const endpoint = options.endpoint;
  const client = new S3Client({
    region: options.region ?? 'auto',
    credentials: options.credentials,
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    maxAttempts: 1,
    // Checksums only where packyard asks for them: R2 and older S3 servers reject the SDK's
    // default CRC32 trailers on some operations.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 120_000,
    },
  });
  const where = `s3://${bucket}${endpoint === undefined ? '' : ` at ${endpoint}`}`;
  const send = <T>(operation: string, key: string | undefined, run: () => Promise<T>): Promise<T> =>
    withRetry(async () => {
      try {
        return await run();
      } catch (error) {
        throw classify(error, operation, key, where);
      }
    }, policy).catch((error: unknown) => {
      throw finalError(error, operation, key, where);
    });

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    validateObjectKey(key);
    const out = await send('HEAD', key, async () => {
      try {
        return await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
        );
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    });
    if (out === undefined) return undefined;
    const recorded = out.Metadata?.[SHA256_METADATA_KEY];
    const checksum =
      out.ChecksumSHA256 !== undefined &&
      out.ChecksumType !== 'COMPOSITE' &&
      !out.ChecksumSHA256.includes('-')
        ? Buffer.from(out.ChecksumSHA256, 'base64').toString('hex')
        : undefined;
    return {
      key,
      size: out.ContentLength ?? 0,
      etag: unquote(out.ETag),
      sha256: checksum ?? (recorded !== undefined && /^[0-9a-f]{64}$/.test(recorded) ? recorded : undefined),
      contentType: out.ContentType,
      lastModified: out.LastModified,
    };
  };

  const getStream = async (key: string): Promise<Readable | undefined> => {
    validateObjectKey(key);
    return send('GET', key, async () => {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body as Readable;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    });
  };

  const store: S3ObjectStore = {
    kind: 's3',
    bucket,
    location: `s3://${bucket}`,
    head,
    getStream,
    async get(key) {
      validateObjectKey(key);
      // The whole read is one attempt, so a connection dropped mid-body is retried too.
      return send('GET', key, async () => {
        try {
          const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return Buffer.from(
            await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
          );
        } catch (error) {
          if (isMissing(error)) return undefined;
          throw error;
        }
      });
    },
    async put(input) {
      validateObjectKey(input.key);
      const { size, sha256 } = await measure(input);
      if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256 && 'file' in input.body) {
        // A file that changed since its digest was taken: refuse before sending anything.
        throw new PackyardError(
          'STORE_FAILED',
          `checksum mismatch for ${input.key}: ${input.body.file} hashes to ${sha256}, not ${input.sha256}`,
          {
            file: input.body.file,
            field: 'sha256',
            value: input.sha256,
          },
        );
      }
      const claimed = (input.sha256 ?? sha256).toLowerCase();
      const params: PutObjectCommandInput = {
        Bucket: bucket,
        Key: input.key,
        ContentType: input.contentType ?? 'application/octet-stream',
        Metadata: { ...input.metadata, [SHA256_METADATA_KEY]: claimed },
        ...(input.condition === undefined
          ? {}
          : 'ifNoneMatch' in input.condition
            ? { IfNoneMatch: '*' }
            : { IfMatch: `"${unquote(input.condition.ifMatch)}"` }),
      };
      if (size < threshold) {
        const out = await send('PUT', input.key, () =>
          client.send(
            new PutObjectCommand({
              ...params,
              Body: bodyBytesOrStream(input),
              ContentLength: size,
              ChecksumSHA256: Buffer.from(claimed, 'hex').toString('base64'),
            }),
          ),
        );
        return info(input.key, size, unquote(out.ETag), claimed, params.ContentType);
      }
      const out = await send('PUT', input.key, async () => {
        const upload = new Upload({
          client,
          params: {
            ...params,
            Body: bodyBytesOrStream(input),
            ContentLength: size,
            ChecksumAlgorithm: 'SHA256',
          },
          partSize,
          queueSize: options.partConcurrency ?? 4,
          leavePartsOnError: false,
        });
        return upload.done();
      });
      return info(input.key, size, unquote(out.ETag), claimed, params.ContentType);
    },
    async listPage(prefix, listOptions = {}) {
      const out = await send('LIST', prefix, () =>
        client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: Math.min(Math.max(listOptions.pageSize ?? 1000, 1), 1000),
            ...(listOptions.token === undefined ? {} : { ContinuationToken: listOptions.token }),
          }),
        ),
      );
      return {
        objects: (out.Contents ?? []).map((entry) => ({
          key: entry.Key ?? '',
          size: entry.Size ?? 0,
          etag: unquote(entry.ETag),
          sha256: undefined,
          contentType: undefined,
          lastModified: entry.LastModified,
        })),
        nextToken: out.IsTruncated ? out.NextContinuationToken : undefined,
      };
    },
    list(prefix, listOptions = {}) {
      return listAllPages(store, prefix, listOptions.pageSize);
    },
    async delete(key) {
      validateObjectKey(key);
      await send('DELETE', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },
    async abortIncompleteUploads(key: string): Promise<number> {
      const out = await send('LIST-UPLOADS', key, () =>
        client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key })),
      );
      const stale = (out.Uploads ?? []).filter(
        (upload) => upload.Key === key && upload.UploadId !== undefined,
      );
      for (const upload of stale) {
        await send('ABORT', key, () =>
          client.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }),
          ),
        );
      }
      return stale.length;
    },
    async abortIncompleteUploadsUnder(prefix: string): Promise<Array<{ key: string; uploadId: string }>> {
      const stale: Array<{ key: string; uploadId: string }> = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const out = await send('LIST-UPLOADS', prefix, () =>
          client.send(
            new ListMultipartUploadsCommand({
              Bucket: bucket,
              Prefix: prefix,
              KeyMarker: keyMarker,
              UploadIdMarker: uploadIdMarker,
            }),
          ),
        );
        for (const upload of out.Uploads ?? []) {
          if (upload.Key !== undefined && upload.UploadId !== undefined) {
            stale.push({ key: upload.Key, uploadId: upload.UploadId });
          }
        }
        if (out.IsTruncated !== true || (out.NextKeyMarker ?? '') === '') break;
        keyMarker = out.NextKeyMarker;
        uploadIdMarker = out.NextUploadIdMarker;
      }
      for (const upload of stale) {
        await send('ABORT', upload.key, () =>
          client.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId }),
          ),
        );
      }
      return stale;
    },
  };
  return store;
}

function info(
  key: string,
  size: number,
  etag: string,
  sha256: string,
  contentType: string | undefined,
): ObjectInfo {
  return { key, size, etag, sha256, contentType, lastModified: undefined };
}

async function measure(input: PutObjectInput): Promise<{ size: number; sha256: string }> {
  if ('file' in input.body) {
    const [info, sha256] = await Promise.all([stat(input.body.file), sha256File(input.body.file)]);
    return { size: info.size, sha256 };
  }
  const bytes = toBuffer(input.body.bytes);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function bodyBytesOrStream(input: PutObjectInput): Buffer | Readable {
  // A fresh stream per attempt: a retried put re-reads the file from the start.
  return 'file' in input.body ? createReadStream(input.body.file) : toBuffer(input.body.bytes);
}

function toBuffer(bytes: Uint8Array | string): Buffer {
  return typeof bytes === 'string'
    ? Buffer.from(bytes)
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return statusOf(error) === 404 && !AUTH_ERRORS.has(name ?? '') && name !== 'NoSuchBucket';
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

const NETWORK_MESSAGE =
  /\b(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|ECONNABORTED)\b|socket hang up|other side closed/;

function isNetworkFailure(error: unknown): boolean {
  const e = error as { code?: string; name?: string; cause?: unknown; errors?: unknown[] } | undefined;
  if (e === undefined || e === null) return false;
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout' || e.name === 'RequestTimeoutException')
    return true;
  // The SDK wraps socket errors it cannot attribute to a response ("AWS SDK error wrapper for …").
  if (
    typeof (e as { message?: unknown }).message === 'string' &&
    NETWORK_MESSAGE.test((e as { message: string }).message)
  )
    return true;
  if (Array.isArray(e.errors) && e.errors.some(isNetworkFailure)) return true;
  return e.cause !== undefined && e.cause !== error && isNetworkFailure(e.cause);
}

// versitygw says XAdminUserNotFound (with a 404) for an access key it does not know; S3 and R2
// say InvalidAccessKeyId (403).
const AUTH_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'XAdminUserNotFound',
  'InvalidToken',
]);

/** Turns an SDK error into a retryable one or a final PackyardError. */
function classify(error: unknown, operation: string, key: string | undefined, where: string): Error {
  if (isPackyardError(error)) return error;
  const status = statusOf(error);
  const name = (error as { name?: string }).name ?? '';
  if (
    (status !== undefined && isRetryableStatus(status)) ||
    (status === undefined && isNetworkFailure(error))
  ) {
    return new RetryableError(`${operation} ${key ?? ''} on ${where}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }
  const target = key === undefined ? where : `${key} on ${where}`;
  if (status === 412 || name === 'PreconditionFailed') {
    return new PackyardError(
      'STORE_CONFLICT',
      `conditional ${operation} of ${target} refused (412 Precondition Failed)`,
      {
        field: 'key',
        value: key,
        hint: 'another writer created or changed this object; read it again and decide, or pass --replace',
        cause: error,
      },
    );
  }
  if (name === 'BadDigest' || name === 'XAmzContentSHA256Mismatch' || name === 'InvalidDigest') {
    return new PackyardError(
      'STORE_FAILED',
      `checksum mismatch: the server refused ${operation} of ${target} (${name}); the bytes sent do not match their sha256`,
      {
        field: 'sha256',
        value: key,
        cause: error,
      },
    );
  }
  if (status === 403 || AUTH_ERRORS.has(name)) {
    return new PackyardError(
      'AUTH_FAILED',
      `${where} refused the credentials (${name || status}) on ${operation} of ${target}`,
      {
        hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or R2_ACCESS_KEY_ID / R2_SECRET_ACCESS_KEY) and that the key may use this bucket',
        cause: error,
      },
    );
  }
  if (name === 'NoSuchBucket') {
    return new PackyardError('STORE_FAILED', `${where}: the bucket does not exist`, {
      field: 'bucket',
      cause: error,
    });
  }
  return new PackyardError('STORE_FAILED', `${operation} of ${target} failed: ${describe(error)}`, {
    cause: error,
  });
}

function finalError(
  error: unknown,
  operation: string,
  key: string | undefined,
  where: string,
): PackyardError {
  if (isPackyardError(error)) return error;
  const cause = error instanceof RetryableError && error.cause !== undefined ? error.cause : error;
  const target = key === undefined ? where : `${key} on ${where}`;
  return new PackyardError(
    'STORE_FAILED',
    `${operation} of ${target} failed after retries: ${describe(cause)}`,
    {
      hint: 'the server is unreachable or failing; run again once it is back (finished objects are skipped, nothing is duplicated)',
      cause,
    },
  );
}

function describe(error: unknown): string {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  const parts = [
    e.name && e.name !== 'Error' ? e.name : undefined,
    e.code,
    status === undefined ? undefined : `HTTP ${status}`,
    e.message,
  ].filter((part) => part !== undefined && part !== '');
  const text = parts.join(': ') || String(error);
  return text;
}
