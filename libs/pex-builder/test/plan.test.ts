import { isPackyardError } from '@packyard/core';
import {
  ALL_PLATFORMS,
  compatibleTagSet,
  isWheelCompatible,
  parseLockedRequirements,
  parsePlatform,
  parseWheelFilename,
  planPlatformSupport,
  planSharedBuilds,
  readCompletePlatform,
  type CompletePlatform,
  type Platform,
  type PlatformSupportContext,
  type ProjectFile,
} from '../src/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

// The shape `uv pip compile --universal --generate-hashes --no-header` writes.
const UV_LOCK = `click==8.1.8 \\
    --hash=sha256:63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2 \\
    --hash=sha256:ed53c9d8990d83c2a27deae68e4ee337473f6330c040a31d4225c9574d16096a
    # via wait-for-it
colorama==0.4.6 ; sys_platform == 'win32' \\
    --hash=sha256:08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44 \\
    --hash=sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6
    # via click
exceptiongroup==1.2.2 ; python_full_version < '3.11' \\
    --hash=sha256:3111b9d131c238bec2f8f516e123e14ba243563fb135d3fe885990585aa7795b
    # via anyio
wait-for-it==2.3.0 \\
    --hash=sha256:0cd2ee5eb57a5e8d2b6fb2d8bd2376f86f51fbcc0a22c9a38ce1dd0f80b4e2d2
    # via -r requirements.in
`;

describe('parseLockedRequirements', () => {
  it('reads pins and markers from a uv lock with hashes and comments', () => {
    expect(parseLockedRequirements(UV_LOCK)).toEqual([
      { name: 'click', version: '8.1.8' },
      { name: 'colorama', version: '0.4.6', marker: "sys_platform == 'win32'" },
      { name: 'exceptiongroup', version: '1.2.2', marker: "python_full_version < '3.11'" },
      { name: 'wait-for-it', version: '2.3.0' },
    ]);
  });

  it('accepts lines without hashes, extras, CRLF line ends and blank lines', () => {
    const text =
      '# a comment\r\n\r\nBlack[d]==26.10.1 ; python_version >= "3.9"   # trailing\r\nzipp===3.20\r\n';
    expect(parseLockedRequirements(text)).toEqual([
      { name: 'Black', version: '26.10.1', marker: 'python_version >= "3.9"' },
      { name: 'zipp', version: '3.20' },
    ]);
  });

  it('ends a continuation at a comment line, as pip does', () => {
    const text = 'six==1.16.0 \\\n# via x\nidna==3.10\n';
    expect(parseLockedRequirements(text)).toEqual([
      { name: 'six', version: '1.16.0' },
      { name: 'idna', version: '3.10' },
    ]);
  });

  it.each([
    ['click>=8', 'is not an exact pin'],
    ['click', 'is not an exact pin'],
    ['foo @ https://example.com/foo-1.0.tar.gz', 'is not an exact pin'],
    ['click==8.1.8 ;', 'is not an exact pin'],
    ['-e ./local', 'is not a locked requirement'],
    ['--index-url https://example.com/simple', 'is not a locked requirement'],
    ['click==8.1.8 --no-binary=:all:', 'is not a locked requirement'],
  ])('refuses %j, naming the line', (line, message) => {
    const error = thrown(() => parseLockedRequirements(`six==1.16.0\n${line}\n`));
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe(`requirements line 2 ${message}`);
  });
});

describe('parseWheelFilename', () => {
  it('expands compressed tag sets', () => {
    expect(parseWheelFilename('six-1.16.0-py2.py3-none-any.whl')).toEqual({
      name: 'six',
      version: '1.16.0',
      tags: ['py2-none-any', 'py3-none-any'],
    });
    expect(
      parseWheelFilename(
        'black-26.10.1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
      )?.tags,
    ).toEqual([
      'cp311-cp311-manylinux2014_x86_64',
      'cp311-cp311-manylinux_2_17_x86_64',
      'cp311-cp311-manylinux_2_28_x86_64',
    ]);
  });

  it('reads a build tag and lower-cases tags', () => {
    expect(parseWheelFilename('foo_bar-1.0-1local-CP39-ABI3-MACOSX_11_0_ARM64.whl')).toEqual({
      name: 'foo_bar',
      version: '1.0',
      build: '1local',
      tags: ['cp39-abi3-macosx_11_0_arm64'],
    });
  });

  it.each([
    'six-1.16.0.tar.gz',
    'six-1.16.0-py3-none.whl',
    'six-1.16.0-x-py3-none-any.whl',
    'a-b-c-d-e-f-g.whl',
    'six-1.16.0-py3-none-.whl',
    'six-1.16.0-py3..py2-none-any.whl',
  ])('is undefined for %j', (name) => {
    expect(parseWheelFilename(name)).toBeUndefined();
  });
});

describe('with the shipped platform descriptions', () => {
  const descriptions = new Map<string, CompletePlatform>();
  const descriptions312 = new Map<string, CompletePlatform>();
  const darwinArm = parsePlatform('darwin-arm64');
  const darwinIntel = parsePlatform('darwin-amd64');
  const linuxArm = parsePlatform('linux-arm64');
  const linuxIntel = parsePlatform('linux-amd64');

  beforeAll(async () => {
    for (const platform of ALL_PLATFORMS) {
      descriptions.set(`${platform.os}-${platform.arch}`, await readCompletePlatform(platform, '3.11'));
      descriptions312.set(`${platform.os}-${platform.arch}`, await readCompletePlatform(platform, '3.12'));
    }
  });

  function contextFor(platform: Platform, markers: Record<string, boolean> = {}): PlatformSupportContext {
    return {
      completePlatform: descriptions.get(`${platform.os}-${platform.arch}`)!,
      markers: new Map(Object.entries(markers)),
    };
  }

  function files(...names: string[]): ProjectFile[] {
    return names.map((filename) => ({ filename }));
  }

  describe('isWheelCompatible', () => {
    const cases: Array<[string, string[]]> = [
      ['click-8.1.8-py3-none-any.whl', ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64']],
      ['six-1.16.0-py2.py3-none-any.whl', ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64']],
      ['black-26.10.1-cp311-cp311-macosx_11_0_arm64.whl', ['darwin-arm64']],
      ['black-26.10.1-cp311-cp311-macosx_10_9_x86_64.whl', ['darwin-amd64']],
      ['x-1.0-cp311-cp311-macosx_10_9_universal2.whl', ['darwin-amd64', 'darwin-arm64']],
      // The darwin-arm64 floor is macOS 11: a wheel for macOS 14 would not load there.
      ['numpy-2.3.0-cp311-cp311-macosx_14_0_arm64.whl', []],
      ['x-1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl', ['linux-amd64']],
      ['x-1.0-cp38-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64.whl', ['linux-arm64']],
      ['x-1.0-cp311-cp311-manylinux1_x86_64.whl', ['linux-amd64']],
      // The glibc floor is 2.28, and musl or plain linux wheels never match a glibc distribution.
      ['x-1.0-cp311-cp311-manylinux_2_31_x86_64.whl', []],
      ['x-1.0-cp311-cp311-musllinux_1_2_x86_64.whl', []],
      ['x-1.0-cp311-cp311-linux_x86_64.whl', []],
      // Another CPython's ABI, and Windows.
      ['x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl', []],
      ['x-1.0-cp311-cp311-win_amd64.whl', []],
    ];
    it.each(cases)('%s is for %j', (filename, platforms) => {
      const wheel = parseWheelFilename(filename)!;
      const matching = ALL_PLATFORMS.filter((p) =>
        isWheelCompatible(wheel, compatibleTagSet(descriptions.get(`${p.os}-${p.arch}`)!)),
      ).map((p) => `${p.os}-${p.arch}`);
      expect(matching).toEqual(platforms);
    });
  });

  describe('planPlatformSupport', () => {
    const pure = new Map([
      ['wait-for-it', files('wait_for_it-2.3.0-py3-none-any.whl', 'wait_for_it-2.3.0.tar.gz')],
      ['click', files('click-8.1.8-py3-none-any.whl', 'click-8.1.8.tar.gz', 'click-8.2.0-py3-none-any.whl')],
      ['colorama', files('colorama-0.4.6.tar.gz')],
    ]);
    const locked = [
      { name: 'click', version: '8.1.8' },
      { name: 'colorama', version: '0.4.6', marker: "sys_platform == 'win32'" },
      { name: 'wait_for_it', version: '2.3.0' },
    ];

    it('calls a pure-Python closure buildable everywhere, skipping requirements whose marker is false', () => {
      for (const platform of ALL_PLATFORMS) {
        const plan = planPlatformSupport(locked, pure, platform, '3.11', {
          ...contextFor(platform, { "sys_platform == 'win32'": false }),
        });
        expect(plan).toEqual({
          platform,
          pythonVersion: '3.11',
          buildable: true,
          missing: [],
          portableKey:
            'python 3.11\nclick==8.1.8: click-8.1.8-py3-none-any.whl\nwait-for-it==2.3.0: wait_for_it-2.3.0-py3-none-any.whl',
        });
      }
    });

    it('gives platforms one portable key only while every usable wheel is pure and the markers agree', () => {
      const keyOf = (platform: Platform, index: Map<string, ProjectFile[]>, markers = false) =>
        planPlatformSupport(locked, index, platform, '3.11', {
          ...contextFor(platform, { "sys_platform == 'win32'": markers }),
        }).portableKey;
      expect(new Set(ALL_PLATFORMS.map((p) => keyOf(p, pure))).size).toBe(1);
      // A compiled wheel for one platform: that platform resolves differently, so it has no key.
      const mixed = new Map(pure);
      mixed.set(
        'click',
        files('click-8.1.8-py3-none-any.whl', 'click-8.1.8-cp311-cp311-macosx_11_0_arm64.whl'),
      );
      expect(keyOf(darwinArm, mixed)).toBeUndefined();
      expect(keyOf(linuxArm, mixed)).toBe(keyOf(linuxArm, pure));
      // A marker that holds adds a requirement (here one with only an sdist: not buildable, no key).
      expect(keyOf(linuxArm, pure, true)).toBeUndefined();
      // Another Python version never shares.
      const py312 = planPlatformSupport(locked, pure, linuxArm, '3.12', {
        completePlatform: descriptions312.get('linux-arm64')!,
        markers: new Map([["sys_platform == 'win32'", false]]),
      }).portableKey;
      expect(py312).toMatch(/^python 3\.12\n/);
      expect(py312).not.toBe(keyOf(linuxArm, pure));
    });

    it('planSharedBuilds groups platforms by key, in order, and keeps keyless ones alone', () => {
      const supports = [
        { platform: darwinIntel, portableKey: 'a' },
        { platform: darwinArm, portableKey: undefined },
        { platform: linuxIntel, portableKey: 'a' },
        { platform: linuxArm, portableKey: 'b' },
      ];
      expect(planSharedBuilds(supports, [darwinIntel, darwinArm, linuxIntel, linuxArm])).toEqual([
        [darwinIntel, linuxIntel],
        [darwinArm],
        [linuxArm],
      ]);
      // Only the platforms asked for, and one without a plan is built on its own.
      expect(planSharedBuilds(supports.slice(0, 1), [linuxIntel, darwinIntel])).toEqual([
        [linuxIntel],
        [darwinIntel],
      ]);
      expect(planSharedBuilds(supports, [])).toEqual([]);
    });

    it('needs a native runner where a requirement whose marker holds has only an sdist', () => {
      const plan = planPlatformSupport(locked, pure, darwinArm, '3.11', {
        ...contextFor(darwinArm, { "sys_platform == 'win32'": true }),
      });
      expect(plan.buildable).toBe(false);
      expect(plan.missing).toEqual([
        {
          name: 'colorama',
          version: '0.4.6',
          reason:
            'only an sdist (colorama-0.4.6.tar.gz): it must be built on a darwin-arm64 (CPython 3.11) runner',
        },
      ]);
    });

    it('names the wheels when none has the platform’s tags', () => {
      const native = new Map([
        [
          'fastthing',
          files(
            'fastthing-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
            'fastthing-1.0-cp311-cp311-macosx_11_0_arm64.whl',
            'fastthing-1.0.tar.gz',
          ),
        ],
      ]);
      const lock = [{ name: 'FastThing', version: '1.0' }];
      expect(planPlatformSupport(lock, native, linuxIntel, '3.11', contextFor(linuxIntel)).buildable).toBe(
        true,
      );
      expect(planPlatformSupport(lock, native, darwinArm, '3.11', contextFor(darwinArm)).buildable).toBe(
        true,
      );
      for (const platform of [darwinIntel, linuxArm]) {
        const plan = planPlatformSupport(lock, native, platform, '3.11', contextFor(platform));
        expect(plan.buildable).toBe(false);
        expect(plan.missing).toHaveLength(1);
        expect(plan.missing[0]!.name).toBe('FastThing');
        expect(plan.missing[0]!.reason).toBe(
          `no wheel for ${platform.os}-${platform.arch} (CPython 3.11) among ` +
            'fastthing-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl, ' +
            'fastthing-1.0-cp311-cp311-macosx_11_0_arm64.whl',
        );
      }
    });

    it('only counts files of the locked version (PEP 440 equal), and says when there are none', () => {
      const index = new Map([['click', files('click-8.2.0-py3-none-any.whl', 'click-8.1.8.tar.gz')]]);
      const plan = planPlatformSupport([{ name: 'click', version: '8.1.8' }], index, linuxArm, '3.11', {
        ...contextFor(linuxArm),
      });
      expect(plan.missing.map((m) => m.reason)).toEqual([
        'only an sdist (click-8.1.8.tar.gz): it must be built on a linux-arm64 (CPython 3.11) runner',
      ]);
      const padded = planPlatformSupport([{ name: 'click', version: '8.2' }], index, linuxArm, '3.11', {
        ...contextFor(linuxArm),
      });
      expect(padded.buildable).toBe(true);
      const absent = planPlatformSupport([{ name: 'nothere', version: '1.0' }], index, linuxArm, '3.11', {
        ...contextFor(linuxArm),
      });
      expect(absent.missing).toEqual([
        { name: 'nothere', version: '1.0', reason: 'the index has no file of nothere 1.0' },
      ]);
    });

    it('refuses a marker that was not evaluated', () => {
      const error = thrown(() =>
        planPlatformSupport(locked, pure, linuxIntel, '3.11', contextFor(linuxIntel)),
      );
      expect(isPackyardError(error, 'INTERNAL')).toBe(true);
      expect((error as Error).message).toContain(`"sys_platform == 'win32'"`);
    });

    it('refuses another platform’s or Python’s description', () => {
      const wrongPlatform = thrown(() =>
        planPlatformSupport([], pure, linuxArm, '3.11', contextFor(darwinArm)),
      );
      expect(isPackyardError(wrongPlatform, 'INTERNAL')).toBe(true);
      const wrongPython = thrown(() => planPlatformSupport([], pure, linuxArm, '3.12', contextFor(linuxArm)));
      expect(isPackyardError(wrongPython, 'INTERNAL')).toBe(true);
    });
  });
});
