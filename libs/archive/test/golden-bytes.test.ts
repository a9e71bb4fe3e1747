// Pins the exact bytes of a .tar.xz and a .tar.zst made from a fixed tree. The bytes depend only on
// packyard's code and the liblzma and zstd bundled in the lzma-native and zstd-napi pins, so any
// change to how the tar stream is produced, compressed or written shows up here.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTreeEntries, writeArchive } from '@packyard/archive';

let root: string;
let tree: string;

/** Bytes from a fixed seed (AES-256-CTR keystream): the same on every machine. */
function seeded(label: string, length: number): Buffer {
  const key = createHash('sha256').update(`golden/${label}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** Text that compresses: words picked by the seeded bytes. */
function seededText(label: string, length: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'package', 'module', 'return', 'value\n'];
  const random = seeded(label, length);
  const parts: string[] = [];
  let size = 0;
  for (let index = 0; size < length; index++) {
    const word = words[random[index % length]! % words.length]!;
    parts.push(word);
    size += word.length + 1;
  }
  return Buffer.from(parts.join(' ').slice(0, length));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'packyard-golden-'));
  tree = join(root, 'tree');
  // Many small files (several tar chunks), one file above the 1 MiB streaming threshold, an
  // executable, an empty directory, a long name (pax) and a name that is not UTF-8.
  for (let dir = 0; dir < 6; dir++) {
    await mkdir(join(tree, `pkg${dir}`, 'testdata'), { recursive: true });
    for (let file = 0; file < 20; file++) {
      const label = `${dir}/${file}`;
      const body = file % 5 === 0 ? seeded(label, 3000 + file * 700) : seededText(label, 2000 + file * 900);
      await writeFile(join(tree, `pkg${dir}`, file % 5 === 0 ? 'testdata' : '', `f${file}.go`), body);
    }
  }
  await writeFile(join(tree, 'big.bin'), Buffer.concat([seeded('big', 600_000), seededText('big', 500_000)]));
  await writeFile(join(tree, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await mkdir(join(tree, 'empty'));
  const longDirectory = join(tree, ...Array<string>(6).fill('long-directory-name'));
  await mkdir(longDirectory, { recursive: true });
  await writeFile(join(longDirectory, 'file.txt'), 'long\n');
  await writeFile(Buffer.from(`${tree}/caf\xe9.txt`, 'latin1'), 'latin-1 name\n');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.each([
  ['golden.tar.zst', 3, 'e7cb37d5dce3c5272a1eed0480963d2425e24652d3678ee4b13981107fd62e13'],
  ['golden.tar.xz', 6, '0480ec953c1fee5aa941c21a90e043df84a9d7d950bfdb0716629a8a34b4aeca'],
])('%s at level %d', (name, level, expected) => {
  it('has the pinned sha256', async () => {
    const entries = await readTreeEntries(tree, { emptyDirectories: true });
    const result = await writeArchive(join(root, name), entries, { mtime: 1_600_000_000, level });
    const sha256 = createHash('sha256')
      .update(await readFile(result.path))
      .digest('hex');
    expect(result.sha256).toBe(sha256);
    expect(`${name} ${sha256}`).toBe(`${name} ${expected}`);
  });
});
