import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildWheels } from '../src/index.js';

const CRATE = join(import.meta.dirname, '../../../examples/wheel-release/yd-core');
const SHA = '0123456789abcdef0123456789abcdef01234567';

let dir: string;
let wheels: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wheel-release-build-'));
  wheels = await buildWheels({
    crateDir: CRATE,
    platforms: ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'],
    outDir: join(dir, 'out'),
    gitSha: SHA,
    cargoTargetDir: join(dir, 'target'),
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('buildWheels (maturin --zig from one Linux runner)', () => {
  it('builds one wheel per platform, tagged for it', () => {
    expect(wheels).toEqual([
      'yd_core-0.1.0-py3-none-macosx_10_12_x86_64.whl',
      'yd_core-0.1.0-py3-none-macosx_11_0_arm64.whl',
      'yd_core-0.1.0-py3-none-manylinux2014_aarch64.manylinux_2_17_aarch64.whl',
      'yd_core-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
    ]);
  });

  it('bakes the version and the 8-hex sha into the binary', async () => {
    const wheel = join(dir, 'out', 'yd_core-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl');
    await execa('python3', ['-m', 'zipfile', '-e', wheel, join(dir, 'x86')]);
    const yd = join(dir, 'x86', 'yd_core-0.1.0.data', 'scripts', 'yd');
    await execa('chmod', ['+x', yd]);
    expect((await execa(yd, ['--version'])).stdout).toBe('yd 0.1.0 (01234567)');
  });
});
