import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';

/**
 * PyPI's decompression-bomb rule for uploads (warehouse's legacy upload view, `_is_valid_dist_file`):
 * a distribution that inflates to more than 64 MiB at a ratio above 50 is refused.
 */
export const INFLATE_LIMIT = { maxBytes: 64 * 1024 * 1024, maxRatio: 50 } as const;

/** Why a distribution breaks the inflate limit, as one line; undefined when it does not. */
export async function checkInflateLimit(
  path: string,
  filename: string,
  limit: { maxBytes: number; maxRatio: number } = INFLATE_LIMIT,
): Promise<string | undefined> {
  const size = (await stat(path)).size;
  // Over both limits at once: more than maxBytes and more than maxRatio × the file.
  const ceiling = Math.max(limit.maxBytes, limit.maxRatio * size);
  const explain = (inflated: string) =>
    `${filename} inflates to ${inflated} from ${size} bytes: more than ${limit.maxBytes} bytes at a ratio above ${limit.maxRatio} is refused as a decompression bomb`;
  if (/\.(?:whl|zip)$/.test(filename)) {
    const total = await zipInflatedSize(path);
    return total === undefined || total <= ceiling ? undefined : explain(`${total} bytes`);
  }
  if (filename.endsWith('.tar.gz')) {
    return (await gunzipExceeds(path, ceiling)) ? explain(`more than ${ceiling} bytes`) : undefined;
  }
  return undefined;
}

// The sizes the central directory declares; the index's own read checks every entry against them
// (yauzl's validateEntrySizes), so a lying directory is refused there. Undefined: not a zip (the
// index's check says so).
async function zipInflatedSize(path: string): Promise<number | undefined> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true, autoClose: true }, (error, file) =>
        error ? reject(error) : resolve(file),
      ),
    );
  } catch {
    return undefined;
  }
  return new Promise<number | undefined>((resolve) => {
    let total = 0;
    zip.on('entry', (entry: yauzl.Entry) => {
      total += entry.uncompressedSize;
      zip.readEntry();
    });
    zip.on('end', () => resolve(total));
    zip.on('error', () => resolve(undefined));
    zip.readEntry();
  });
}

// Inflates the gzip stream only until it passes the ceiling.
async function gunzipExceeds(path: string, ceiling: number): Promise<boolean> {
  let inflated = 0;
  let exceeded = false;
  const counter = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      inflated += chunk.length;
      if (inflated > ceiling) {
        exceeded = true;
        return callback(new Error('inflate limit'));
      }
      callback();
    },
  });
  await pipeline(createReadStream(path), createGunzip(), counter).catch(() => {});
  return exceeded;
}
