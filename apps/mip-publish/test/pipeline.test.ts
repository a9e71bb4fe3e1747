import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { fileDigests } from '@packyard/test-helpers';
import { aWorkspace, runCli, SETUP_OCTAVE } from './helpers.js';

const HOSTILE = 'He said "hi" <script>alert(1)</script>\nsecond line, {braces} [and] commas';

// Octave (Debian's octave + octave-dev) is installed by the project's set-up script; a no-op when present.
beforeAll(async () => {
  await execa('bash', [SETUP_OCTAVE], { stdio: 'inherit' });
}, 1_800_000);

describe('mip-publish run against the local directory store', () => {
  let root: string;
  let run: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    root = await aWorkspace({
      'hostile/mip.yaml': `name: hostile
description: ${JSON.stringify(HOSTILE)}
version: "0.1"
usage_examples: [${JSON.stringify(HOSTILE)}]
source:
  folder: src
`,
      'hostile/src/hostile.m': 'function hostile()\nend\n',
      // A compile.m, so the compile step rewrites this package's mip.json too.
      'hostile/compile.m': "disp('nothing to build');\n",
    });
    run = await runCli(root, ['run']);
  });

  it('runs every step with no account and writes index.json and packages.html', async () => {
    expect(run.err).not.toMatch(/^(error|warning)/m);
    expect(run.code).toBe(0);
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index.total_packages).toBe(4);
    expect(index.packages.map((p: { name: string }) => p.name)).toEqual([
      'hello_mip',
      'hostile',
      'string-tools',
      'timestwo',
    ]);
    expect(index.last_updated).toBe('2023-11-14T22:13:20Z');
    const storeDir = join(root, 'build', 'mip-store', 'core', 'packages');
    // The bundle's key holds its digest; index.json carries the fields today's mip client reads.
    expect(index.packages[0].mhl_url).toBe(
      `file://${storeDir}/sha256/${index.packages[0].sha256}/hello_mip-1.0.0-any-none-any.mhl`,
    );
    expect(index.packages[0]).toMatchObject({ mhl_sha256: index.packages[0].sha256, architecture: 'any' });
    expect(index.packages[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(index.packages[0].mip_json_url).toBe(
      `file://${storeDir}/hello_mip-1.0.0-any-none-any.mhl.mip.json`,
    );
    expect((await readdir(storeDir)).length).toBe(5); // 4 metadata objects and sha256/
    expect((await readdir(join(storeDir, 'sha256'))).length).toBe(4);
    expect(index.packages[2]).toMatchObject({ exposed_symbols: ['strtools'], dependencies: ['hello_mip'] });
  });

  it('keeps hostile metadata byte for byte through compile, bundle and index, and escapes it in packages.html', async () => {
    expect(run.err).toContain('compiling hostile-0.1-any-none-any with octave');
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index.packages[1].description).toBe(HOSTILE);
    expect(index.packages[1].usage_examples).toEqual([HOSTILE]);
    const html = await readFile(join(root, 'build', 'gh-pages', 'packages.html'), 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).toContain('He said &quot;hi&quot; &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('compiles compile.m with Octave and puts the MEX file in the bundle; the .mhl unzips to the .dir exactly', async () => {
    const mhl = 'timestwo-1.2.0-any-none-linux_x86_64';
    const dir = join(root, 'build', 'prepared', `${mhl}.dir`);
    const out = await mkdtemp(join(tmpdir(), 'packyard-unzip-'));
    await execa('unzip', ['-q', join(root, 'build', 'bundled', `${mhl}.mhl`), '-d', out]);
    const files = await fileDigests(out, () => false);
    expect(files).toEqual(await fileDigests(dir, () => false));
    expect(Object.keys(files)).toContain('timestwo.mex');
    const meta = JSON.parse(await readFile(join(root, 'build', 'bundled', `${mhl}.mhl.mip.json`), 'utf8'));
    expect(meta.compile_duration).toBeGreaterThan(0);
    const inside = JSON.parse(await readFile(join(out, 'mip.json'), 'utf8'));
    expect(Object.keys(inside)).not.toContain('compile_duration');
    expect(inside.timestamp).toBe('2023-11-14T22:13:20Z');
  });

  it('lets Octave load bundles with load_package.m and call their functions', async () => {
    const dirs: Record<string, string> = {};
    for (const mhl of [
      'hello_mip-1.0.0-any-none-any',
      'string-tools-0.3.1-any-none-any',
      'timestwo-1.2.0-any-none-linux_x86_64',
    ]) {
      dirs[mhl] = await mkdtemp(join(tmpdir(), 'packyard-load-'));
      await execa('unzip', ['-q', join(root, 'build', 'bundled', `${mhl}.mhl`), '-d', dirs[mhl]!]);
    }
    const script = [
      // Each bundle's own load_package.m, found in the current folder, puts its folders on the path.
      ...Object.values(dirs).map((d) => `cd('${d}'); load_package();`),
      `cd('${tmpdir()}');`,
      "disp(hello_mip('octave'));",
      "disp(strtools.titlecase('hello there'));",
      'disp(timestwo([1 2 3]));',
    ].join(' ');
    const { stdout } = await execa('octave-cli', ['--no-gui', '--norc', '--quiet', '--eval', script]);
    expect(stdout.split('\n').map((l) => l.trim())).toEqual(['Hello, octave!', 'Hello There', '2   4   6']);
  });

  it('marks a failed compile.m as failed, keeps its log, and bundles the others', async () => {
    const broken = await aWorkspace(
      {
        'bad/mip.yaml': 'name: bad\ndescription: d\nversion: "1"\nsource:\n  folder: src\n',
        'bad/src/bad.m': 'function bad()\nend\n',
        'bad/compile.m': "disp('compiling bad'); error('bad:compile', 'no compiler for this');\n",
      },
      false,
    );
    const result = await runCli(broken, ['run']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('compile.m failed: octave exited with code 1');
    expect(
      await readFile(join(broken, 'build', 'prepared', 'bad-1-any-none-any.compile.log'), 'utf8'),
    ).toContain('no compiler for this');
    expect(result.err).toContain('its compile.m failed; it is not bundled');
    expect(await readdir(join(broken, 'build', 'bundled')).catch(() => [])).toEqual([]);
  });
});
