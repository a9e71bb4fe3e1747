// The command-line contract every app keeps, checked on each app's built CLI (dist/main.js) run as
// a user runs it: the same exit code and the same message shape for the same mistake everywhere.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '@packyard/core';
import type { CliRun } from '@packyard/test-helpers';
import { runApp } from './run-app.js';

/** Each app: its directory, a command to probe and that command's summary in the main help. */
const APPS = [
  { name: 'dynamic-archives', dir: 'dynamic-archives', command: 'verify', other: 'gc' },
  { name: 'hermit-pex', dir: 'hermit-pex', command: 'plan', other: 'remove' },
  { name: 'mip-publish', dir: 'mip-publish', command: 'prepare', other: 'bundle' },
  { name: 'nx-cache-server', dir: 'nx-cache-server', command: 'serve', other: 'run' },
  { name: 'pkg-index', dir: 'pkg-index', command: 'verify', other: 'yank' },
  { name: 'wheel-release', dir: 'wheel-release', command: 'check', other: 'bump' },
] as const;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'packyard-cli-contract-'));
});

/** Runs an app's dist/main.js with a clean environment (no account, no token) in `cwd`. */
function cli(
  app: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> {
  return runApp(app, args, {
    cwd: options.cwd ?? work,
    env: { PATH: process.env['PATH'] ?? '', HOME: work, ...options.env },
  });
}

const usageShape = (app: string, message: string) =>
  new RegExp(`^${app}: error\\[USAGE\\]: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n  hint: .+\\n$`);

describe.each(APPS)('$name', ({ name, dir, command, other }) => {
  it('prints its version and the commit it was built from', async () => {
    const run = await cli(dir, ['--version']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+ \\(([0-9a-f]{12}|unknown)\\)\\n$`));
  });

  it("prints only the command's help for <command> --help", async () => {
    const run = await cli(dir, [command, '--help']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(new RegExp(`^usage: ${name} ${command}\\b`));
    expect(run.stdout).not.toContain('Commands:');
    expect(run.stdout).not.toMatch(new RegExp(`^  ${other} `, 'm'));
    expect((await cli(dir, ['--help'])).stdout).toMatch(new RegExp(`^  ${other} `, 'm'));
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'refuses %s as an unknown command (exit 2)',
    async (word) => {
      const run = await cli(dir, [word]);
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toMatch(usageShape(name, `unknown command "${word}"`));
      expect(run.stdout).toBe('');
    },
  );

  it('suggests the command a typo meant', async () => {
    const run = await cli(dir, [command.slice(0, -1)]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain(`  hint: did you mean '${name} ${command}'?\n`);
  });

  it('refuses an unknown option with exit 2 and suggests the one it meant', async () => {
    const run = await cli(dir, [command, '--jsno']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe(
      `${name}: error[USAGE]: ${command}: unknown option --jsno\n  hint: did you mean --json?\n`,
    );
  });

  it('with --json, reports a usage error as one JSON document on stdout', async () => {
    const run = await cli(dir, [command, '--json', '--bogus']);
    expect(run.code).toBe(EXIT.usage);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'USAGE' }, exitCode: EXIT.usage });
  });
});

/** Missing credentials for each app's remote mode: exit 3, one error line, nothing done. */
const NO_CREDENTIALS: ReadonlyArray<[string, string[]]> = [
  ['dynamic-archives', ['publish', '--to', 's3://bucket', '--store-dir', 'store']],
  ['hermit-pex', ['plan', '--repo', 'owner/name']],
  ['mip-publish', ['prepare', '--store', 's3://bucket', '--base-url', 'https://example.invalid/']],
  ['nx-cache-server', ['serve', '--store', 's3://bucket']],
  ['pkg-index', ['dispatch', '--owner', 'a', '--repo', 'b', '--ref', 'main', '--index-repo', 'o/index']],
];

it.each(NO_CREDENTIALS)('%s without credentials exits 3 with error[AUTH_MISSING]', async (app, args) => {
  const cwd = await mkdtemp(join(work, 'auth-'));
  await mkdir(join(cwd, 'packages'), { recursive: true });
  await mkdir(join(cwd, 'mip-packages'), { recursive: true });
  const run = await cli(app, args, { cwd });
  expect(run.code).toBe(EXIT.auth);
  expect(run.stderr).toMatch(new RegExp(`^${app}: error\\[AUTH_MISSING\\]: .+\\n(  hint: .+\\n)?$`));
});

/** A bad configuration file (or, with no file, bad configuration): exit 6, naming it. */
it.each([
  ['pkg-index', ['serve', '--index-dir', '.', '--config', 'serve.yaml'], 'serve.yaml'],
  ['wheel-release', ['check'], 'release.yaml'],
  ['nx-cache-server', ['serve', '--store', '.'], 'NX_CACHE_READ_TOKEN'],
] as const)('%s with a bad config exits 6 with error[CONFIG_INVALID] naming it', async (app, args, names) => {
  const cwd = await mkdtemp(join(work, 'config-'));
  await writeFile(join(cwd, 'serve.yaml'), 'users: [not, a, map]\n');
  await writeFile(join(cwd, 'release.yaml'), 'version: [1]\n');
  const run = await cli(app, [...args], {
    cwd,
    env: { NX_CACHE_WRITE_TOKEN: 'same-token', NX_CACHE_READ_TOKEN: 'same-token' },
  });
  expect(run.code).toBe(EXIT.config);
  expect(run.stderr).toMatch(new RegExp(`^${app}: error\\[CONFIG_INVALID\\]: .*${names}`));
});

/** The pipelines report a bad package config per package (the others go on) and exit 6. */
it.each([
  ['hermit-pex', ['plan'], 'packages/bad/config.yaml', 'binaries: [x\n'],
  ['mip-publish', ['prepare'], 'mip-packages/bad/mip.yaml', 'name: [x\n'],
] as const)('%s with a bad package config exits 6 naming the file', async (app, args, file, text) => {
  const cwd = await mkdtemp(join(work, 'pipeline-'));
  await mkdir(join(cwd, file, '..'), { recursive: true });
  await writeFile(join(cwd, file), text);
  const run = await cli(app, [...args], { cwd });
  expect(run.code).toBe(EXIT.config);
  expect(run.stderr).toContain(join(cwd, file));
});
