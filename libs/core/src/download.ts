import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PackyardError, isPackyardError } from './errors.js';
import { produceAtomically } from './fs.js';
import {
  DEFAULT_RETRY_POLICY,
  RetryableError,
  isRetryableStatus,
  parseRetryAfter,
  withRetry,
  type RetryPolicy,
} from './retry.js';

/** One file to download. */
export interface DownloadRequest {
  url: string;
  /** Where the file goes; it appears there whole and checked, or not at all. */
  to: string;
  /** Lowercase hex sha256 the bytes must have; checked while they stream. */
  sha256?: string;
}

/** A finished download. */
export interface DownloadResult {
  file: string;
  sha256: string;
  size: number;
}

/** Downloads files over HTTP(S): what every network download in packyard goes through. */
export interface DownloadClient {
  /**
   * Streams `url` into `to` (never whole in memory), hashing while it streams. Network failures, a
   * body cut short, 408/425/429 and 5xx are retried under the policy; 404 and 410 throw
   * DOWNLOAD_NOT_FOUND at once, other answers DOWNLOAD_FAILED; bytes with another sha256 than
   * `sha256` throw VERIFY_FAILED at once. On any failure nothing is left at `to`.
   */
  download(request: DownloadRequest): Promise<DownloadResult>;
}

/** Options of `createDownloadClient`. */
export interface DownloadClientOptions {
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  retry?: RetryPolicy;
}

/** Creates the download client; the one place that decides how packyard downloads. */
export function createDownloadClient(options: DownloadClientOptions = {}): DownloadClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  return {
    async download(request) {
      const expected = request.sha256?.toLowerCase();
      try {
        return await produceAtomically(request.to, (tmp) =>
          withRetry(async () => {
            const response = await fetchImpl(request.url, { redirect: 'follow' });
            if (!response.ok) await refuse(request.url, response);
            if (response.body === null) throw new RetryableError(`${request.url} answered with no body`);
            const hash = createHash('sha256');
            let size = 0;
            const hashing = new Transform({
              transform(chunk: Buffer, _encoding, done) {
                hash.update(chunk);
                size += chunk.length;
                done(null, chunk);
              },
            });
            try {
              await pipeline(
                Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
                hashing,
                createWriteStream(tmp),
              );
            } catch (error) {
              // The connection dropped mid-body (undici: `terminated`): start again.
              throw new RetryableError(`${request.url}: the download was cut short`, undefined, {
                cause: error,
              });
            }
            const sha256 = hash.digest('hex');
            if (expected !== undefined && sha256 !== expected) {
              throw new PackyardError(
                'VERIFY_FAILED',
                `${request.url} has sha256 ${sha256}, not the expected ${expected}`,
                { value: request.url, hint: 'the server sent other bytes than expected; nothing was kept' },
              );
            }
            return { file: request.to, sha256, size };
          }, policy),
        );
      } catch (error) {
        if (isPackyardError(error)) throw error;
        throw new PackyardError('DOWNLOAD_FAILED', `cannot download ${request.url}: ${describe(error)}`, {
          value: request.url,
          cause: error,
        });
      }
    },
  };
}

async function refuse(url: string, response: Response): Promise<never> {
  await response.body?.cancel().catch(() => undefined);
  if (isRetryableStatus(response.status)) {
    throw new RetryableError(
      `${url} answered HTTP ${response.status}`,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
  const missing = response.status === 404 || response.status === 410;
  throw new PackyardError(
    missing ? 'DOWNLOAD_NOT_FOUND' : 'DOWNLOAD_FAILED',
    `${url} answered HTTP ${response.status}`,
    { value: url },
  );
}

// undici hides the socket's error behind `fetch failed`; the cause says what happened.
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return cause === undefined ? error.message : `${error.message} (${cause.message})`;
}
