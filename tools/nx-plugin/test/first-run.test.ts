/**
 * The Quick start on a terminal, as a new user meets it: a fresh clone of this workspace (its
 * working tree as it is now, tracked files only), no Nx state anywhere (a temp HOME, its own cache
 * and workspace data), no CI variables, and Nx run under a pseudo-terminal (`script`) whose input
 * never answers. Nx must ask nothing (its analytics, Nx Cloud and Nx Console questions wait forever
 * for an answer on a terminal), finish on its own, and leave every tracked file as it was (an
 * answered analytics prompt writes into nx.json, and that edit makes `nx affected` select every
 * project).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeFreshClone } from '@packyard/test-helpers';

const run = promisify(execFile);
const WORKSPACE = join(import.meta.dirname, '..', '..', '..');
// Only a hang guard: the command takes seconds; a prompt waits for ever.
const HANG_GUARD_MS = 480_000;
// What Nx prints when it asks its first-run questions, matched in the output with escape sequences
// and all white space removed (a narrow terminal breaks the question over many lines).
const PROMPT = /usagedata|installnxconsole|connecttonxcloud|\(y\/n\)/;
const normalise = (output: string): string =>
  output
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\s+/g, '')
    .toLowerCase();
// Variables that make Nx (is-ci) skip its questions, or point it at the enclosing Nx run.
const CI_VARIABLES =
  /^(CI|CONTINUOUS_INTEGRATION|TF_BUILD|GITHUB_ACTIONS|BUILDKITE|CIRCLECI|CIRRUS_CI|TRAVIS|CODEBUILD_BUILD_ID|GITLAB_CI|HEROKU_TEST_RUN_ID|BUILD_ID|BUILD_NUMBER|BUILD_BUILDID|TEAMCITY_VERSION|JENKINS_URL|HUDSON_URL|bamboo.*|NX_.*)$/;

let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nx-first-run-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    return (await run('git', args, { cwd })).stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error });
  }
}

interface TerminalRun {
  output: string;
  code: number | null;
  killed: boolean;
}

/** Runs `command` under a pseudo-terminal whose input stays open and silent until it exits. */
function runOnTerminal(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    // `script` gives the command a terminal for stdin and stdout; stdin here is a pipe we never write.
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const guard = setTimeout(() => {
      killed = true;
      // The whole group: script, npx, nx and anything they started.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, HANG_GUARD_MS);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(guard);
      child.stdin.destroy();
      resolve({ output, code, killed });
    });
  });
}

describe('the first nx command in a fresh clone, on a terminal', () => {
  it('asks nothing, exits on its own and edits no tracked file', async () => {
    // The working tree's tracked files, committed fresh; `npm install`'s result borrowed (linked):
    // the question is what Nx does, not what npm fetches.
    const clone = join(scratch, 'clone');
    await makeFreshClone(WORKSPACE, clone, { nodeModules: 'symlink' });

    const home = join(scratch, 'home');
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CI_VARIABLES.test(key)));
    Object.assign(env, {
      HOME: home,
      CI: 'false',
      NX_CACHE_DIRECTORY: join(scratch, 'nx-cache'),
      NX_WORKSPACE_DATA_DIRECTORY: join(scratch, 'nx-data'),
      // npx's own cache and logs stay out of the real home as well.
      npm_config_cache: join(home, '.npm'),
      TERM: process.env['TERM'] ?? 'xterm',
    });

    const result = await runOnTerminal('stty cols 120 rows 40; npx nx show projects', clone, env);

    const asked = PROMPT.exec(normalise(result.output))?.[0] ?? null;
    expect({ killed: result.killed, asked, tail: result.output.slice(-2000) }).toMatchObject({
      killed: false,
      asked: null,
    });
    expect(result.code).toBe(0);
    // It really ran: the inferred and package.json projects are listed.
    expect(result.output).toMatch(/\bpex-builder\b/);
    expect(await git(clone, ['status', '--porcelain', '--untracked-files=no'])).toBe('');
  });
});
