import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_RETRY_POLICY, RetryableError, withRetry, type RetryPolicy } from '@packyard/core';
import type { ObjectInfo, ObjectStore } from '@packyard/r2-store';

/** Why a spool gave up: the object went away, the client left, or every read failed. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
  constructor(
    message: string,
    readonly code: 'SPOOL_MISSING' | 'SPOOL_ABORTED' | 'SPOOL_READ',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of `spoolObject`. */
export interface SpoolOptions {
  /** How often a failed, short or corrupt read is tried again (default core's policy). */
  retry?: RetryPolicy;
  /** Stops the copy (no more attempts) once aborted: the client hung up. */
  signal?: AbortSignal;
}

/**
 * Copies the object `info` describes from `store` into `file`, streamed, and checks the copy: its
 * length must be the object's size and, when the store records one, its sha256 the object's. A read
 * that fails, ends short or hashes wrong is started again from the first byte under the retry
 * policy, so `file` holds the whole object when this resolves. Throws SpoolError otherwise.
 */
export async function spoolObject(
  store: Pick<ObjectStore, 'getStream'>,
  info: ObjectInfo,
  file: string,
  options: SpoolOptions = {},
): Promise<void> {
  const { signal } = options;
  const abortIfLeft = () => {
    if (signal?.aborted) throw new SpoolError(`the client left while ${info.key} was read`, 'SPOOL_ABORTED');
  };
  await withRetry(async () => {
    abortIfLeft();
    const body = await store.getStream(info.key);
    if (body === undefined) throw new SpoolError(`${info.key} is no longer in the store`, 'SPOOL_MISSING');
    const sha256 = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        sha256.update(chunk);
        done(null, chunk);
      },
    });
    try {
      const out = createWriteStream(file);
      await pipeline(body, count, out, ...(signal === undefined ? [] : [{ signal }]));
    } catch (error) {
      abortIfLeft();
      // A failed local write is tried again too: it costs a few attempts, never a wrong answer.
      const why = error instanceof Error ? error.message : String(error);
      throw new RetryableError(
        `reading ${info.key} stopped after ${bytes} of ${info.size} bytes: ${why}`,
        undefined,
        { cause: error },
      );
    }
    if (bytes !== info.size) {
      throw new RetryableError(`reading ${info.key} ended after ${bytes} of ${info.size} bytes`);
    }
    const digest = sha256.digest('hex');
    if (info.sha256 !== undefined && digest !== info.sha256) {
      throw new RetryableError(`${info.key} read with sha256 ${digest}, not the stored ${info.sha256}`);
    }
  }, options.retry ?? DEFAULT_RETRY_POLICY).catch((error: unknown) => {
    if (error instanceof SpoolError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new SpoolError(why, 'SPOOL_READ', { cause: error });
  });
}
