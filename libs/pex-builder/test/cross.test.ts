import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, sha256File } from '@packyard/core';
import { createPypiClient } from '@packyard/pypi-client';
import { execa } from 'execa';
import {
  ALL_PLATFORMS,
  buildPexBundle,
  compatibleTagSet,
  fillWheelhouse,
  fetchPlatformSupport,
  formatPlatform,
  hostPlatform,
  isWheelCompatible,
  lockRequirements,
  parsePlatform,
  parseWheelFilename,
  planSharedBuilds,
  readCompletePlatform,
  readPexContents,
  type PexBuildInput,
  type PexBundle,
  type Platform,
  type Tools,
} from '../src/index.js';
import { INDEX_URL, makeTempDir, removeTempDirs, toolsWithFreshCaches } from './helpers.js';

afterAll(removeTempDirs);

let tools: Tools;
// Where the built PEXes unpack when the tests run them, instead of the user's ~/.cache/pex.
let runEnv: Record<string, string>;

beforeAll(async () => {
  tools = await toolsWithFreshCaches();
  runEnv = { PEX_ROOT: await makeTempDir('pex-run-root') };
});

async function lock(pkg: string, version: string): Promise<string> {
  const { requirementsTxt } = await lockRequirements(tools, {
    dir: await makeTempDir(`lock-${pkg}`),
    package: pkg,
    version,
    pythonVersion: '3.11',
    indexUrl: INDEX_URL,
  });
  return requirementsTxt;
}

/** The wheels inside a PEX, from its zip listing: each one's files live under `.deps/<wheel>/`. */
async function wheelsInside(pex: string): Promise<string[]> {
  const { stdout } = await execa(tools.python, [
    '-c',
    'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))',
    pex,
  ]);
  const wheels = new Set<string>();
  for (const name of stdout.split('\n')) {
    const match = /^\.deps\/([^/]+\.whl)\//.exec(name);
    if (match) wheels.add(match[1]!);
  }
  return [...wheels].sort();
}

async function expectWheelsFor(platform: Platform, wheels: string[], python = '3.11'): Promise<void> {
  const tags = compatibleTagSet(await readCompletePlatform(platform, python));
  expect(wheels.length).toBeGreaterThan(0);
  for (const wheel of wheels) {
    expect({ wheel, compatible: isWheelCompatible(parseWheelFilename(wheel)!, tags) }).toEqual({
      wheel,
      compatible: true,
    });
    // Plainly: no wheel of the other OS, nor of the other architecture.
    for (const tag of parseWheelFilename(wheel)!.tags) {
      const plat = tag.split('-')[2]!;
      expect(plat).not.toMatch(platform.os === 'darwin' ? /linux|win/ : /macosx|win/);
      expect(plat).not.toMatch(platform.arch === 'arm64' ? /x86_64|amd64|intel/ : /aarch64|arm64$/);
    }
  }
}

describe('wait-for-it (pure Python) for all four platforms from this machine', () => {
  let requirementsTxt: string;
  const bundles = new Map<string, { outDir: string; bundle: PexBundle }>();

  function anInput(
    platform: Platform,
    outDir: string,
    overrides: Partial<PexBuildInput> = {},
  ): PexBuildInput {
    return {
      package: 'wait-for-it',
      version: '2.3.0',
      binaries: ['wait-for-it'],
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      platform,
      outDir,
      // The host too is built from its description here; the real-interpreter path is build.test.ts's.
      completePlatform: true,
      ...overrides,
    };
  }

  beforeAll(async () => {
    requirementsTxt = await lock('wait-for-it', '2.3.0');
    for (const platform of ALL_PLATFORMS) {
      const outDir = await makeTempDir(`out-${formatPlatform(platform)}`);
      bundles.set(formatPlatform(platform), {
        outDir,
        bundle: await buildPexBundle(tools, anInput(platform, outDir)),
      });
    }
  });

  it.each(ALL_PLATFORMS.map((p) => [formatPlatform(p), p] as const))(
    '%s: the tarball is named for its platform and holds its PEX and the wrapper',
    async (name) => {
      const { outDir, bundle } = bundles.get(name)!;
      expect(bundle.tarball).toBe(join(outDir, `wait-for-it-${name}.tar.gz`));
      expect(bundle.pex).toBe(join(outDir, 'root', `wait-for-it-${name}.pex`));
      expect(bundle.sha256).toBe(await sha256File(bundle.tarball));
      const { stdout } = await execa('tar', ['-tzf', bundle.tarball]);
      expect(stdout.trim().split('\n').sort()).toEqual([`wait-for-it-${name}.pex`, 'wait-for-it'].sort());
    },
  );

  it.each(ALL_PLATFORMS.map((p) => [formatPlatform(p), p] as const))(
    '%s: every wheel inside is for that platform',
    async (_name, platform) => {
      const { bundle } = bundles.get(formatPlatform(platform))!;
      const wheels = await wheelsInside(bundle.pex);
      expect(wheels.map((w) => w.split('-')[0])).toEqual(['click', 'wait_for_it']);
      await expectWheelsFor(platform, wheels);
      const contents = await readPexContents(tools, bundle.pex);
      expect(contents.distributions).toEqual(wheels);
      expect(contents.scripts).toContain('wait-for-it');
    },
  );

  it('the linux-amd64 PEX built from its description runs here through its wrapper', async () => {
    const { bundle } = bundles.get('linux-amd64')!;
    const dir = await makeTempDir('extract');
    await execa('tar', ['-xzf', bundle.tarball, '-C', dir]);
    const result = await execa('./wait-for-it', ['--help'], { cwd: dir, env: runEnv, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: wait-for-it');
  });

  it('a cross-build is reproducible: building darwin-arm64 again gives the same bytes', async () => {
    const darwinArm = parsePlatform('darwin-arm64');
    const first = bundles.get('darwin-arm64')!.bundle;
    const again = await buildPexBundle(tools, anInput(darwinArm, await makeTempDir('out-again')));
    expect(await sha256File(again.pex)).toBe(await sha256File(first.pex));
    expect(again.sha256).toBe(first.sha256);
  });

  it('a foreign platform needs no interpreter of the target version: darwin-arm64 for CPython 3.12', async () => {
    const darwinArm = parsePlatform('darwin-arm64');
    const outDir = await makeTempDir('out-py312');
    const bundle = await buildPexBundle(tools, anInput(darwinArm, outDir, { pythonVersion: '3.12' }));
    const { stdout } = await execa(tools.python, [
      '-c',
      'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).open("__main__.py").readline().decode())',
      bundle.pex,
    ]);
    expect(stdout.trim()).toBe('#!/usr/bin/env python3.12');
    await expectWheelsFor(darwinArm, await wheelsInside(bundle.pex), '3.12');
  });

  it('refuses a Python version without a shipped description, before building', async () => {
    const outDir = await makeTempDir('out-py38');
    const error = await buildPexBundle(
      tools,
      anInput(parsePlatform('linux-arm64'), outDir, { pythonVersion: '3.8' }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses a binary that is not a script of the PEX, reading its entry points', async () => {
    const outDir = await makeTempDir('out-missing');
    const error = await buildPexBundle(
      tools,
      anInput(parsePlatform('darwin-amd64'), outDir, { binaries: ['wait-for-it', 'waitforit'] }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe('the PEX has no script named "waitforit"');
    expect((error as { hint?: string }).hint).toContain('wait-for-it');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('plans all four platforms as buildable, never fetching a Windows-only dependency', async () => {
    const asked: string[] = [];
    const pypi = createPypiClient({ indexUrl: INDEX_URL });
    const plans = await fetchPlatformSupport(tools, {
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      client: {
        listVersions: (project, options) => {
          asked.push(project);
          return pypi.listVersions(project, options);
        },
      },
    });
    expect(plans.map((p) => [formatPlatform(p.platform), p.buildable, p.missing])).toEqual(
      ALL_PLATFORMS.map((p) => [formatPlatform(p), true, []]),
    );
    // click's colorama is locked with `; sys_platform == 'win32'`.
    expect(asked.sort()).toEqual(['click', 'wait-for-it']);
    // Pure wheels only: one resolve for every platform, so one cross-build serves all four.
    const keys = new Set(plans.map((p) => p.portableKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^python 3\.11\nclick==[^:]+: click-[^ ]+-py3-none-any\.whl\n/);
    expect(planSharedBuilds(plans, ALL_PLATFORMS)).toEqual([ALL_PLATFORMS]);
  });

  it('a shared cross-build is byte-identical to building each platform: linux-arm64 from the darwin-amd64 PEX', async () => {
    const linuxArm = parsePlatform('linux-arm64');
    const built = bundles.get('linux-arm64')!.bundle;
    const outDir = await makeTempDir('out-shared');
    const reused = await buildPexBundle(
      tools,
      anInput(linuxArm, outDir, { fromPex: bundles.get('darwin-amd64')!.bundle.pex }),
    );
    expect(reused.tarball).toBe(join(outDir, 'wait-for-it-linux-arm64.tar.gz'));
    expect(await sha256File(reused.pex)).toBe(await sha256File(built.pex));
    expect(reused.sha256).toBe(built.sha256);
  });

  it('refuses to reuse a PEX for a build with an interpreter, writing nothing', async () => {
    const outDir = await makeTempDir('out-shared-host');
    const error = await buildPexBundle(
      tools,
      anInput(hostPlatform(), outDir, {
        completePlatform: false,
        fromPex: bundles.get('darwin-amd64')!.bundle.pex,
      }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'INTERNAL')).toBe(true);
    expect((error as Error).message).toBe('a PEX can be reused only for a cross-build');
    expect(await readdir(outDir)).toEqual([]);
  });
});

describe('black 26.10.1 (mypyc-compiled wheels per platform)', () => {
  let requirementsTxt: string;

  beforeAll(async () => {
    requirementsTxt = await lock('black', '26.10.1');
  });

  it('plans all four platforms as buildable from wheels', async () => {
    const plans = await fetchPlatformSupport(tools, {
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
    });
    expect(plans.map((p) => [formatPlatform(p.platform), p.buildable, p.missing])).toEqual(
      ALL_PLATFORMS.map((p) => [formatPlatform(p), true, []]),
    );
    // Compiled wheels: each platform resolves on its own, so each is built.
    expect(plans.map((p) => p.portableKey)).toEqual(ALL_PLATFORMS.map(() => undefined));
    expect(planSharedBuilds(plans, ALL_PLATFORMS)).toEqual(ALL_PLATFORMS.map((p) => [p]));
  });

  it('builds darwin-arm64 with the macOS arm64 cp311 black wheel, not the Linux one', async () => {
    const darwinArm = parsePlatform('darwin-arm64');
    const bundle = await buildPexBundle(tools, {
      package: 'black',
      version: '26.10.1',
      binaries: ['black', 'blackd'],
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      platform: darwinArm,
      outDir: await makeTempDir('out-black'),
    });
    const wheels = await wheelsInside(bundle.pex);
    const black = wheels.filter((w) => w.startsWith('black-'));
    expect(black).toHaveLength(1);
    expect(black[0]).toMatch(/^black-26\.10\.1-cp311-cp311-macosx_\d+_\d+_(arm64|universal2)\.whl$/);
    await expectWheelsFor(darwinArm, wheels);
    // The compiled extension inside is a macOS one.
    const { stdout } = await execa(tools.python, [
      '-c',
      'import sys, zipfile; print("\\n".join(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith(".so")))',
      bundle.pex,
    ]);
    const extensions = stdout.trim().split('\n');
    expect(extensions.length).toBeGreaterThan(0);
    for (const so of extensions) expect(so).toMatch(/\.cpython-311-darwin\.so$/);
  });
});

describe('black 26.10.1 from a wheelhouse', () => {
  it('lists each platform’s wheels with URL and sha256, and builds byte-identically from them, offline', async () => {
    const requirementsTxt = await lock('black', '26.10.1');
    const linuxArm = parsePlatform('linux-arm64');
    const [plan] = await fetchPlatformSupport(tools, {
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      platforms: [linuxArm],
    });
    const wheels = plan!.wheels!;
    // Every wheel listed is one linux-arm64 can install, with a sha256 the lock has.
    const tags = compatibleTagSet(await readCompletePlatform(linuxArm, '3.11'));
    const lockText = await readFile(requirementsTxt, 'utf8');
    for (const wheel of wheels) {
      expect(isWheelCompatible(parseWheelFilename(wheel.filename)!, tags)).toBe(true);
      expect(lockText).toContain(`--hash=sha256:${wheel.sha256}`);
    }
    expect(wheels.some((w) => w.filename.startsWith('black-26.10.1-'))).toBe(true);
    const house = await fillWheelhouse(tools, wheels, join(await makeTempDir('house'), 'wheelhouse'));
    expect((await readdir(house)).sort()).toEqual(wheels.map((w) => w.filename).sort());
    // The cached download has the sha256 it is filed under.
    for (const wheel of wheels.slice(0, 3)) {
      expect(await sha256File(join(tools.home, 'wheels', wheel.sha256, wheel.filename))).toBe(wheel.sha256);
    }
    const input = {
      package: 'black',
      version: '26.10.1',
      binaries: ['black', 'blackd'],
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      platform: linuxArm,
    };
    const fromIndex = await buildPexBundle(tools, { ...input, outDir: await makeTempDir('out-index') });
    // An index that cannot be reached proves the wheelhouse build does not ask it.
    const fromHouse = await buildPexBundle(tools, {
      ...input,
      indexUrl: 'http://127.0.0.1:9/simple',
      findLinks: house,
      outDir: await makeTempDir('out-house'),
    });
    expect(fromHouse.sha256).toBe(fromIndex.sha256);
    expect(await sha256File(fromHouse.pex)).toBe(await sha256File(fromIndex.pex));
  });
});

describe('num2words 0.5.14, whose dependency docopt 0.6.2 is sdist-only', () => {
  let requirementsTxt: string;

  beforeAll(async () => {
    requirementsTxt = await lock('num2words', '0.5.14');
  });

  it('plans every platform as needing a native runner, naming docopt', async () => {
    const plans = await fetchPlatformSupport(tools, {
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
    });
    expect(plans.map((p) => formatPlatform(p.platform))).toEqual(ALL_PLATFORMS.map(formatPlatform));
    for (const plan of plans) {
      expect(plan.buildable).toBe(false);
      expect(plan.missing).toEqual([
        {
          name: 'docopt',
          version: '0.6.2',
          reason: `only an sdist (docopt-0.6.2.tar.gz): it must be built on a ${formatPlatform(plan.platform)} (CPython 3.11) runner`,
        },
      ]);
    }
  });

  it('a cross-build fails as planned, pointing at the plan, and leaves nothing behind', async () => {
    const outDir = await makeTempDir('out-num2words');
    const error = await buildPexBundle(tools, {
      package: 'num2words',
      version: '0.5.14',
      binaries: ['num2words'],
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      platform: parsePlatform('darwin-arm64'),
      outDir,
    }).catch((e: unknown) => e);
    expect(isPackyardError(error, 'TOOL_FAILED')).toBe(true);
    expect((error as Error).message).toContain('docopt');
    expect((error as { hint?: string }).hint).toContain('fetchPlatformSupport');
    expect(await readdir(outDir)).toEqual([]);
  });
});
