import { Transform, type TransformCallback } from 'node:stream';
import { constants, createGzip, type Gzip } from 'node:zlib';

/**
 * The value packyard writes into the gzip header's OS byte (offset 9): 255, "unknown" in RFC 1952
 * §2.3.1 (https://www.rfc-editor.org/rfc/rfc1952#page-7), as Go's and Python's gzip writers do. zlib
 * writes its build platform there (3 on Unix, 10 on Windows, 19 on macOS since zlib 1.2.12), which
 * would make the same archive differ by the machine that wrote it.
 */
export const GZIP_OS_BYTE = 255;

const OS_BYTE_OFFSET = 9;

/**
 * A gzip compressor whose settings are all spelled out, so a change of Node's defaults cannot change
 * the bytes. zlib writes a 10-byte header with MTIME 0, no FNAME and no FEXTRA (Node never sets a
 * gz_header), so only the OS byte needs pinning (see `createGzipOsBytePin`).
 */
export function createDeterministicGzip(level: number): Gzip {
  return createGzip({
    level,
    windowBits: 15,
    memLevel: 8,
    strategy: constants.Z_DEFAULT_STRATEGY,
    chunkSize: 64 * 1024,
  });
}

/** Overwrites byte 9 of a gzip stream with `GZIP_OS_BYTE`, wherever the chunk boundaries fall. */
export function createGzipOsBytePin(): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      const start = offset;
      offset += chunk.byteLength;
      if (start <= OS_BYTE_OFFSET && OS_BYTE_OFFSET < offset) {
        // Copy rather than write into zlib's output buffer, which it may still own.
        const copy = Buffer.from(chunk);
        copy[OS_BYTE_OFFSET - start] = GZIP_OS_BYTE;
        callback(null, copy);
        return;
      }
      callback(null, chunk);
    },
  });
}
