import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { git, run, type Run } from './helpers.js';

// The example project, built for real through the CLI: one platform (the slow part is cargo), then
// the same build again to show the wheel comes out byte-identical.
const EXAMPLE = join(import.meta.dirname, '../../../examples/wheel-release');
const WHEEL = 'yd_core-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl';
const SDIST = 'ydemo-0.1.0.tar.gz';

let root: string;
let sha: string;
let first: Run;

async function digest(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wheel-release-build-'));
  await cp(EXAMPLE, join(root, 'project'), {
    recursive: true,
    filter: (src) => !/[/\\](target|_build_info\.py)$/.test(src),
  });
  const project = join(root, 'project');
  await git(project, 'init', '-q', '-b', 'main');
  await git(project, 'add', '-A');
  await git(project, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
  sha = await git(project, 'rev-parse', 'HEAD');
  first = await run(['build', '--dir', 'project', '--platforms', 'linux-amd64', '--json'], {
    cwd: root,
    env: process.env,
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('wheel-release build (maturin --zig and python -m build, for real)', () => {
  it('builds the platform wheel and the sdist into dist/wheel-release, at the checkout commit', () => {
    expect(first.stderr).not.toContain('error:');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      version: '0.1.0',
      gitSha: sha,
      out: join(root, 'dist/wheel-release'),
      wheels: [WHEEL],
      sdist: SDIST,
    });
  });

  it('bakes the version and the commit into the binary and the sdist', async () => {
    const unpacked = join(root, 'unpacked');
    await execa('python3', ['-m', 'zipfile', '-e', join(root, 'dist/wheel-release', WHEEL), unpacked]);
    const yd = join(unpacked, 'yd_core-0.1.0.data/scripts/yd');
    await execa('chmod', ['+x', yd]);
    expect((await execa(yd, ['--version'])).stdout).toBe(`yd 0.1.0 (${sha.slice(0, 8)})`);
    const info = await execa('tar', [
      '-xzOf',
      join(root, 'dist/wheel-release', SDIST),
      'ydemo-0.1.0/src/ydemo/_build_info.py',
    ]);
    expect(info.stdout).toContain(`GIT_SHA = "${sha.slice(0, 8)}"`);
  });

  it('a second build gives a byte-identical wheel', async () => {
    const out = join(root, 'dist/wheel-release');
    const before = await digest(join(out, WHEEL));
    const again = await run(['build', '--dir', 'project', '--platforms', 'linux-amd64'], {
      cwd: root,
      env: process.env,
    });
    expect(again.code).toBe(0);
    expect(await digest(join(out, WHEEL))).toBe(before);
  });

  it('refuses to build when a place disagrees (exit 5, as documented), writing nothing', async () => {
    const init = join(root, 'project/ydemo/src/ydemo/__init__.py');
    const text = await readFile(init, 'utf8');
    await execa('sh', ['-c', `sed -i 's/0.1.0/0.0.9/' "$0"`, init]);
    try {
      const refused = await run(['build', '--dir', 'project', '--out', 'other'], {
        cwd: root,
        env: process.env,
      });
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('ydemo/src/ydemo/__init__.py: __version__');
      await expect(readFile(join(root, 'other', SDIST))).rejects.toThrow();
    } finally {
      await execa('sh', ['-c', 'cat > "$0"', init], { input: text });
    }
  });
});
