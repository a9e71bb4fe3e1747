/**
 * What another repository gets: every published package is versioned by `nx release`, packed by
 * `npm pack`, installed from its tarball into a project outside the workspace (no links, no registry
 * for @packyard/*), and imported from Node ESM and from TypeScript; every bin runs; and the workflow
 * templates pin this release (`PACKYARD_REF: v<version>`) and run apps that exist, from a checkout.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import {
  listPublishedPackages,
  packPackage,
  writeConsumerProject,
  type PublishedPackage,
} from '../src/index.js';

const root = join(import.meta.dirname, '../../..');
let work: string;
let consumer: string;
let packages: PublishedPackage[];
const packed = new Map<string, { tarball: string; files: string[] }>();

// The consumer is another repository: it does not inherit this workspace's engine-strict, which npm
// passes to the test's children as npm_config_engine_strict. On Node 20 a consumer gets a warning for
// content-type@3 (declares Node >=22, reached through @octokit/request), which this workspace overrides.
const consumerEnv = { npm_config_engine_strict: 'false' };

// The workspace's own pins, so the consumer type-checks with what the packages were built against.
async function workspaceVersion(name: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

// Prints each module's export names as JSON; run inside the workspace (dist paths) and the consumer (names).
const listExports = (specifiers: string[]) => `
const out = {};
for (const [name, specifier] of ${JSON.stringify(specifiers.map((s, i) => [packages[i]!.name, s]))}) {
  out[name] = Object.keys(await import(specifier)).sort();
}
console.log(JSON.stringify(out));
`;

beforeAll(async () => {
  packages = await listPublishedPackages(root);
  work = await mkdtemp(join(tmpdir(), 'packyard-release-check-'));
  consumer = join(work, 'consumer');
  await mkdir(join(work, 'tarballs'));
  await mkdir(consumer);
  for (const pkg of packages) packed.set(pkg.name, await packPackage(pkg, join(work, 'tarballs')));
  await writeConsumerProject(consumer, new Map([...packed].map(([name, p]) => [name, p.tarball])), {
    '@types/node': await workspaceVersion('@types/node'),
  });
  await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: consumer,
    env: consumerEnv,
    stdin: 'ignore',
  });
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the published packages', () => {
  it('are every non-private library and app of the workspace', () => {
    const paths = packages.map((p) => p.path);
    expect(paths.filter((p) => p.startsWith('libs/')).length).toBeGreaterThanOrEqual(7);
    expect(paths).toEqual(
      expect.arrayContaining(['libs/core', 'libs/pex-builder', 'apps/hermit-pex', 'apps/pkg-index']),
    );
    // tools/ holds the workspace's own machinery (test servers, plugins, checks): never published.
    expect(paths.filter((p) => p.startsWith('tools/'))).toEqual([]);
  });

  it('each says what publishing needs: files, exports, types, license, repository, engines', async () => {
    for (const pkg of packages) {
      const json = JSON.parse(await readFile(join(pkg.dir, 'package.json'), 'utf8'));
      expect({ name: pkg.name, type: json.type, license: json.license }).toEqual({
        name: pkg.name,
        type: 'module',
        license: 'Apache-2.0',
      });
      expect(json.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(json.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
      expect(json.files).toContain('dist');
      expect(json.repository).toEqual({
        type: 'git',
        url: expect.stringMatching(/^git\+https:\/\/.+\.git$/),
        directory: pkg.path,
      });
      expect(json.engines).toEqual({ node: '>=20.19.0' });
      // Every @packyard dependency is another published package, at the same (fixed) version.
      for (const [dep, range] of Object.entries(pkg.dependencies)) {
        if (!dep.startsWith('@packyard/')) continue;
        expect({ dep, published: packages.some((p) => p.name === dep), range }).toEqual({
          dep,
          published: true,
          range: pkg.version,
        });
      }
    }
  });

  it('nx release --dry-run versions all of them together (fixed), and changes nothing', async () => {
    const current = packages[0]!.version;
    const next = current.replace(/\d+$/, (patch) => String(Number(patch) + 1));
    const before = await execa('git', ['status', '--porcelain'], { cwd: root });
    const result = await execa('npx', ['nx', 'release', 'version', next, '--dry-run'], {
      cwd: root,
      env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdin: 'ignore',
      all: true,
    });
    // eslint-disable-next-line no-control-regex
    const output = result.all.replace(/\x1b\[[0-9;]*m/g, '');
    const updated = [...output.matchAll(/^UPDATE (\S+)\/package\.json \[dry-run\]$/gm)]
      .map((m) => m[1])
      .sort();
    expect(updated).toEqual(packages.map((p) => p.path));
    for (const pkg of packages) expect(pkg.version).toBe(current);
    expect(output).toContain(`+   "version": "${next}",`);
    const after = await execa('git', ['status', '--porcelain'], { cwd: root });
    expect(after.stdout).toBe(before.stdout);
  });

  it('pack their compiled modules, types and README, and no sources or tests', () => {
    for (const pkg of packages) {
      const { files } = packed.get(pkg.name)!;
      expect({ pkg: pkg.name, files }).toEqual({
        pkg: pkg.name,
        files: expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']),
      });
      expect(files.filter((f) => /^(src|test)\/|\.test\.|tsbuildinfo|tsconfig/.test(f))).toEqual([]);
    }
  });

  it('install from the tarballs alone: no workspace links, every @packyard module a copy', async () => {
    const { stdout } = await execa('npm', ['ls', '--all', '--json', '--long'], { cwd: consumer });
    const tree = JSON.parse(stdout) as { dependencies: Record<string, { resolved?: string }> };
    for (const pkg of packages) {
      const resolved = tree.dependencies[pkg.name]?.resolved ?? '';
      expect({ name: pkg.name, tarball: resolve(consumer, resolved.replace(/^file:/, '')) }).toEqual({
        name: pkg.name,
        tarball: packed.get(pkg.name)!.tarball,
      });
    }
    const { stdout: links } = await execa(
      'find',
      ['node_modules/@packyard', '-maxdepth', '1', '-type', 'l'],
      {
        cwd: consumer,
      },
    );
    expect(links).toBe('');
  });

  it('import from Node ESM with the same public API as the workspace build', async () => {
    const fromWorkspace = await execa(
      'node',
      ['--input-type=module', '-e', listExports(packages.map((p) => join(p.dir, 'dist/index.js')))],
      { cwd: root },
    );
    const fromTarballs = await execa(
      'node',
      ['--input-type=module', '-e', listExports(packages.map((p) => p.name))],
      { cwd: consumer },
    );
    const apis = JSON.parse(fromTarballs.stdout) as Record<string, string[]>;
    expect(apis).toEqual(JSON.parse(fromWorkspace.stdout));
    for (const pkg of packages)
      expect({ [pkg.name]: apis[pkg.name]!.length > 0 }).toEqual({ [pkg.name]: true });
    expect(apis['@packyard/core']).toEqual(
      expect.arrayContaining(['PackyardError', 'createProgressReporter']),
    );
  });

  it('type-check from TypeScript against the shipped declarations (tsc --noEmit, no skipLibCheck)', async () => {
    const lines = packages.map((p, i) => `import * as api${i} from '${p.name}';`);
    await writeFile(
      join(consumer, 'index.ts'),
      [
        ...lines,
        `import { PackyardError, type ErrorCode } from '@packyard/core';`,
        `const code: ErrorCode = 'CONFIG_INVALID';`,
        `export const error: PackyardError = new PackyardError(code, 'checked', { field: 'x' });`,
        `export const apis = [${packages.map((_, i) => `api${i}`).join(', ')}];`,
        '',
      ].join('\n'),
    );
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['index.ts'],
      }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await execa('node', [tsc, '-p', 'tsconfig.json'], {
      cwd: consumer,
      reject: false,
      all: true,
    });
    expect({ code: result.exitCode, output: result.all }).toEqual({ code: 0, output: '' });
  });

  it('run their bins from the installed tarball', async () => {
    const bins = packages.flatMap((p) => Object.keys(p.bin).map((bin) => ({ pkg: p.name, bin })));
    expect(bins.map((b) => b.bin)).toEqual(expect.arrayContaining(['hermit-pex', 'pkg-index']));
    for (const { pkg, bin } of bins) {
      const result = await execa(join(consumer, 'node_modules/.bin', bin), ['--help'], {
        cwd: consumer,
        reject: false,
        stdin: 'ignore',
      });
      expect({ pkg, bin, code: result.exitCode, usage: /usage/i.test(result.stdout) }).toEqual({
        pkg,
        bin,
        code: 0,
        usage: true,
      });
    }
  });

  it('pin the workflow templates to this release and run their apps from a packyard checkout', async () => {
    const version = packages.find((p) => p.name === '@packyard/pkg-index')!.version;
    const templates = (await readdir(join(root, 'templates'), { recursive: true }))
      .filter((f) => /(^|\/)workflows\/[^/]+\.yml$/.test(f))
      .sort();
    expect(templates.length).toBeGreaterThanOrEqual(5);
    const apps = new Set<string>();
    for (const file of templates) {
      const text = await readFile(join(root, 'templates', file), 'utf8');
      // The templates pin the release being made (its tag): a release that forgets them fails here.
      const refs = [...text.matchAll(/PACKYARD_REF: (\S+)/g)].map((m) => m[1]);
      expect({ file, refs: [...new Set(refs)] }).toEqual({ file, refs: [`v${version}`] });
      // Nothing comes from the npm registry under @packyard: each job compiles the app it runs.
      expect({ file, npx: /npx --yes --package "@packyard/.test(text) }).toEqual({ file, npx: false });
      const compiled = [...text.matchAll(/npx nx run ([a-z-]+):compile/g)].map((m) => m[1]!);
      const run = [...text.matchAll(/"\$RUNNER_TEMP\/packyard\/apps\/([a-z-]+)\/dist\/main\.js"/g)].map(
        (m) => m[1]!,
      );
      expect(run.length).toBeGreaterThan(0);
      for (const app of run) {
        expect({ file, app, compiled: compiled.includes(app) }).toEqual({ file, app, compiled: true });
        apps.add(app);
      }
    }
    for (const app of apps) {
      const result = await execa('node', [join(root, 'apps', app, 'dist/main.js'), '--help'], {
        reject: false,
        stdin: 'ignore',
        all: true,
      });
      expect({
        app,
        code: result.exitCode,
        usage: new RegExp(`usage: ${app}`, 'i').test(result.all),
      }).toEqual({
        app,
        code: 0,
        usage: true,
      });
    }
  });
});
