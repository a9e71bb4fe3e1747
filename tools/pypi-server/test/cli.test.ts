import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, main, USAGE } from '../src/cli.js';

// The command line users run for local trials: start (in the background), status, stop; nothing prompts.
let dir: string;

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    cwd: dir,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pypi-server-cli-'));
});

afterAll(async () => {
  await run(['stop', '--dir', 'index']);
  await rm(dir, { recursive: true, force: true });
});

describe('pypi-server command line', () => {
  it('start prints the URLs and the credentials file; the index serves and asks for them on upload', async () => {
    const started = await run(['start', '--dir', 'index', '--user', 'alice', '--json']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(EXIT.ok);
    const server = JSON.parse(started.stdout) as {
      repositoryUrl: string;
      indexUrl: string;
      credentialsFile: string;
      pid: number;
    };
    expect(server.indexUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
    expect(server.credentialsFile).toBe(join(dir, 'index', 'credentials'));
    expect((await stat(server.credentialsFile)).mode & 0o777).toBe(0o600);
    const credentials = await readFile(server.credentialsFile, 'utf8');
    expect(credentials).toMatch(
      new RegExp(
        `^TWINE_REPOSITORY_URL=${server.repositoryUrl}\nTWINE_USERNAME=alice\nTWINE_PASSWORD=[0-9a-f]{24}\n$`,
      ),
    );
    expect((await fetch(server.indexUrl)).status).toBe(200);
    const password = /TWINE_PASSWORD=(\S+)/.exec(credentials)![1]!;
    const upload = (auth?: string) =>
      fetch(server.repositoryUrl, {
        method: 'POST',
        body: new FormData(),
        headers: auth === undefined ? {} : { authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
      });
    expect((await upload()).status).toBe(401);
    // The file's credentials get past authentication (the empty form is then refused as a bad upload).
    expect([400, 409]).toContain((await upload(`alice:${password}`)).status);

    const status = await run(['status', '--dir', 'index']);
    expect(status.code).toBe(EXIT.ok);
    expect(status.stdout).toBe(
      `pypiserver running (pid ${server.pid})\n  upload:      ${server.repositoryUrl}\n` +
        `  index:       ${server.indexUrl}\n  credentials: ${server.credentialsFile}\n`,
    );
    const again = await run(['start', '--dir', 'index']);
    expect(again.code).toBe(EXIT.running);
    expect(again.stderr).toContain(
      `a server is already running from ${join(dir, 'index')} (pid ${server.pid})`,
    );

    const stopped = await run(['stop', '--dir', 'index', '--json']);
    expect(stopped.code).toBe(EXIT.ok);
    expect(JSON.parse(stopped.stdout)).toEqual({ stopped: true, pid: server.pid });
    await expect(fetch(server.indexUrl)).rejects.toThrow();
    expect((await run(['status', '--dir', 'index'])).code).toBe(EXIT.notRunning);
    expect((await run(['stop', '--dir', 'index'])).code).toBe(EXIT.notRunning);
  });

  it('usage errors exit 2 and name the problem', async () => {
    expect((await run([])).code).toBe(EXIT.usage);
    expect((await run(['--help'])).stdout).toBe(`${USAGE}\n`);
    const noDir = await run(['start']);
    expect(noDir).toMatchObject({ code: EXIT.usage });
    expect(noDir.stderr).toContain('--dir DIR is required');
    const badPort = await run(['start', '--dir', 'x', '--port', 'http']);
    expect(badPort.code).toBe(EXIT.usage);
    expect(badPort.stderr).toContain('--port must be a port number, not "http"');
    expect((await run(['restart', '--dir', 'x'])).code).toBe(EXIT.usage);
  });
});
