// `pkg-index dispatch` against packyard's GitHub emulator: the event, the payload as real JSON, the
// token handling and the seed's exit codes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGitHubEmulator, type GitHubEmulator } from '@packyard/github-emulator';
import { EXIT } from '@packyard/core';
import { aTempDir, runCli } from './helpers.js';

const TOKEN = 'ghp_dispatchTestToken0123456789abcdef';
let github: GitHubEmulator;

beforeAll(async () => {
  github = await startGitHubEmulator();
  github.createRepo('GridTools', 'python-pkg-index');
  github.addToken(TOKEN);
});
afterAll(async () => {
  await github.close();
});
beforeEach(() => {
  github.resetLog();
});

const SHA = '0123456789abcdef0123456789abcdef01234567';
/** The usual request: update GridTools/dace at SHA in GridTools/python-pkg-index. */
const DACE = ['--owner', 'GridTools', '--repo', 'dace', '--ref', SHA];
const TO_INDEX = ['--index-repo', 'GridTools/python-pkg-index'];

function dispatch(args: string[], env: Record<string, string | undefined> = { PKG_UPDATE_TOKEN: TOKEN }) {
  return runCli(['dispatch', '--api-url', github.apiUrl, ...args], { env });
}

describe('pkg-index dispatch', () => {
  test('sends update_package_index with the seed payload', async () => {
    const run = await dispatch([...TO_INDEX, ...DACE]);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(EXIT.ok);
    expect(github.dispatches('GridTools', 'python-pkg-index')).toEqual([
      {
        event_type: 'update_package_index',
        client_payload: { source_repo: 'dace', source_org: 'GridTools', dependency_ref: SHA },
      },
    ]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
  });

  test('values are sent as JSON, not spliced into a string', async () => {
    // A quote is legal in a git ref name; the seed's string concatenation would have broken the body.
    const ref = 'feature/"quoted"&{x}';
    const tokenDir = await aTempDir();
    await writeFile(join(tokenDir, '.token'), `${TOKEN}\n`);
    const run = await runCli(
      [
        'dispatch',
        '--api-url',
        github.apiUrl,
        '--index-repo',
        'GridTools/python-pkg-index',
        '--source-org',
        'ghex-org',
        '--source-repo',
        'GHEX',
        '--source-ref',
        ref,
        '--token-file',
        '.token',
      ],
      { cwd: tokenDir, env: {} },
    );
    expect(run.code).toBe(EXIT.ok);
    expect(github.dispatches('GridTools', 'python-pkg-index').at(-1)).toEqual({
      event_type: 'update_package_index',
      client_payload: { source_repo: 'GHEX', source_org: 'ghex-org', dependency_ref: ref },
    });
  });

  test('the index repository can come from PKG_INDEX_REPO and the token from GH_TOKEN', async () => {
    const run = await dispatch(['--owner', 'GridTools', '--repo', 'dace', '--ref', 'main'], {
      PKG_INDEX_REPO: 'GridTools/python-pkg-index',
      GH_TOKEN: TOKEN,
    });
    expect(run.code).toBe(EXIT.ok);
    expect(github.requests().filter((r) => r.write)).toHaveLength(1);
  });

  test('no token: a clear error, exit 1, and no request at all', async () => {
    const run = await dispatch([...TO_INDEX, ...DACE], {
      PKG_UPDATE_TOKEN: '',
      GITHUB_TOKEN: undefined,
      GH_TOKEN: undefined,
    });
    expect(run.stderr).toContain('no GitHub token: nothing was sent');
    expect(run.stderr).toContain('set PKG_UPDATE_TOKEN');
    expect(run.code).toBe(EXIT.auth);
    expect(github.requests()).toEqual([]);
  });

  test('a token GitHub refuses: exit 16, the status named, the token never printed', async () => {
    const bad = 'ghp_notARealToken0123456789abcdefABCD';
    const sent = github.dispatches('GridTools', 'python-pkg-index').length;
    const run = await dispatch([...TO_INDEX, ...DACE], { PKG_UPDATE_TOKEN: bad });
    expect(run.stderr).toMatch(
      /dispatching update_package_index to GridTools\/python-pkg-index failed \(HTTP 401\)/,
    );
    expect(run.stderr).not.toContain(bad);
    expect(run.code).toBe(EXIT.dispatch);
    expect(github.dispatches('GridTools', 'python-pkg-index')).toHaveLength(sent);
  });

  test('a missing index repository is a 404 named with a hint', async () => {
    const run = await dispatch(['--index-repo', 'GridTools/no-such-index', ...DACE]);
    expect(run.stderr).toContain('(HTTP 404)');
    expect(run.stderr).toContain('hint: the token cannot write to GridTools/no-such-index');
    expect(run.code).toBe(EXIT.dispatch);
  });

  test('server errors are retried', async () => {
    const sent = github.dispatches('GridTools', 'python-pkg-index').length;
    github.injectFault({
      kind: 'status',
      status: 502,
      path: '/repos/GridTools/python-pkg-index/dispatches',
      times: 1,
    });
    const run = await dispatch([...TO_INDEX, ...DACE]);
    expect(run.code).toBe(EXIT.ok);
    expect(github.requests().map((r) => r.status)).toEqual([502, 204]);
    expect(github.dispatches('GridTools', 'python-pkg-index')).toHaveLength(sent + 1);
  });

  test.each([
    [
      ['--owner', 'a', '--owner', 'b', '--repo', 'r', '--ref', 'x'],
      EXIT.usage,
      '--owner was given more than once',
    ],
    [
      ['--source-org', 'a', '--owner', 'b', '--repo', 'r', '--ref', 'x'],
      EXIT.usage,
      '--owner was given more than once',
    ],
    [['--owner', 'a', '--repo', 'r', '--ref'], EXIT.usage, 'argument missing'],
    [
      ['--owner', 'a', '--repo', 'r', '--ref', 'x', '--frobnicate'],
      EXIT.usage,
      'dispatch: unknown option --frobnicate',
    ],
    [['--owner', 'a', '--repo', 'r', '--ref', 'x', 'stray'], EXIT.usage, "Unexpected argument 'stray'"],
    [['--owner', 'a', '--repo', 'r'], EXIT.usage, '--ref is required'],
    [['--owner', 'a', '--ref', 'x'], EXIT.usage, '--repo is required'],
    [['--owner', 'bad owner!', '--repo', 'r', '--ref', 'x'], EXIT.config, 'is not a GitHub owner name'],
    [['--owner', 'a', '--repo', 'r', '--ref', 'x..y'], EXIT.config, 'is not a git ref'],
  ])('command line %j → exit %i, nothing sent', async (args, code, message) => {
    const run = await dispatch([...TO_INDEX, ...args]);
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(code);
    expect(github.requests()).toEqual([]);
  });
});
