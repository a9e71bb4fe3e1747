import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** The digests packyard keeps for every archive, lowercase hex: what Portage's Manifest and the store use. */
export interface ArchiveDigests {
  sha256: string;
  sha512: string;
  /** BLAKE2b-512 (what `b2sum` prints and Portage calls BLAKE2B). */
  blake2b: string;
}

/** sha256 (hex) and byte count of a file, read once as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const { digests, size } = await digestFile(path);
  return { sha256: digests.sha256, size };
}

/** sha256, sha512, BLAKE2b-512 and byte count of a file, all from one read. */
export async function digestFile(path: string): Promise<{ digests: ArchiveDigests; size: number }> {
  const digests = new Digests();
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    digests.update(chunk as Buffer);
  }
  return { digests: digests.digest(), size: digests.size };
}

/** The three hashes fed together, so every byte is read once whatever the number of digests. */
export class Digests {
  readonly #sha256: Hash = createHash('sha256');
  readonly #sha512: Hash = createHash('sha512');
  readonly #blake2b: Hash = createHash('blake2b512');
  #size = 0;

  /** Bytes fed so far. */
  get size(): number {
    return this.#size;
  }

  /** Feeds the next chunk to every hash. */
  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#sha512.update(chunk);
    this.#blake2b.update(chunk);
    this.#size += chunk.byteLength;
  }

  /** The hex digests; call once, after the last chunk. */
  digest(): ArchiveDigests {
    return {
      sha256: this.#sha256.digest('hex'),
      sha512: this.#sha512.digest('hex'),
      blake2b: this.#blake2b.digest('hex'),
    };
  }
}

/** A pass-through that hashes and counts what flows through it; read `digests()` after it ends. */
export class DigestCounter extends Transform {
  readonly #digests = new Digests();

  /** Bytes passed through so far. */
  get size(): number {
    return this.#digests.size;
  }

  /** The hex digests of everything passed through; call once, after the stream has finished. */
  digests(): ArchiveDigests {
    return this.#digests.digest();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#digests.update(chunk);
    callback(null, chunk);
  }
}
