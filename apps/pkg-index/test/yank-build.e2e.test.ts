// The commands that once were library calls only, run as a user runs them: `pkg-index yank` with
// pip reading the result through `pkg-index serve`, and `pkg-index build` from a dumb-pypi
// package list, incrementally. `add` refuses a real wheel from PyPI, damaged, with exit 15.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { EXIT } from '@packyard/core';
import { MAIN_JS, aTempDir, damageMember, realDistribution, runCli, treeSnapshot } from './helpers.js';

let base: string;
let indexDir: string;
let six: string;
let server: ChildProcessWithoutNullStreams;
let serverUrl: string;

beforeAll(async () => {
  base = await aTempDir('pkg-index-yank-');
  indexDir = join(base, 'index');
  six = await realDistribution('six==1.16.0');
  expect((await runCli(['add', six, '--index-dir', indexDir])).code).toBe(EXIT.ok);
  server = spawn(process.execPath, [MAIN_JS, 'serve', '--port', '0', '--index-dir', indexDir]);
  serverUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+)\/simple\//.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
});

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await rm(base, { recursive: true, force: true });
});

/** pip, isolated from the machine's configuration, installing from this index only. */
async function pipInstall(requirement: string) {
  const target = await aTempDir('pkg-index-pip-');
  const run = await execa(
    'python3',
    [
      '-m',
      'pip',
      '--isolated',
      '--disable-pip-version-check',
      'install',
      '--no-cache-dir',
      '--no-deps',
      '--target',
      target,
      '--index-url',
      `${serverUrl}/simple/`,
      requirement,
    ],
    { reject: false, all: true, env: { PIP_CONFIG_FILE: '/dev/null' } },
  );
  const installed = await stat(join(target, 'six.py')).then(
    () => true,
    () => false,
  );
  await rm(target, { recursive: true, force: true });
  return { code: run.exitCode, output: run.all ?? '', installed };
}

describe('pkg-index yank / unyank', () => {
  test('pip skips a yanked file for a range, installs it when pinned, and sees it again once unyanked', async () => {
    const before = await treeSnapshot(indexDir);
    const filename = basename(six);
    const yank = await runCli(['yank', filename, '--index-dir', indexDir, '--reason', 'use 1.17 <please>']);
    expect(yank).toMatchObject({ code: EXIT.ok, stdout: `yanked ${filename} (yanked: use 1.17 <please>)\n` });

    const json = JSON.parse(await readFile(join(indexDir, 'simple/six/index.json'), 'utf8')) as {
      files: { yanked: unknown }[];
    };
    expect(json.files[0]!.yanked).toBe('use 1.17 <please>');
    const html = await readFile(join(indexDir, 'simple/six/index.html'), 'utf8');
    expect(html).toContain('data-yanked="use 1.17 &lt;please&gt;"');
    expect(await readFile(join(indexDir, 'project/six/index.html'), 'utf8')).toContain(
      "<span class='reason'>use 1.17 &lt;please&gt;</span>",
    );

    const range = await pipInstall('six>=1.0');
    expect(range.code).not.toBe(0);
    expect(range.installed).toBe(false);
    expect(range.output).toMatch(/No matching distribution found for six>=1\.0/);
    const pinned = await pipInstall('six==1.16.0');
    expect(pinned.code).toBe(0);
    expect(pinned.installed).toBe(true);
    expect(pinned.output).toMatch(/yanked.*use 1\.17 <please>/i);

    // Again with the same reason: nothing to do.
    expect(
      await runCli(['yank', filename, '--index-dir', indexDir, '--reason', 'use 1.17 <please>']),
    ).toMatchObject({ code: EXIT.ok, stdout: expect.stringMatching(/^unchanged /) });
    expect(await runCli(['unyank', filename, '--index-dir', indexDir])).toMatchObject({
      code: EXIT.ok,
      stdout: `unyanked ${filename} (not yanked)\n`,
    });
    // Unyanking gives back the very pages there were before.
    expect(await treeSnapshot(indexDir)).toEqual(before);
    const again = await pipInstall('six>=1.0');
    expect(again).toMatchObject({ code: 0, installed: true });
  });

  test('a file the index does not hold: exit 6, nothing written', async () => {
    const before = await treeSnapshot(indexDir);
    const run = await runCli(['yank', 'six-9.9-py3-none-any.whl', '--index-dir', indexDir]);
    expect(run.code).toBe(EXIT.config);
    expect(run.stderr).toContain('six-9.9-py3-none-any.whl is not in the index');
    const missing = await runCli(['yank', 'nothing-1.0.tar.gz', '--index-dir', join(base, 'no-index')]);
    expect(missing.code).toBe(EXIT.config);
    await expect(stat(join(base, 'no-index'))).rejects.toThrow(/ENOENT/);
    expect(await treeSnapshot(indexDir)).toEqual(before);
  });
});

describe('pkg-index add with a damaged or unindexable file', () => {
  test('a real wheel with one member damaged: exit 15 naming the member, the tree byte-identical', async () => {
    const before = await treeSnapshot(indexDir);
    const dir = await aTempDir('pkg-index-bad-');
    const bad = await damageMember(six, 'six.py', join(dir, 'six-1.16.0-1-py2.py3-none-any.whl'));
    const run = await runCli(['add', bad, '--index-dir', indexDir]);
    expect(run.code).toBe(EXIT.invalidFile);
    expect(run.stderr).toContain('is damaged: member six.py');
    const long = join(dir, `six-1.16.0-1${'a'.repeat(220)}-py2.py3-none-any.whl`);
    await writeFile(long, await readFile(six));
    const tooLong = await runCli(['add', long, '--index-dir', indexDir]);
    expect(tooLong.code).toBe(EXIT.invalidFile);
    expect(tooLong.stderr).toContain("a wheel's name may have at most 246 characters");
    expect(tooLong.stderr).not.toContain('ENAMETOOLONG');
    expect(await treeSnapshot(indexDir)).toEqual(before);
  });
});

describe('pkg-index build', () => {
  const line = (filename: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      filename,
      hash: `sha256=${'ab'.repeat(32)}`,
      upload_timestamp: 1_700_000_000,
      ...extra,
    });

  test('from a package list: full, then incremental, and a bad line writes nothing', async () => {
    const out = join(base, 'from-list');
    const list = join(base, 'packages.jsonl');
    const lines = [
      line('alpha-1.0-py3-none-any.whl', { requires_python: '>=3.8' }),
      line('alpha-1.0.tar.gz'),
      line('beta-2.0-py3-none-any.whl', { yanked_reason: 'broken' }),
      line('gamma-0.1.tar.gz'),
    ];
    await writeFile(list, `${lines.join('\n')}\n`);
    const args = [
      'build',
      '--package-list',
      list,
      '--packages-url',
      'https://files.example/pool/',
      '--out',
      out,
    ];
    expect(await runCli(args)).toMatchObject({
      code: EXIT.ok,
      stdout: 'built 3 projects, 4 files (full): 3 written, 0 removed\n',
    });
    const first = await treeSnapshot(out);
    expect(first.filter((entry) => entry.endsWith('/'))).toEqual([
      'project/',
      'project/alpha/',
      'project/beta/',
      'project/gamma/',
      'simple/',
      'simple/alpha/',
      'simple/beta/',
      'simple/gamma/',
    ]);
    expect(await readFile(join(out, 'simple/alpha/index.html'), 'utf8')).toContain(
      `href="https://files.example/pool/alpha-1.0-py3-none-any.whl#sha256=${'ab'.repeat(32)}"`,
    );

    // One new release of beta: only beta's pages (and the root page for people) change.
    await writeFile(list, `${[...lines, line('beta-2.1-py3-none-any.whl')].join('\n')}\n`);
    expect(await runCli(args)).toMatchObject({
      code: EXIT.ok,
      stdout: 'built 3 projects, 5 files (incremental): 1 written, 0 removed\n',
    });
    const second = await treeSnapshot(out);
    const changed = second.filter((entry) => !first.includes(entry)).map((entry) => entry.split(' ')[0]);
    expect(changed.sort()).toEqual([
      'index.html',
      'package-list-state.json',
      'project/beta/index.html',
      'project/projects.json',
      'simple/beta/index.html',
      'simple/beta/index.json',
    ]);
    expect(await readFile(join(out, 'index.html'), 'utf8')).toMatch(
      /beta<\/a><\/th>\s*<td data-label='Latest'>2\.1<\/td>/,
    );

    await writeFile(list, `${[...lines, '{"filename": "not a wheel"}'].join('\n')}\n`);
    const bad = await runCli(args);
    expect(bad.code).toBe(EXIT.config);
    expect(bad.stderr).toContain(`${list}:5`);
    expect(await treeSnapshot(out)).toEqual(second);
  });

  test('from an index directory: every page rewritten from the files, the same as add wrote them', async () => {
    const before = await treeSnapshot(indexDir);
    await rm(join(indexDir, 'project'), { recursive: true });
    await rm(join(indexDir, 'index.html'));
    expect(await runCli(['build', '--index-dir', indexDir])).toMatchObject({
      code: EXIT.ok,
      stdout: 'built 1 projects, 1 files\n',
    });
    expect(await treeSnapshot(indexDir)).toEqual(before);
    expect((await runCli(['build', '--index-dir', indexDir, '--full'])).code).toBe(EXIT.usage);
  });
});
