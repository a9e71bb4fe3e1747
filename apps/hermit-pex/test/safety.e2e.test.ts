/**
 * Bad input is refused before anything is written, and published work is never lost. One workspace,
 * one real package (wait-for-it 2.3.0, this host's platform only) built once and shared by both parts.
 */
import { lstat, mkdtemp, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parseBodyBlock } from '@packyard/github-releases';
import { formatPlatform, hostPlatform, listInterpreterVersions } from '@packyard/pex-builder';
import { aWorkspace, runCli, sha256Of, type CliRun } from './helpers.js';

const host = formatPlatform(hostPlatform());
const TAG = 'wait-for-it-v2.3.0';
const waitForIt = `package: wait-for-it
binaries: [wait-for-it]
versions:
  - version: "2.3.0"
    python: "3.11"
`;

// A "billion laughs": every level multiplies the one before through aliases.
const aliasBomb = (() => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i <= 8; i++) {
    const [prev, next] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
})();

/** Each bad package, by directory: its config.yaml. None of them may leave a trace. */
const BAD: Record<string, string | null> = {
  'future-python': `package: idna\nbinaries: [idna]\nversions:\n  - version: "3.10"\n    python: "3.11"\n  - version: "3.11"\n    python: "3.99"\n`,
  'bad-binaries': `package: six\nbinaries: [six, "..", SIX]\nversions: [{version: "1.16.0", python: "3.11"}]\n`,
  'bad-requirement': `package: click\nbinaries: [click]\nversions: [{version: "8.1.0", python: "3.11"}]\nextra_packages: [colorama, "rich>=<13"]\n`,
  'pip-option': `package: attrs\nbinaries: [attrs]\nversions: [{version: "23.1.0", python: "3.11"}]\nextra_packages: ["--extra-index-url https://example.org/simple"]\n`,
  'direct-url': `package: toml\nbinaries: [toml]\nversions: [{version: "0.10.2", python: "3.11"}]\nextra_packages: ["tomli @ https://example.org/tomli-2.0.1-py3-none-any.whl"]\n`,
  'ftp-index': `package: pyyaml\nbinaries: [pyyaml]\nversions: [{version: "6.0", python: "3.11"}]\nindex_url: ftp://mirror.example.org/simple\n`,
  'not a name': `binaries: [x]\nversions: [{version: "1.0", python: "3.11"}]\n`,
  ghost: `package: packyard-no-such-project-zz9\nbinaries: [ghost]\nversions: [{version: "1.0", python: "3.11"}]\n`,
  'alias-bomb': aliasBomb,
  'zero-config-version': `config_version: 0\npackage: certifi\nbinaries: [certifi]\nversions: [{version: "2024.2.2", python: "3.11"}]\n`,
  'dup-one': `package: Markdown\nbinaries: [markdown_py]\nversions: [{version: "3.5", python: "3.11"}]\n`,
  'dup-two': `package: markdown\nbinaries: [markdown_py]\nversions: [{version: "3.5", python: "3.11"}]\n`,
  linked: null, // config.yaml is a symlink to a file outside the repository (made below)
};

let root: string;
let outside: string;
let first: CliRun;
const file = (dir: string) => join(root, 'packages', dir, 'config.yaml');
const run = (...args: string[]) => runCli(root, [...args, '--platforms', host]);

beforeAll(async () => {
  root = await aWorkspace({ 'wait-for-it': waitForIt, ...BAD });
  outside = join(await mkdtemp(join(tmpdir(), 'packyard-outside-')), 'config.yaml');
  await writeFile(outside, waitForIt.replace('wait-for-it', 'packaging'));
  await symlink(outside, file('linked'));
  first = await run('run');
});

/** Every file under `dir`, with its sha256: what a run left on disk. */
async function tree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await lstat(path)).isFile()) files[entry] = await sha256Of(path);
  }
  return files;
}

describe('one validation pass before any write', () => {
  it('exits with the config code, and still builds and publishes the good package', () => {
    expect(first.code).toBe(6);
    expect(first.stdout).toContain(`wait-for-it 2.3.0: published\n`);
    expect(first.stderr).toContain(`wait-for-it.hcl (1 published version)\n`);
  });

  it('names the file, the key as written and the value of every problem', async () => {
    const paths = (await listInterpreterVersions()).join(', ');
    const errors = first.stderr.split('\n').filter((line) => line.startsWith('error: '));
    const expected = [
      `error: ${file('future-python')}: versions[1].python: "3.99" cannot be built here: no CPython 3.99 on PATH and no shipped platform description for it (descriptions: 3.9, 3.10, 3.11, 3.12, 3.13, 3.14; on PATH: ${paths})`,
      `error: ${file('bad-binaries')}: binaries[1]: ".." is not a valid binary name`,
      `error: ${file('pip-option')}: extra_packages[0]: "--extra-index-url https://example.org/simple" is a pip option, not a requirement; options are not allowed (use index_url for the index)`,
      `error: ${file('direct-url')}: extra_packages[0]: "tomli @ https://example.org/tomli-2.0.1-py3-none-any.whl" is a direct URL reference, which bypasses the index; set allow_direct_urls: true to allow it`,
      `error: ${file('ftp-index')}: index_url: "ftp://mirror.example.org/simple" is not an http or https URL`,
      `error: ${file('not a name')}: package: "not a name" (the directory name, as no package is given) is not a valid Python project name; set package: to the PyPI project`,
      `error: ${file('zero-config-version')}: config_version: must be a positive whole number, not 0`,
      `error: ${file('dup-one')}: package: "Markdown" is also the project of ${file('dup-two')}; one directory per project, so neither is built`,
      `error: ${file('dup-two')}: package: "markdown" is also the project of ${file('dup-one')}; one directory per project, so neither is built`,
      `error: ${file('linked')}: is a symlink to ${await realpath(outside)}, outside the repository ${await realpath(root)}`,
    ];
    for (const line of expected) expect(errors).toContain(line);
    expect(first.stderr).toContain(
      `${file('bad-binaries')}: binaries[2]: "SIX" clashes with binaries[0] "six" on a case-insensitive file system\n`,
    );
    expect(errors).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^error: ${escape(file('bad-requirement'))}: extra_packages\\[1\\]: "rich>=<13" is not a PEP 508 requirement: \\S.*$`,
        ),
      ),
    );
    expect(errors).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^error: ${escape(file('ghost'))}: package: project "packyard-no-such-project-zz9" was not found on https?://\\S+$`,
        ),
      ),
    );
    expect(errors).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^error: ${escape(file('alias-bomb'))}: YAML refused by the parser's resource limits: .+$`,
        ),
      ),
    );
    // One error per bad package, and nothing else went wrong.
    expect(errors).toHaveLength(Object.keys(BAD).length);
  });

  it('writes nothing for a refused package: no lock, no state, no release, no PEX, no manifest', async () => {
    for (const dir of Object.keys(BAD)) {
      expect([dir, await readdir(join(root, 'packages', dir))]).toEqual([dir, ['config.yaml']]);
    }
    expect(await readdir(join(root, 'dist/releases'))).toEqual([TAG]);
    expect(await readdir(join(root, 'dist/pex'))).toEqual(['wait-for-it']);
    expect(await readdir(join(root, 'dist/hermit'))).toEqual(['wait-for-it.hcl']);
    expect((await readdir(join(root, 'packages/wait-for-it'))).sort()).toEqual([
      '2.3.0',
      'config.yaml',
      'state.yaml',
    ]);
  });
});

describe('published work is never lost', () => {
  let published: Record<string, string>;

  beforeAll(async () => {
    // From here on, the runs name the good package only.
    published = await tree(join(root, 'dist/releases'));
    await writeFile(file('wait-for-it'), waitForIt.replace('"3.11"', '"3.12"'));
  });

  it('plan shows "rebuild needed" for a published release whose build_info changed, and writes nothing', async () => {
    const before = await tree(root);
    const plan = await run('plan', 'wait-for-it');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe(
      'wait-for-it 2.3.0: rebuild-needed (python 3.11 → 3.12; bump config_version or pass --rebuild to rebuild it)\n',
    );
    expect(await tree(root)).toEqual(before);
  });

  it('a run leaves the published release exactly as it was, and says a rebuild is needed', async () => {
    const again = await run('run', 'wait-for-it');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(
      `wait-for-it 2.3.0: rebuild needed: python 3.11 → 3.12; bump config_version or pass --rebuild to rebuild it; ${TAG} is left as it is\n`,
    );
    expect(again.stderr).not.toMatch(/deleting|building PEX/);
    expect(await tree(join(root, 'dist/releases'))).toEqual(published);
  });

  it('a config_version bump rebuilds in place; the manifest then lists exactly what the store serves', async () => {
    await writeFile(file('wait-for-it'), `config_version: 2\n${waitForIt.replace('"3.11"', '"3.12"')}`);
    const plan = await run('plan', 'wait-for-it');
    expect(plan.stdout).toBe(
      `wait-for-it 2.3.0: rebuild, build ${host}, publish (config_version 1 → 2, python 3.11 → 3.12; the old assets stay until the new ones are uploaded)\n`,
    );
    const rebuilt = await run('run', 'wait-for-it');
    expect(rebuilt.stderr).not.toMatch(/error:|deleting/);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toBe('wait-for-it 2.3.0: published\n');

    const release = JSON.parse(await readFile(join(root, 'dist/releases', TAG, 'release.json'), 'utf8'));
    expect([release.draft, release.prerelease]).toEqual([false, false]);
    const body = parseBodyBlock<{ build_info: { python: string; config_version: number } }>(release.body);
    expect(body.data?.build_info).toMatchObject({ python: '3.12', config_version: 2 });
    const tarball = `wait-for-it-${host}.tar.gz`;
    const assets = join(root, 'dist/releases', TAG, 'assets');
    expect((await readdir(assets)).sort()).toEqual(['checksums.txt', tarball]);
    const served = await sha256Of(join(assets, tarball));
    expect(served).not.toBe(published[`${TAG}/assets/${tarball}`]);
    expect(await readFile(join(assets, 'checksums.txt'), 'utf8')).toBe(`${served}  ${tarball}\n`);

    const hcl = (await parseHcl(
      'm.hcl',
      await readFile(join(root, 'dist/hermit/wait-for-it.hcl'), 'utf8'),
    )) as { sha256sums: Record<string, string>; version: Record<string, Array<Record<string, unknown>>> };
    expect(Object.keys(hcl.sha256sums)).toHaveLength(1);
    for (const [url, sha256] of Object.entries(hcl.sha256sums)) {
      expect([url, await sha256Of(fileURLToPath(url))]).toEqual([url, sha256]);
    }
    expect(JSON.stringify(hcl.version['2.3.0'])).toContain('python3@3.12');
    expect((await run('plan', 'wait-for-it')).stdout).toBe('wait-for-it 2.3.0: up-to-date\n');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
