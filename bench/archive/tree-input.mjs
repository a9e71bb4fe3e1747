// A tree of many small files from a fixed seed, the shape of a Go module cache or vendored crates:
// modules of packages, each a directory of source files (text) with some testdata (binary), a few
// large files, and some empty directories. Every run on every machine writes the same bytes.
import { Buffer } from 'node:buffer';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SEED = 'packyard-bench-archive-tree-v1';
const WORDS = (
  'func return package import type struct interface map range for if else err nil string int ' +
  'byte error context value key test assert buffer reader writer close open read write len make append'
).split(' ');
const FILES_PER_DIR = 12;

function keystream(label) {
  const key = createHash('sha256').update(`${SEED}/key/${label}`).digest();
  const iv = createHash('sha256').update(`${SEED}/iv/${label}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return (length) => cipher.update(Buffer.alloc(length));
}

function text(random, size) {
  const out = Buffer.alloc(size);
  let at = 0;
  let pick = 0;
  while (at < size) {
    const word = WORDS[random[pick % random.length] % WORDS.length];
    const end = random[(pick + 1) % random.length] % 9 === 0 ? '\n' : ' ';
    pick += 2;
    at += out.write(word + end, at);
  }
  return out;
}

/**
 * Writes `files` files totalling about `total` bytes under `dir`: sizes follow a long tail (most a
 * few KiB, one in 100 about 40x the mean), one file in 10 is incompressible, and every 50th
 * directory gets an empty subdirectory. Returns the file count, bytes and a sha256 over names and contents.
 */
export async function writeTreeInput(dir, files, total) {
  const stream = keystream('sizes');
  const shape = stream(files * 2);
  const weights = Array.from({ length: files }, (_, index) =>
    index % 100 === 0 ? 40 : 0.2 + (shape[index * 2] / 255) * 1.6,
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const hash = createHash('sha256');
  const random = stream(1 << 16);
  let bytes = 0;
  for (let index = 0; index < files; index += 1) {
    const directory = Math.floor(index / FILES_PER_DIR);
    const sub = join(
      dir,
      `mod-${String(Math.floor(directory / 20)).padStart(4, '0')}@v1.${directory % 20}.0`,
      `pkg-${directory % 20}`,
    );
    if (index % FILES_PER_DIR === 0) {
      await mkdir(sub, { recursive: true });
      if (directory % 50 === 0) await mkdir(join(sub, 'empty'), { recursive: true });
    }
    const size = Math.max(1, Math.floor((total * weights[index]) / sum));
    const binary = index % 10 === 0;
    const name = `${binary ? 'testdata' : 'file'}-${index}.${binary ? 'bin' : 'go'}`;
    const content = binary ? keystream(`file/${index}`)(size) : text(random.subarray(index % 4096), size);
    await writeFile(join(sub, name), content);
    hash.update(name).update(content);
    bytes += size;
  }
  return { files, bytes, sha256: hash.digest('hex') };
}
