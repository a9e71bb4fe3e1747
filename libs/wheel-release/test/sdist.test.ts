import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildSdist } from '../src/index.js';

const PROJECT = join(import.meta.dirname, '../../../examples/wheel-release/ydemo');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wheel-release-sdist-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('buildSdist', () => {
  it('builds the pure-Python sdist with the sha baked in and the pin on the binary package', async () => {
    const name = await buildSdist({
      projectDir: PROJECT,
      outDir: dir,
      gitSha: 'fedcba9876543210fedcba9876543210fedcba98',
      buildInfoFile: 'src/ydemo/_build_info.py',
    });
    expect(name).toBe('ydemo-0.1.0.tar.gz');
    // The source tree is left as it was: the build ran on a staged copy.
    expect((await execa('git', ['status', '--porcelain', '--ignored', PROJECT])).stdout).toBe('');
    const read = async (member: string): Promise<string> =>
      (await execa('tar', ['-xzOf', join(dir, name), member])).stdout;
    expect(await read('ydemo-0.1.0/src/ydemo/_build_info.py')).toContain('GIT_SHA = "fedcba98"');
    const pkgInfo = await read('ydemo-0.1.0/PKG-INFO');
    expect(pkgInfo).toMatch(/^Version: 0\.1\.0$/m);
    expect(pkgInfo).toMatch(/^Requires-Dist: yd-core==0\.1\.0$/m);
  });

  it('gives byte-identical sdists from two builds, with the members sorted and stamped', async () => {
    const build = (outDir: string): Promise<string> =>
      buildSdist({
        projectDir: PROJECT,
        outDir,
        gitSha: 'fedcba9876543210fedcba9876543210fedcba98',
        buildInfoFile: 'src/ydemo/_build_info.py',
      });
    const digest = async (path: string): Promise<string> =>
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    const name = await build(a);
    await build(b);
    expect(await digest(join(b, name))).toBe(await digest(join(a, name)));
    const listing = (await execa('tar', ['-tvzf', join(a, name)])).stdout.split('\n');
    expect(listing.length).toBeGreaterThan(3);
    for (const line of listing) expect(line).toContain('1980-01-01');
    const members = listing.map((line) => line.split(/\s+/).at(-1)!);
    expect(members).toEqual([...members].sort());
    expect(members).toContain('ydemo-0.1.0/PKG-INFO');
  });

  it('refuses a sha that is not hex, before writing anything', async () => {
    await expect(
      buildSdist({
        projectDir: PROJECT,
        outDir: dir,
        gitSha: 'HEAD',
        buildInfoFile: 'src/ydemo/_build_info.py',
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', value: 'HEAD' });
  });
});
