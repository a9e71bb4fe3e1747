import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GoldenMismatchError,
  captureCli,
  fileDigests,
  goldenFiles,
  treeSnapshot,
  withHangGuard,
} from '../src/index.js';

const aDir = () => mkdtemp(join(tmpdir(), 'packyard-test-helpers-'));

describe('captureCli', () => {
  it('captures both streams and the exit code', async () => {
    const run = await captureCli(async ({ stdout, stderr }) => {
      stdout('out ');
      stderr('err');
      stdout('more');
      return 3;
    });
    expect(run).toEqual({ code: 3, stdout: 'out more', stderr: 'err' });
  });

  it('reports a hang with the last output, and passes a finished run through', async () => {
    await expect(
      withHangGuard(new Promise(() => {}), { ms: 10, what: 'demo' }, () => 'a\nb\n'),
    ).rejects.toThrow(/demo hung: .*\na\nb$/);
    await expect(withHangGuard(Promise.resolve(5), { ms: 60_000, what: 'demo' }, () => '')).resolves.toBe(5);
  });
});

describe('goldenFiles', () => {
  it('passes on identical bytes, names the first differing line, and rewrites with UPDATE_GOLDEN=1', async () => {
    const dir = await aDir();
    await writeFile(join(dir, 'page.golden'), 'one\ntwo\n');
    const expectGolden = goldenFiles(dir, { suffix: '.golden', env: {} });
    await expectGolden('page', 'one\ntwo\n');
    const error = await expectGolden('page', 'one\nTWO\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoldenMismatchError);
    expect((error as Error).message).toContain('at line 2');
    await expect(expectGolden('missing', 'x')).rejects.toThrow(/missing golden file/);
    await goldenFiles(dir, { suffix: '.golden', env: { UPDATE_GOLDEN: '1' } })('new/page', 'fresh\n');
    expect(await readFile(join(dir, 'new', 'page.golden'), 'utf8')).toBe('fresh\n');
  });
});

describe('treeSnapshot', () => {
  it('lists directories and file digests in order, leaving out lock files', async () => {
    const dir = await aDir();
    await mkdir(join(dir, 'b', 'empty'), { recursive: true });
    await writeFile(join(dir, 'a.txt'), 'a');
    await writeFile(join(dir, 'b', 'x.lock'), '');
    const sha = 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb';
    expect(await treeSnapshot(dir)).toEqual([`a.txt ${sha}`, 'b/', 'b/empty/']);
    expect(await fileDigests(dir)).toEqual({ 'a.txt': sha });
  });
});
