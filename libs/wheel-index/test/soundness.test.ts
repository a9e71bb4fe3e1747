// Real files from PyPI, damaged the ways a transfer or a bad build damages them: the index must
// refuse each with a reason naming the member, and leave its tree exactly as it was.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, type PackyardError } from '@packyard/core';
import { addFilesToIndex, explainIndexFilename, yankFile } from '@packyard/wheel-index';
import {
  aWheel,
  anSdist,
  copyAs,
  damageMember,
  memberData,
  realDistribution,
  removeDir,
  rewriteWheel,
  tempDir,
  treeSnapshot,
} from './support.js';

const SIX = 'six==1.16.0';
const SIX_WHEEL = 'six-1.16.0-py2.py3-none-any.whl';

let work: string;
let index: string;
let six: string;
let before: string[];

beforeAll(async () => {
  six = await realDistribution(SIX);
});

beforeEach(async () => {
  work = await tempDir('sound');
  index = join(work, 'index');
  // An index that already holds another project, so a refusal has something to leave alone.
  await addFilesToIndex(index, [await aWheel(join(work, 'src'), { name: 'other', version: '1.0' })], {
    uploadTime: new Date('2024-01-02T03:04:05Z'),
  });
  before = await treeSnapshot(index);
});
afterEach(async () => {
  await removeDir(work);
});

async function refusal(promise: Promise<unknown>): Promise<PackyardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPackyardError(error)) throw new Error(`expected a PackyardError, got ${String(error)}`);
  return error;
}

describe('a real wheel (six 1.16.0 from PyPI)', () => {
  it('is accepted whole, with the sha256 of its bytes', async () => {
    expect((await memberData(six, 'six.py')).method).toBe(8);
    const result = await addFilesToIndex(index, [six]);
    expect(result.added).toEqual([SIX_WHEEL]);
    const page = JSON.parse(await readFile(join(index, 'simple/six/index.json'), 'utf8')) as {
      files: { filename: string; hashes: { sha256: string } }[];
    };
    const sha = createHash('sha256')
      .update(await readFile(six))
      .digest('hex');
    expect(page.files).toEqual([expect.objectContaining({ filename: SIX_WHEEL, hashes: { sha256: sha } })]);
  });

  it('is refused when one member’s compressed bytes are damaged, and the index is unchanged', async () => {
    const bad = await damageMember(six, 'six.py', join(work, 'bad', SIX_WHEEL));
    const error = await refusal(addFilesToIndex(index, [bad]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.file).toBe(bad);
    expect(error.field).toBe('six.py');
    expect(error.message).toMatch(/^six-1\.16\.0-py2\.py3-none-any\.whl is damaged: member six\.py: /);
    expect(await treeSnapshot(index)).toEqual(before);
  });

  it('is refused when a stored member’s CRC-32 does not match', async () => {
    const stored = await rewriteWheel(six, join(work, 'stored', SIX_WHEEL), { 'six.py': null });
    expect((await memberData(stored, 'six.py')).method).toBe(0);
    await addFilesToIndex(join(work, 'scratch'), [stored]); // still sound: stored, not damaged
    const bad = await damageMember(stored, 'six.py', join(work, 'bad', SIX_WHEEL));
    const error = await refusal(addFilesToIndex(index, [bad]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toMatch(
      /member six\.py: its data has CRC-32 0x[0-9a-f]{8}, but the zip directory records 0x[0-9a-f]{8}/,
    );
    expect(await treeSnapshot(index)).toEqual(before);
  });

  it('is refused when a member no longer matches RECORD', async () => {
    const bad = await rewriteWheel(six, join(work, 'bad', SIX_WHEEL), { 'six.py': 'print("not six")\n' });
    const error = await refusal(addFilesToIndex(index, [bad]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toMatch(
      /member six\.py: its sha256 is \S+, but six-1\.16\.0\.dist-info\/RECORD line \d+ says \S+/,
    );
    expect(await treeSnapshot(index)).toEqual(before);
  });

  it('is refused when it holds a file RECORD does not list', async () => {
    const script = join(work, 'extra.whl');
    const bad = await rewriteWheel(six, script, {});
    // Append a member with Python's zipfile in append mode: valid zip, unlisted file.
    const { runTool } = await import('@packyard/core');
    await runTool('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "a").writestr("six_extra.py", "x = 1\\n")',
      bad,
    ]);
    const named = await copyAs(bad, join(work, 'bad'), SIX_WHEEL);
    const error = await refusal(addFilesToIndex(index, [named]));
    expect(error.message).toContain('member six_extra.py: six-1.16.0.dist-info/RECORD does not list it');
    expect(await treeSnapshot(index)).toEqual(before);
  });

  it('is refused as an upload-sized batch too: one damaged file stops the batch, nothing is written', async () => {
    const good = await aWheel(join(work, 'src2'), { name: 'fine', version: '2.0' });
    const bad = await damageMember(six, 'six.py', join(work, 'bad', SIX_WHEEL));
    const error = await refusal(addFilesToIndex(index, [good, bad]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(await treeSnapshot(index)).toEqual(before);
  });
});

describe('an sdist', () => {
  it('is refused when its gzip stream is damaged, and the index is unchanged', async () => {
    const sdist = await anSdist(join(work, 'src'), { name: 'demo', version: '1.0', extra: 'x'.repeat(5000) });
    const bytes = await readFile(sdist);
    const size = (await stat(sdist)).size;
    for (let i = Math.floor(size / 2); i < Math.floor(size / 2) + 8; i += 1)
      bytes[i] = (bytes[i] as number) ^ 0xff;
    const bad = join(work, 'bad', 'demo-1.0.tar.gz');
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(work, 'bad'), { recursive: true });
    await writeFile(bad, bytes);
    const error = await refusal(addFilesToIndex(index, [bad]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toContain('demo-1.0.tar.gz is not a readable gzip-compressed tar archive');
    expect(await treeSnapshot(index)).toEqual(before);
  });
});

describe('file names at the file system’s limits', () => {
  // A build tag is the one part of a wheel name that can be made as long as one likes.
  const named = (length: number): string => {
    const fixed = 'six-1.16.0--py2.py3-none-any.whl'.length;
    return `six-1.16.0-1${'a'.repeat(length - fixed - 1)}-py2.py3-none-any.whl`;
  };

  it.each([247, 250, 255])(
    'refuses a %i-character wheel name up front, leaving no directory behind',
    async (length) => {
      const file = await copyAs(six, join(work, 'long'), named(length));
      expect(named(length)).toHaveLength(length);
      const error = await refusal(addFilesToIndex(index, [file]));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.field).toBe('filename');
      expect(error.message).toContain("a wheel's name may have at most 246 characters");
      expect(await treeSnapshot(index)).toEqual(before);
      // A new index directory is not left behind either.
      const fresh = join(work, 'fresh');
      await refusal(addFilesToIndex(fresh, [file]));
      await expect(stat(fresh)).rejects.toThrow(/ENOENT/);
    },
  );

  it('refuses a 256-character name as no distribution file name', async () => {
    expect(explainIndexFilename(named(256))).toBe('it is longer than 255 characters');
  });

  it('accepts a 246-character wheel name and writes its metadata file beside it', async () => {
    const file = await copyAs(six, join(work, 'long'), named(246));
    const result = await addFilesToIndex(index, [file]);
    expect(result.added).toEqual([named(246)]);
    expect((await stat(join(index, 'files/six', `${named(246)}.metadata`))).isFile()).toBe(true);
    // A yank rewrites the pages of that project through the same short temporary names.
    expect((await yankFile(index, named(246), { reason: 'too long' })).changed).toBe(true);
  });

  it('refuses a name whose whole path in the index would be too long', async () => {
    const deep = join(
      work,
      'd'.repeat(200),
      'e'.repeat(200),
      ...Array.from({ length: 18 }, () => 'f'.repeat(200)),
    );
    expect(explainIndexFilename(SIX_WHEEL, deep)).toMatch(/more than the 4095 a path may have$/);
    const error = await refusal(addFilesToIndex(deep, [six]));
    expect(error.code).toBe('CONFIG_INVALID');
    await expect(stat(join(work, 'd'.repeat(200)))).rejects.toThrow(/ENOENT/);
  });
});
