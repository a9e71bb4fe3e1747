import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EXIT,
  PackyardError,
  closestMatch,
  editDistance,
  exitCodeFor,
  exitCodeForAll,
  isPackyardError,
  readBuildVersion,
  runCli,
  type CliApp,
} from '../src/index.js';

const APP: CliApp = {
  name: 'demo',
  packageJson: new URL('../package.json', import.meta.url),
  description: 'A demo app.',
  commands: {
    greet: {
      summary: 'say hello',
      args: 'NAME',
      positionals: { count: 1, missing: 'a NAME' },
      options: { loud: { type: 'boolean', description: 'shout' } },
      run: async (c) => ({
        result: { hello: c.positionals[0] },
        text: `hello ${c.positionals[0]}${c.values['loud'] ? '!' : ''}`,
        summary: 'greeted one',
      }),
    },
    fail: {
      summary: 'fail with a config error',
      options: { dir: { type: 'string', value: 'DIR', aliases: ['root'], description: 'a dir' } },
      run: async (c) => {
        c.log.info('working');
        throw new PackyardError('CONFIG_INVALID', 'bad value', {
          file: 'x.yaml',
          field: 'a.b',
          hint: 'fix it',
        });
      },
    },
  },
  exitCodes: [[EXIT.config, 'bad config']],
};

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(APP, argv, {
    cwd: process.cwd(),
    env,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('the exit-code table', () => {
  it('maps every error code once, folds STORE_CONFLICT into CONFLICT, and unknown errors to internal', () => {
    expect(exitCodeFor('CONFLICT')).toBe(EXIT.conflict);
    expect(exitCodeFor('STORE_CONFLICT')).toBe(EXIT.conflict);
    expect(exitCodeFor(new PackyardError('AUTH_MISSING', 'no token'))).toBe(EXIT.auth);
    expect(exitCodeFor('VERSION_NOT_FOUND')).toBe(EXIT.failed);
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT.internal);
    expect(isPackyardError(new PackyardError('STORE_CONFLICT', 'x'), 'CONFLICT')).toBe(true);
    expect(new Set(Object.values(EXIT)).size).toBe(Object.values(EXIT).length);
  });

  it('gives a run that went on past failures config or time limit when all are, else failed', () => {
    expect(exitCodeForAll([])).toBe(EXIT.ok);
    expect(exitCodeForAll(['CONFIG_INVALID', 'CONFIG_MISSING'])).toBe(EXIT.config);
    expect(exitCodeForAll(['TIME_LIMIT', 'TIME_LIMIT'])).toBe(EXIT.timeLimit);
    expect(exitCodeForAll(['TOOL_FAILED', 'TOOL_FAILED'])).toBe(EXIT.failed);
    expect(exitCodeForAll(['CONFIG_INVALID', 'TOOL_FAILED'])).toBe(EXIT.failed);
  });
});

describe('did you mean', () => {
  it('measures edit distance and picks the closest candidate within reach', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('jsno', 'json')).toBe(1);
    expect(closestMatch('gret', ['greet', 'fail'])).toBe('greet');
    expect(closestMatch('constructor', ['greet', 'fail'])).toBeUndefined();
  });
});

describe('runCli', () => {
  it('runs a command: text on stdout, the summary on stderr', async () => {
    expect(await run(['greet', 'ann', '--loud'])).toEqual({
      code: 0,
      stdout: 'hello ann!\n',
      stderr: 'demo greet: greeted one\n',
    });
  });

  it('with --json prints the result as one document and events as JSON lines', async () => {
    const r = await run(['--json', 'greet', 'ann']);
    expect(JSON.parse(r.stdout)).toEqual({ hello: 'ann' });
    expect(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ type: 'summary', command: 'greet', message: 'greeted one' }]);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'refuses %s as an unknown command',
    async (name) => {
      const r = await run([name]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toMatch(new RegExp(`^demo: error\\[USAGE\\]: unknown command "${name}"\\n  hint: `));
    },
  );

  it('suggests the nearest command and option', async () => {
    expect((await run(['gret'])).stderr).toContain("did you mean 'demo greet'?");
    const r = await run(['greet', 'ann', '--lod']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe('demo: error[USAGE]: greet: unknown option --lod\n  hint: did you mean --loud?\n');
  });

  it("prints only that command's help for <command> --help, and the whole help for --help", async () => {
    const command = await run(['greet', '--help']);
    expect(command.code).toBe(0);
    expect(command.stdout).toMatch(/^usage: demo greet NAME \[options\]\n/);
    expect(command.stdout).toContain('--loud');
    expect(command.stdout).not.toContain('fail with a config error');
    const all = await run(['--help']);
    expect(all.stdout).toContain('fail with a config error');
    expect(all.stdout).toMatch(/ 6 +bad config/);
    expect((await run(['help', 'greet'])).stdout).toBe(command.stdout);
  });

  it('prints the version and the commit it was built from', async () => {
    const { version, commit } = readBuildVersion(APP.packageJson);
    const r = await run(['--version']);
    expect(r).toEqual({ code: 0, stdout: `demo ${version} (${commit})\n`, stderr: '' });
    expect(commit).toMatch(/^([0-9a-f]{12}|unknown)$/);
  });

  it('maps an error to its exit code in one shape, or one JSON document with --json', async () => {
    const r = await run(['fail', '--root', '.']);
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toBe('working\ndemo: error[CONFIG_INVALID]: x.yaml: a.b: bad value\n  hint: fix it\n');
    const j = await run(['fail', '--json']);
    expect(j.code).toBe(EXIT.config);
    expect(JSON.parse(j.stdout)).toMatchObject({
      error: { code: 'CONFIG_INVALID', message: 'bad value', file: 'x.yaml', field: 'a.b' },
      exitCode: EXIT.config,
    });
    expect(JSON.parse(j.stderr.trim())).toEqual({ type: 'log', level: 'info', message: 'working' });
  });

  it('keeps quiet with --quiet, and refuses an option given twice through its alias', async () => {
    expect((await run(['fail', '-q'])).stderr).not.toContain('working');
    const r = await run(['fail', '--dir', 'a', '--root', 'b']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('--dir was given more than once');
  });
});

describe('readBuildVersion', () => {
  it('reads gitHead when npm recorded it, else the checkout HEAD, else unknown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-version-'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ version: '1.2.3', gitHead: 'a'.repeat(40) }));
    expect(readBuildVersion(join(dir, 'package.json'))).toEqual({ version: '1.2.3', commit: 'a'.repeat(12) });
    await mkdir(join(dir, 'sub', '.git', 'refs', 'heads'), { recursive: true });
    await writeFile(join(dir, 'sub', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(dir, 'sub', '.git', 'refs', 'heads', 'main'), `${'b'.repeat(40)}\n`);
    await writeFile(join(dir, 'sub', 'package.json'), JSON.stringify({ version: '2.0.0' }));
    expect(readBuildVersion(join(dir, 'sub', 'package.json'))).toEqual({
      version: '2.0.0',
      commit: 'b'.repeat(12),
    });
    expect(readBuildVersion(join(dir, 'missing', 'package.json')).version).toBe('unknown');
  });
});
