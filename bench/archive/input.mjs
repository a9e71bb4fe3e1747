// The benchmark input every archive benchmark uses: files generated from a fixed seed, so every run
// on every machine archives the same bytes.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { join, relative, sep } from 'node:path';

export const FILE_COUNT = 40;
const SEED = 'packyard-bench-archive-v1';
const WORDS = (
  'archive build cache digest entry file gzip hash index layout manifest mode name owner package ' +
  'python release sha256 sort source stream tar target time version wheel write zero deterministic ' +
  'reproducible header content bytes pipeline compress level epoch'
).split(' ');

/**
 * Writes FILE_COUNT files totalling `total` bytes: even-numbered files are AES-256-CTR keystream
 * (incompressible; key and IV are sha256 of the seed and the file index), odd-numbered files are
 * lines of words picked by that keystream (compresses about 5x). Returns the input's sha256.
 */
export async function writeInput(dir, total) {
  const hash = createHash('sha256');
  // Sizes vary (1x to 3x of the smallest) so the archive holds both small and large members.
  const weights = Array.from({ length: FILE_COUNT }, (_, index) => 1 + (index % 5) * 0.5);
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  let written = 0;
  for (let index = 0; index < FILE_COUNT; index += 1) {
    const size =
      index === FILE_COUNT - 1 ? total - written : Math.floor((total * (weights[index] ?? 1)) / weightSum);
    const stream = keystream(index);
    const bytes = index % 2 === 0 ? stream(size) : textFrom(stream, size);
    const name = join(
      dir,
      `group-${index % 4}`,
      `${index % 2 === 0 ? 'blob' : 'text'}-${String(index).padStart(2, '0')}`,
    );
    await mkdir(join(dir, `group-${index % 4}`), { recursive: true });
    await writeFile(name, bytes, { mode: 0o644 });
    hash.update(bytes);
    written += size;
  }
  return { bytes: written, sha256: hash.digest('hex') };
}

function keystream(index) {
  const key = createHash('sha256').update(`${SEED}/key/${index}`).digest();
  const iv = createHash('sha256').update(`${SEED}/iv/${index}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return (length) => cipher.update(Buffer.alloc(length));
}

function textFrom(stream, size) {
  const random = stream(size); // one random byte per output byte is plenty
  const out = Buffer.alloc(size);
  let at = 0;
  let pick = 0;
  while (at < size) {
    const word = WORDS[(random[pick] ?? 0) % WORDS.length] ?? 'x';
    const end = (random[pick + 1] ?? 0) % 12 === 0 ? '\n' : ' ';
    pick = (pick + 2) % size;
    at += out.write(word + end, at);
  }
  return out;
}

export async function listEntries(dir) {
  const entries = [];
  for (const dirent of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!dirent.isFile()) continue;
    const path = join(dirent.parentPath ?? dirent.path, dirent.name);
    entries.push({ name: relative(dir, path).split(sep).join('/'), source: { path } });
  }
  return entries;
}
