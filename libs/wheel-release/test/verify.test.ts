import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { PackyardError } from '@packyard/core';
import { assertVerified, verifyRelease, type VerifyInput, type VerifyResult } from '../src/index.js';
import { FIXTURE_SHA, exampleReleaseDir } from './fixture-paths.js';

const REWRITE = join(import.meta.dirname, 'fixtures/rewrite_dist.py');
const SETUP_QEMU = join(import.meta.dirname, '../../../tools/scripts/setup-qemu-user.sh');
const SHA = FIXTURE_SHA;
const PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'];

const X86 = 'yd_core-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl';
const ARM = 'yd_core-0.1.0-py3-none-manylinux2014_aarch64.manylinux_2_17_aarch64.whl';
const MAC_X86 = 'yd_core-0.1.0-py3-none-macosx_10_12_x86_64.whl';
const MAC_ARM = 'yd_core-0.1.0-py3-none-macosx_11_0_arm64.whl';
const SDIST = 'ydemo-0.1.0.tar.gz';
const BIN = 'yd_core-0.1.0.data/scripts/yd';
const META = 'yd_core-0.1.0.dist-info/METADATA';
const WHEEL = 'yd_core-0.1.0.dist-info/WHEEL';

let root: string;
let good: string;
let copies = 0;

function input(dir: string, extra: Partial<VerifyInput> = {}): VerifyInput {
  return {
    dir,
    version: '0.1.0',
    wheels: { project: 'yd-core', platforms: PLATFORMS, binaries: ['yd'] },
    sdist: { project: 'ydemo', command: 'ydemo' },
    gitSha: SHA,
    // The broken copies are checked structurally; the good set runs the install test.
    installTest: false,
    ...extra,
  };
}

/** A copy of the good release directory, without the files in `drop`. */
async function copyOfGood(drop: string[] = []): Promise<string> {
  const dir = join(root, `case-${++copies}`);
  await mkdir(dir);
  for (const name of await readdir(good))
    if (!drop.includes(name)) await copyFile(join(good, name), join(dir, name));
  return dir;
}

/** Rewrites a real distribution with Python's zipfile / tarfile (see fixtures/rewrite_dist.py). */
async function rewrite(
  src: string,
  dst: string,
  edits: Record<string, [string, string][]>,
  fixRecord = true,
  add: Record<string, string> = {},
  replaceWithFile: Record<string, string> = {},
): Promise<void> {
  await execa('python3', [
    REWRITE,
    JSON.stringify({ src, dst, edits, fix_record: fixRecord, add, replace_with_file: replaceWithFile }),
  ]);
}

/** The yd binary inside one of the good wheels, read with Python's zipfile. */
async function binaryOf(wheel: string): Promise<Buffer> {
  const { stdout } = await execa(
    'python3',
    [
      '-c',
      'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
      join(good, wheel),
      BIN,
    ],
    { encoding: 'buffer' },
  );
  return Buffer.from(stdout);
}

/** A fat (universal) Mach-O of thin slices, as lipo lays it out (<mach-o/fat.h>, big-endian, 2^14 alignment). */
function fatMachO(slices: Buffer[]): Buffer {
  const align = 1 << 14;
  const header = Buffer.alloc(8 + 20 * slices.length);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt32BE(slices.length, 4);
  const parts: Buffer[] = [header];
  let offset = align;
  slices.forEach((slice, i) => {
    const at = 8 + 20 * i;
    header.writeUInt32BE(slice.readUInt32LE(4), at); // cputype
    header.writeUInt32BE(slice.readUInt32LE(8), at + 4); // cpusubtype
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(slice.length, at + 12);
    header.writeUInt32BE(14, at + 16);
    const used = parts.reduce((n, p) => n + p.length, 0);
    parts.push(Buffer.alloc(offset - used), slice);
    offset = Math.ceil((offset + slice.length) / align) * align;
  });
  return Buffer.concat(parts);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wheel-release-verify-test-'));
  // Built once by `nx run wheel-release-lib:fixtures`, which the test target depends on.
  good = exampleReleaseDir();
  // The project's own set-up: qemu-user and the arm64 loader, so the arm64 binary runs here.
  await execa('bash', [SETUP_QEMU]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('verifyRelease on the example release', () => {
  let result: VerifyResult;

  beforeAll(async () => {
    result = await verifyRelease(input(good, { installTest: true }));
  });

  it('finds no problem in the good set, and the install test ran natively and under qemu', () => {
    expect(result.problems).toEqual([]);
    expect(result.checks).toEqual(
      expect.arrayContaining(['twine-check', 'install:linux-amd64', 'run:linux-arm64 (qemu-aarch64)']),
    );
    expect(result.checks.filter((c) => c.includes('not run'))).toEqual([]);
  });

  it("reports each file's platform, sha256 and size", async () => {
    expect(result.files.map((f) => [f.name, f.platform])).toEqual([
      [MAC_X86, 'darwin-amd64'],
      [MAC_ARM, 'darwin-arm64'],
      [ARM, 'linux-arm64'],
      [X86, 'linux-amd64'],
      [SDIST, undefined],
    ]);
    const bytes = await readFile(join(good, X86));
    const x86 = result.files.find((f) => f.name === X86)!;
    expect(x86.size).toBe(bytes.length);
    expect(x86.sha256).toBe((await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'));
  });

  it('checks the sha every --version prints: another commit fails the binaries and the command', async () => {
    const other = await verifyRelease(input(good, { installTest: true, gitSha: 'fedcba9876543210' }));
    expect(other.problems).toEqual([
      {
        file: X86,
        check: 'version-output',
        message: 'yd --version printed "yd 0.1.0 (01234567)"; expected "yd 0.1.0 (fedcba98)"',
      },
      {
        file: SDIST,
        check: 'version-output',
        message: 'ydemo --version printed "ydemo 0.1.0 (01234567)"; expected "ydemo 0.1.0 (fedcba98)"',
      },
      {
        file: ARM,
        check: 'version-output',
        message:
          'under qemu-aarch64: yd --version printed "yd 0.1.0 (01234567)"; expected "yd 0.1.0 (fedcba98)"',
      },
    ]);
  });
});

describe('verifyRelease on broken artifacts derived from the real ones', () => {
  it('a wheel tagged arm64 whose binary is x86-64', async () => {
    const dir = await copyOfGood([ARM]);
    await rewrite(join(good, X86), join(dir, ARM), { [WHEEL]: [['x86_64', 'aarch64']] });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: ARM,
        check: 'binary-arch',
        message: `${BIN}: the binary is ELF64 x86-64, but the platform tag manylinux2014_aarch64, manylinux_2_17_aarch64 needs AArch64`,
      },
    ]);
  });

  it("the host's x86-64 binary packaged outside scripts in the arm64 wheel (an `include` of target/release)", async () => {
    const dir = await copyOfGood([ARM]);
    const host = join(root, 'yd-x86');
    await writeFile(host, await binaryOf(X86));
    await rewrite(
      join(good, ARM),
      join(dir, ARM),
      {},
      true,
      { 'yd_core/bin/yd': '' },
      { 'yd_core/bin/yd': host },
    );
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: ARM,
        check: 'binary-arch',
        message:
          'yd_core/bin/yd: the binary is ELF64 x86-64, but the platform tag manylinux2014_aarch64, manylinux_2_17_aarch64 needs AArch64',
      },
    ]);
  });

  it('a symlink member and a data descriptor: PyPI refuses both', async () => {
    const dir = await copyOfGood([X86]);
    await execa('python3', [
      '-c',
      `import sys, zipfile
src, dst = sys.argv[1:3]
class Stream:
    def __init__(self, f): self.f = f
    def write(self, b): return self.f.write(b)
    def flush(self): pass
with zipfile.ZipFile(src) as z, open(dst, "wb") as f, zipfile.ZipFile(Stream(f), "w") as out:
    for info in z.infolist():
        data = z.read(info)
        if info.filename == "${BIN}":
            info.external_attr = 0o120777 << 16
        out.writestr(info, data)`,
      join(good, X86),
      join(dir, X86),
    ]);
    const checks = (await verifyRelease(input(dir))).problems.map((p) => [p.file, p.check]);
    expect(checks).toContainEqual([X86, 'archive-symlink']);
    expect(checks).toContainEqual([X86, 'zip-data-descriptor']);
  });

  it('a wheel missing for one platform', async () => {
    const dir = await copyOfGood([MAC_X86]);
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: dir,
        check: 'platform-missing',
        message: 'no wheel for platform darwin-amd64 (x86_64-apple-darwin)',
      },
    ]);
  });

  it('a duplicate wheel for one platform', async () => {
    const dir = await copyOfGood();
    const second = 'yd_core-0.1.0-1-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl';
    await copyFile(join(good, X86), join(dir, second));
    const { problems } = await verifyRelease(input(dir));
    const message = `one of 2 wheels for platform linux-amd64: ${second}, ${X86}`;
    expect(problems).toEqual([
      { file: second, check: 'platform-duplicate', message },
      { file: X86, check: 'platform-duplicate', message },
    ]);
  });

  it('a wheel for a platform the release does not configure', async () => {
    const dir = await copyOfGood();
    const { problems } = await verifyRelease(
      input(dir, {
        wheels: { project: 'yd-core', platforms: ['linux-amd64', 'linux-arm64'], binaries: ['yd'] },
      }),
    );
    expect(problems).toEqual([
      {
        file: MAC_X86,
        check: 'platform-unconfigured',
        message: 'platform darwin-amd64 is not configured (linux-amd64, linux-arm64)',
      },
      {
        file: MAC_ARM,
        check: 'platform-unconfigured',
        message: 'platform darwin-arm64 is not configured (linux-amd64, linux-arm64)',
      },
    ]);
  });

  it('a wrong Version in METADATA, RECORD fixed up: the metadata check fires', async () => {
    const dir = await copyOfGood([MAC_ARM]);
    await rewrite(join(good, MAC_ARM), join(dir, MAC_ARM), {
      [META]: [['Version: 0.1.0', 'Version: 0.1.1']],
    });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: MAC_ARM,
        check: 'metadata-version',
        message: `${META} has Version 0.1.1, but the file name says 0.1.0 (PyPI refuses such uploads)`,
      },
    ]);
  });

  it('a wrong Version in METADATA, RECORD not fixed up: RECORD fires too', async () => {
    const dir = await copyOfGood([MAC_ARM]);
    await rewrite(
      join(good, MAC_ARM),
      join(dir, MAC_ARM),
      { [META]: [['Version: 0.1.0', 'Version: 0.1.1']] },
      false,
    );
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: MAC_ARM,
        check: 'record',
        message: expect.stringMatching(
          new RegExp(
            `^${META} has sha256 [\\w-]{43}, but yd_core-0.1.0.dist-info/RECORD line \\d says [\\w-]{43}$`,
          ),
        ) as string,
      },
      {
        file: MAC_ARM,
        check: 'metadata-version',
        message: `${META} has Version 0.1.1, but the file name says 0.1.0 (PyPI refuses such uploads)`,
      },
    ]);
  });

  it('an sdist whose pin on the binary package is another version', async () => {
    const dir = await copyOfGood([SDIST]);
    await rewrite(join(good, SDIST), join(dir, SDIST), {
      'ydemo-0.1.0/PKG-INFO': [['Requires-Dist: yd-core==0.1.0', 'Requires-Dist: yd-core==0.1.1']],
    });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: SDIST,
        check: 'sdist-pin',
        message: 'PKG-INFO has Requires-Dist "yd-core==0.1.1"; expected yd-core==0.1.0',
      },
    ]);
  });

  it("twine check --strict's findings are problems: a README that PyPI cannot render", async () => {
    const dir = await copyOfGood([MAC_ARM]);
    await rewrite(join(good, MAC_ARM), join(dir, MAC_ARM), {
      [META]: [
        ['text/markdown; charset=UTF-8; variant=GFM', 'text/x-rst'],
        ['# yd-core', '`yd-core\n\n.. image::'],
      ],
    });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: MAC_ARM,
        check: 'twine',
        message: expect.stringMatching(
          /^ERROR `long_description` has syntax errors in markup and would not be rendered on PyPI\./,
        ) as string,
      },
    ]);
  });

  it('a corrupt (truncated) zip is a problem naming the file, and the rest is still checked', async () => {
    const dir = await copyOfGood();
    await truncate(join(dir, MAC_X86), 50_000);
    await writeFile(join(dir, 'notes.txt'), 'not counted');
    const { problems, checks } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: MAC_X86,
        check: 'zip-malformed',
        message:
          'no end-of-central-directory record: not a zip archive, or truncated (PyPI refuses such uploads)',
      },
    ]);
    expect(checks).toContain('twine-check');
  });

  it('a member whose path leaves the install directory', async () => {
    const dir = await copyOfGood([X86]);
    await rewrite(join(good, X86), join(dir, X86), {}, true, { '../../etc/yd.conf': 'x' });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      { file: X86, check: 'archive-path', message: 'member ../../etc/yd.conf is absolute or holds ".."' },
    ]);
  });

  it('a glibc level too low in the tag', async () => {
    const dir = await copyOfGood([X86]);
    const low = 'yd_core-0.1.0-py3-none-manylinux_2_12_x86_64.whl';
    await rewrite(join(good, X86), join(dir, low), {
      [WHEEL]: [
        [
          'Tag: py3-none-manylinux2014_x86_64\nTag: py3-none-manylinux_2_17_x86_64',
          'Tag: py3-none-manylinux_2_12_x86_64',
        ],
      ],
    });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: low,
        check: 'glibc-level',
        message: `${BIN}: the binary needs GLIBC_2.16, newer than glibc 2.12 that manylinux_2_12_x86_64 promises`,
      },
    ]);
  });

  it('a glibc binary under a musllinux tag', async () => {
    const dir = await copyOfGood([X86]);
    const musl = 'yd_core-0.1.0-py3-none-musllinux_1_2_x86_64.whl';
    await rewrite(join(good, X86), join(dir, musl), {
      [WHEEL]: [
        [
          'Tag: py3-none-manylinux2014_x86_64\nTag: py3-none-manylinux_2_17_x86_64',
          'Tag: py3-none-musllinux_1_2_x86_64',
        ],
      ],
    });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: musl,
        check: 'libc',
        message: `${BIN}: the binary is linked against glibc (/lib64/ld-linux-x86-64.so.2), but musllinux_1_2_x86_64 promises musl`,
      },
    ]);
  });

  it("a macOS tag lower than the binary's minimum", async () => {
    const dir = await copyOfGood([MAC_ARM]);
    const low = 'yd_core-0.1.0-py3-none-macosx_10_9_arm64.whl';
    await rewrite(join(good, MAC_ARM), join(dir, low), {
      [WHEEL]: [['macosx_11_0_arm64', 'macosx_10_9_arm64']],
    });
    const { problems } = await verifyRelease(input(dir));
    expect(problems).toEqual([
      {
        file: low,
        check: 'macos-min',
        message: `${BIN}: the arm64 binary needs macOS 11.0, newer than the 10.9 that macosx_10_9_arm64 promises`,
      },
    ]);
  });

  it('collects every problem at once, and assertVerified lists each with its file', async () => {
    const dir = await copyOfGood([MAC_X86, SDIST]);
    await rewrite(join(good, SDIST), join(dir, SDIST), {
      'ydemo-0.1.0/PKG-INFO': [['Version: 0.1.0', 'Version: 0.2.0']],
    });
    const result = await verifyRelease(input(dir));
    expect(result.problems.map((p) => [p.file, p.check])).toEqual([
      [dir, 'platform-missing'],
      [SDIST, 'metadata-version'],
    ]);
    let thrown: unknown;
    try {
      assertVerified(result);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PackyardError);
    expect(thrown).toMatchObject({ code: 'VERIFY_FAILED' });
    expect((thrown as Error).message).toBe(
      [
        'the release failed verification (2 problems):',
        `  ${dir}: platform-missing: no wheel for platform darwin-amd64 (x86_64-apple-darwin)`,
        `  ${SDIST}: metadata-version: PKG-INFO has Version 0.2.0, not the release version 0.1.0`,
      ].join('\n'),
    );
    expect(() => assertVerified({ files: [], problems: [], checks: [] })).not.toThrow();
  });

  it('a universal2 wheel with a fat Mach-O stands for both macOS platforms; a thin binary under it does not', async () => {
    const universal = 'yd_core-0.1.0-py3-none-macosx_11_0_universal2.whl';
    const tag = [[WHEEL, 'macosx_11_0_arm64', 'macosx_11_0_universal2']] as const;
    const fat = join(root, 'yd-universal');
    await writeFile(fat, fatMachO([await binaryOf(MAC_X86), await binaryOf(MAC_ARM)]));
    const dir = await copyOfGood([MAC_X86, MAC_ARM]);
    await rewrite(
      join(good, MAC_ARM),
      join(dir, universal),
      { [WHEEL]: [[tag[0][1], tag[0][2]]] },
      true,
      {},
      {
        [BIN]: fat,
      },
    );
    const result = await verifyRelease(input(dir));
    expect(result.problems).toEqual([]);
    expect(result.files.find((f) => f.name === universal)?.platform).toBe('darwin-amd64+darwin-arm64');

    const thin = await copyOfGood([MAC_X86, MAC_ARM]);
    await rewrite(join(good, MAC_ARM), join(thin, universal), { [WHEEL]: [[tag[0][1], tag[0][2]]] });
    expect((await verifyRelease(input(thin))).problems).toEqual([
      {
        file: universal,
        check: 'binary-arch',
        message: `${BIN}: the binary is Mach-O arm64, but the platform tag macosx_11_0_universal2 needs x86_64`,
      },
    ]);
  });

  it('throws only when it cannot run: no directory, or a release version that is not PEP 440', async () => {
    await expect(verifyRelease(input(join(root, 'absent')))).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      file: join(root, 'absent'),
    });
    await expect(verifyRelease(input(good, { version: 'one' }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'version',
      value: 'one',
    });
  });
});
