import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { execa } from 'execa';
import {
  ALL_PLATFORMS,
  COMPLETE_PLATFORM_PYTHONS,
  COMPLETE_PLATFORMS_DIR,
  PINNED_PACKAGING,
  completePlatformFile,
  completePlatformFileName,
  evaluateMarkers,
  listInterpreterVersions,
  parseRequirements,
  formatPlatform,
  hostPlatform,
  parseCompletePlatform,
  parsePlatform,
  readCompletePlatform,
  toolCacheEnv,
  type CompletePlatform,
  type Platform,
  type Tools,
} from '../src/index.js';
import { INDEX_URL, makeTempDir, removeTempDirs, toolsWithFreshCaches } from './helpers.js';

afterAll(removeTempDirs);

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'generate-complete-platforms.py');

// What each platform is, in the names PEP 508 markers and PEP 425 platform tags use.
const EXPECTED: Record<
  string,
  { sys_platform: string; platform_system: string; platform_machine: string; platformTag: RegExp }
> = {
  'darwin-amd64': {
    sys_platform: 'darwin',
    platform_system: 'Darwin',
    platform_machine: 'x86_64',
    platformTag: /^macosx_10_([4-9]|1[0-5])_(x86_64|intel|fat64|fat3|universal2|universal)$/,
  },
  'darwin-arm64': {
    sys_platform: 'darwin',
    platform_system: 'Darwin',
    platform_machine: 'arm64',
    platformTag: /^macosx_(11_0_arm64|11_0_universal2|10_\d+_universal2)$/,
  },
  'linux-amd64': {
    sys_platform: 'linux',
    platform_system: 'Linux',
    platform_machine: 'x86_64',
    platformTag: /^(manylinux_2_([5-9]|1\d|2[0-8])|manylinux1|manylinux2010|manylinux2014)_x86_64$/,
  },
  'linux-arm64': {
    sys_platform: 'linux',
    platform_system: 'Linux',
    platform_machine: 'aarch64',
    platformTag: /^(manylinux_2_(1[7-9]|2[0-8])|manylinux2014)_aarch64$/,
  },
};

const PEP_508_NAMES = [
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'python_version',
  'sys_platform',
];

function generate(tools: Tools, args: string[]): Promise<{ stdout: string }> {
  // The script's PEP 723 header brings in the pinned packaging.
  return execa(
    tools.uv,
    [
      'run',
      '--no-project',
      '--no-config',
      '--python',
      tools.python,
      '--index-url',
      INDEX_URL,
      SCRIPT,
      ...args,
    ],
    { env: toolCacheEnv(tools) },
  );
}

describe('shipped platform descriptions', () => {
  const shipped = ALL_PLATFORMS.flatMap((platform) =>
    COMPLETE_PLATFORM_PYTHONS.map((python) => ({ platform, python })),
  );

  it('exist for every platform and CPython 3.9 to 3.14, and nothing else', async () => {
    expect(COMPLETE_PLATFORM_PYTHONS).toEqual(['3.9', '3.10', '3.11', '3.12', '3.13', '3.14']);
    const expected = shipped.map(({ platform, python }) => completePlatformFileName(platform, python));
    expect((await readdir(COMPLETE_PLATFORMS_DIR)).sort()).toEqual(expected.sort());
    expect(completePlatformFile(parsePlatform('darwin-arm64'), '3.12')).toBe(
      join(COMPLETE_PLATFORMS_DIR, 'darwin-arm64-py3.12.json'),
    );
  });

  it.each(shipped.map(({ platform, python }) => [formatPlatform(platform), python, platform] as const))(
    '%s py%s: marker environment and tags describe that platform',
    async (name, python, platform) => {
      const description = await readCompletePlatform(platform, python);
      const want = EXPECTED[name]!;
      const [major, minor] = python.split('.');
      const env = description.marker_environment;
      expect(Object.keys(env).sort()).toEqual(PEP_508_NAMES);
      expect(env).toMatchObject({
        sys_platform: want.sys_platform,
        platform_system: want.platform_system,
        platform_machine: want.platform_machine,
        os_name: 'posix',
        implementation_name: 'cpython',
        platform_python_implementation: 'CPython',
        python_version: python,
        python_full_version: `${python}.0`,
        implementation_version: `${python}.0`,
        platform_version: '',
      });
      expect(env['platform_release']).toBe(
        platform.os === 'linux' ? '' : platform.arch === 'arm64' ? '20.0.0' : '19.0.0',
      );

      const tags = description.compatible_tags;
      expect(new Set(tags).size).toBe(tags.length);
      const cp = `cp${major}${minor}`;
      // Most specific first: the interpreter's own ABI on the newest platform the floor allows.
      expect(tags[0]).toBe(
        `${cp}-${cp}-${
          { 'darwin-amd64': 'macosx_10_15_x86_64', 'darwin-arm64': 'macosx_11_0_arm64' }[name] ??
          `manylinux_2_28_${want.platform_machine}`
        }`,
      );
      expect(tags[tags.length - 1]).toBe('py30-none-any');
      expect(tags).toContain(`${cp}-abi3-${tags[0]!.split('-')[2]}`);
      expect(tags).toContain('cp32-abi3-' + tags[0]!.split('-')[2]);
      expect(tags).toContain(`${cp}-none-any`);
      expect(tags).toContain('py3-none-any');
      for (const tag of tags) {
        const [interpreter, abi, plat] = tag.split('-') as [string, string, string];
        if (plat === 'any') continue;
        expect(plat).toMatch(want.platformTag);
        expect(interpreter).toMatch(/^(cp3\d+|py3\d*)$/);
        expect(['none', 'abi3', cp]).toContain(abi);
      }
    },
  );

  it('refuses a description pex would refuse', () => {
    const bad = [
      '[]',
      '{"marker_environment": {"sys_platform": "linux"}}',
      '{"marker_environment": {"sys_platform": 1}, "compatible_tags": ["py3-none-any"]}',
      '{"marker_environment": {"extra": "x"}, "compatible_tags": ["py3-none-any"]}',
      '{"marker_environment": {}, "compatible_tags": []}',
      'not json',
    ];
    for (const text of bad) {
      expect(() => parseCompletePlatform(text, 'x.json')).toThrow(/^not a pex complete platform/);
    }
    expect(() => completePlatformFile(parsePlatform('linux-arm64'), '3.8')).toThrow(
      'no platform description for Python 3.8: linux-arm64 cannot be built from this machine',
    );
  });
});

describe('with the pinned packaging', () => {
  let tools: Tools;

  beforeAll(async () => {
    tools = await toolsWithFreshCaches();
  });

  it('the generator regenerates exactly the committed files', async () => {
    const out = await makeTempDir('platforms');
    await generate(tools, ['--out', out]);
    const names = (await readdir(out)).sort();
    expect(names).toEqual((await readdir(COMPLETE_PLATFORMS_DIR)).sort());
    for (const name of names) {
      expect({ name, text: await readFile(join(out, name), 'utf8') }).toEqual({
        name,
        text: await readFile(join(COMPLETE_PLATFORMS_DIR, name), 'utf8'),
      });
    }
  });

  it('the generator and the library pin the same packaging', async () => {
    const script = await readFile(SCRIPT, 'utf8');
    expect(script).toContain(`# dependencies = ["packaging==${PINNED_PACKAGING}"]`);
    expect(script).toContain(`PACKAGING_VERSION = "${PINNED_PACKAGING}"`);
  });

  it("the generator's tags for this host equal what pex reads from its real interpreter", async () => {
    // The same code path as the shipped files, fed this machine's glibc or macOS instead of the floor.
    const host = hostPlatform();
    const { stdout: probe } = await execa(tools.python, [
      '-c',
      'import platform, sys; print("%d.%d" % sys.version_info[:2]); print(platform.libc_ver()[1] or ".".join(platform.mac_ver()[0].split(".")[:2]))',
    ]);
    const [python, osVersion] = probe.trim().split('\n') as [string, string];
    const { stdout: generated } = await generate(tools, [
      '--describe',
      formatPlatform(host),
      '--python',
      python,
      host.os === 'linux' ? '--glibc' : '--macos',
      osVersion,
    ]);
    const { stdout: inspected } = await execa(
      join(tools.venv, 'bin', 'pex3'),
      ['interpreter', 'inspect', '--markers', '--tags', '--python', tools.python],
      { env: { PEX_ROOT: join(tools.home, 'pex-root') } },
    );
    const real = JSON.parse(inspected) as CompletePlatform;
    const ours = parseCompletePlatform(generated);
    // Left out on purpose: plain linux_<arch> wheels (built against an unknown glibc) and musllinux.
    expect(ours.compatible_tags).toEqual(
      real.compatible_tags.filter((tag) => !/-(linux_|musllinux_)[^-]+$/.test(tag)),
    );
    for (const name of ['sys_platform', 'platform_system', 'platform_machine', 'os_name', 'python_version']) {
      expect({ name, value: ours.marker_environment[name] }).toEqual({
        name,
        value: real.marker_environment[name],
      });
    }
  });

  it('parses PEP 508 requirements with packaging, naming each one it cannot parse', async () => {
    const answers = await parseRequirements(
      tools,
      [
        'click<8.2,>=8',
        'Requests[socks] ; python_version >= "3.8"',
        'pkg @ https://example.org/pkg-1.0-py3-none-any.whl',
        'click>=<8',
        'not a requirement',
      ],
      { indexUrl: INDEX_URL },
    );
    expect(answers.slice(0, 3)).toEqual([
      {
        text: 'click<8.2,>=8',
        name: 'click',
        extras: [],
        specifier: '<8.2,>=8',
        url: undefined,
        marker: undefined,
      },
      {
        text: 'Requests[socks] ; python_version >= "3.8"',
        name: 'Requests',
        extras: ['socks'],
        specifier: '',
        url: undefined,
        marker: 'python_version >= "3.8"',
      },
      {
        text: 'pkg @ https://example.org/pkg-1.0-py3-none-any.whl',
        name: 'pkg',
        extras: [],
        specifier: '',
        url: 'https://example.org/pkg-1.0-py3-none-any.whl',
        marker: undefined,
      },
    ]);
    expect(answers.slice(3).map((a) => ['error' in a, a.text])).toEqual([
      [true, 'click>=<8'],
      [true, 'not a requirement'],
    ]);
  });

  it('lists the CPython versions on PATH', async () => {
    const versions = await listInterpreterVersions();
    const { stdout } = await execa('python3', ['-c', "import sys; print('%d.%d' % sys.version_info[:2])"]);
    expect(versions).toContain(stdout.trim());
    expect(await listInterpreterVersions({ PATH: '' })).toEqual([]);
  });

  describe('evaluateMarkers', () => {
    const markers = [
      "sys_platform == 'darwin'",
      "sys_platform == 'win32'",
      "platform_machine == 'aarch64' or platform_machine == 'arm64'",
      "platform_system == 'Linux' and os_name == 'posix'",
      "python_version >= '3.12'",
      "python_full_version < '3.11.4'",
      "implementation_name == 'cpython' and platform_python_implementation != 'PyPy'",
    ];

    it.each(
      ALL_PLATFORMS.flatMap((platform) =>
        ['3.11', '3.12'].map((python) => [formatPlatform(platform), python, platform] as const),
      ),
    )('evaluates PEP 508 markers against %s py%s', async (_name, python, platform: Platform) => {
      const { marker_environment } = await readCompletePlatform(platform, python);
      const results = await evaluateMarkers(tools, markers, marker_environment, { indexUrl: INDEX_URL });
      expect([...results.keys()]).toEqual(markers);
      expect([...results.values()]).toEqual([
        platform.os === 'darwin',
        false,
        platform.arch === 'arm64',
        platform.os === 'linux',
        python === '3.12',
        // python_full_version is X.Y.0: 3.11.0 < 3.11.4, 3.12.0 is not.
        python === '3.11',
        true,
      ]);
    });

    it('reports a marker packaging cannot parse', async () => {
      const { marker_environment } = await readCompletePlatform(parsePlatform('linux-amd64'), '3.11');
      const error = await evaluateMarkers(
        tools,
        ["sys_platform == 'linux'", 'sys_platform ==='],
        marker_environment,
        {
          indexUrl: INDEX_URL,
        },
      ).catch((e: unknown) => e);
      expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toBe('invalid environment marker "sys_platform ==="');
    });

    it('runs nothing for no markers', async () => {
      const results = await evaluateMarkers(
        { ...tools, uv: '/nonexistent/uv' },
        [],
        {},
        { indexUrl: INDEX_URL },
      );
      expect(results.size).toBe(0);
    });
  });
});
