// The github-emulator command: in-process through runCli, and as the compiled bin under SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseRepoSpec, runCli, type CliIo } from '../src/cli.js';
import { call } from './support/http.js';
import { waitFor } from './support/wait.js';

interface Urls {
  apiUrl: string;
  uploadsUrl: string;
  webUrl: string;
}

function captureIo(
  env: Record<string, string> = {},
): CliIo & { out: string[]; err: string[]; stop: () => void } {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stop: () => controller.abort(),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env,
    signal: controller.signal,
  };
}

describe('parseRepoSpec', () => {
  test('reads owner/name and the immutable and private flags', () => {
    expect(parseRepoSpec('acme/tool')).toEqual({
      owner: 'acme',
      name: 'tool',
      immutableReleases: false,
      private: false,
    });
    expect(parseRepoSpec('acme/tool:immutable:private')).toEqual({
      owner: 'acme',
      name: 'tool',
      immutableReleases: true,
      private: true,
    });
    expect(parseRepoSpec('acme')).toBeUndefined();
    expect(parseRepoSpec('acme/tool:frozen')).toBeUndefined();
  });
});

describe('runCli', () => {
  test('serves the repositories and tokens it was given until the signal aborts', async () => {
    const io = captureIo({ SECOND_TOKEN: 'from-env' });
    const done = runCli(
      [
        '--repo',
        'acme/tool:immutable',
        '--repo',
        'acme/other',
        '--token',
        'T1',
        '--token-env',
        'SECOND_TOKEN',
      ],
      io,
    );
    await waitFor(() => io.out.length > 0);
    const urls = JSON.parse(io.out[0]!) as Urls;
    expect(Object.keys(urls)).toEqual(['apiUrl', 'uploadsUrl', 'webUrl']);
    expect(new Set([urls.apiUrl, urls.uploadsUrl, urls.webUrl]).size).toBe(3);

    expect(
      (await call('GET', `${urls.apiUrl}/repos/acme/tool/immutable-releases`, { token: 'T1' })).status,
    ).toBe(200);
    expect(
      (await call('GET', `${urls.apiUrl}/repos/acme/other/immutable-releases`, { token: 'from-env' })).status,
    ).toBe(404);
    expect((await call('GET', `${urls.apiUrl}/repos/acme/other`, { token: 'unknown' })).status).toBe(401);

    io.stop();
    expect(await done).toBe(0);
    await expect(fetch(`${urls.apiUrl}/repos/acme/tool`)).rejects.toThrow();
    // Tokens never reach the output.
    expect(io.out.join('') + io.err.join('')).not.toMatch(/T1|from-env/);
  });

  test.each([[['--repo', 'nonsense']], [['--port', 'x']], [['--unknown']], [['--token-env', 'NOT_SET']]])(
    '%j is a usage error',
    async (argv) => {
      const io = captureIo();
      expect(await runCli(argv, io)).toBe(2);
      expect(io.err.join('')).not.toBe('');
      expect(io.out).toEqual([]);
    },
  );
});

describe('the compiled bin', () => {
  const main = join(import.meta.dirname, '..', 'dist', 'main.js');

  test('prints its URLs, serves, and exits 0 on SIGTERM', async () => {
    // `nx run github-emulator:test` compiles first (the test target depends on compile).
    expect(existsSync(main)).toBe(true);
    const child = spawn(process.execPath, [main, '--port', '0', '--repo', 'acme/tool', '--token', 'T'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const firstLine = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout }).once('line', resolve);
    });
    const urls = JSON.parse(firstLine) as Urls;
    const created = await call('POST', `${urls.apiUrl}/repos/acme/tool/releases`, {
      token: 'T',
      body: { tag_name: 'v1' },
    });
    expect(created.status).toBe(201);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
