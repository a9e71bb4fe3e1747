import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** sha256 (hex) and byte count of a file, read once as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

/** A pass-through that hashes and counts what flows through it; read `sha256()` after it ends. */
export class DigestCounter extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;

  /** Bytes passed through so far. */
  get size(): number {
    return this.#size;
  }

  /** Hex sha256 of everything passed through; call once, after the stream has finished. */
  sha256(): string {
    return this.#hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
    callback(null, chunk);
  }
}
