import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore } from '@packyard/nx-cache';
import { aWorkspace, runCli, WORKSPACE_ROOT } from './helpers.js';

const NX = join(WORKSPACE_ROOT, 'node_modules/nx/dist/bin/nx.js');

describe('nx-cache-server command line', () => {
  it('prints help with exit 0, and exits 2 on a bad command line', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('NX_CACHE_READ_TOKEN');
    expect((await runCli(['serve'])).stderr).toContain('--store is required');
    expect((await runCli(['serve', '--bogus'])).code).toBe(2);
    expect((await runCli(['run', '--store', '/tmp/x'])).code).toBe(2);
  });

  it('refuses to serve beyond loopback without a token (exit 3), and two equal tokens (exit 6)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nx-cache-cli-'));
    const open = await runCli(['serve', '--store', dir, '--host', '0.0.0.0']);
    expect(open.code).toBe(3);
    expect(open.stderr).toContain('NX_CACHE_WRITE_TOKEN');
    const same = await runCli(['serve', '--store', dir], {
      NX_CACHE_WRITE_TOKEN: 'x1',
      NX_CACHE_READ_TOKEN: 'x1',
    });
    expect(same.code).toBe(6);
    expect(same.stderr).not.toContain('x1');
    expect((await runCli(['serve', '--store', dir, '--port', '99999'])).code).toBe(6);
    expect((await runCli(['serve', '--store', 's3://'])).code).toBe(6);
    expect((await runCli(['serve', '--store', 's3://bucket/prefix'])).code).toBe(3);
  });

  it('serves until stopped: --json gives a ready event, request events and a summary on stderr, the result on stdout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nx-cache-cli-'));
    const stop = new AbortController();
    let stderr = '';
    const running = (async () => {
      const { main } = await import('../src/index.js');
      let stdout = '';
      const code = await main(['serve', '--store', dir, '--json'], {
        cwd: dir,
        env: {},
        stopSignal: () => stop.signal,
        stdout: (text) => (stdout += text),
        stderr: (text) => {
          stderr += text;
        },
      });
      return { code, stdout };
    })();
    while (!stderr.includes('\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    const { url } = JSON.parse(stderr.split('\n')[0]!) as { type: string; url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/v1/cache/123`)).status).toBe(404);
    stop.abort();
    const { code, stdout } = await running;
    expect(code).toBe(0);
    const lines = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toEqual({ type: 'ready', url });
    expect(lines[1]).toMatchObject({
      type: 'request',
      method: 'GET',
      hash: '123',
      status: 404,
      outcome: 'miss',
    });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', command: 'serve' });
    // The result is one JSON document on stdout.
    expect(JSON.parse(stdout)).toMatchObject({ url, stats: { miss: 1, hit: 0 } });
  });
});

describe('as a sidecar for the real Nx client', () => {
  it('gives a second workspace with an empty local cache a remote hit, with the same output', async () => {
    const storeDir = await mkdtemp(join(tmpdir(), 'nx-cache-sidecar-'));
    const first = await aWorkspace();
    const second = await aWorkspace();
    const env = (cache: string) => ({
      ...process.env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_CACHE_DIRECTORY: cache,
      NX_CACHE_WRITE_TOKEN: 'ci-write-token',
      NX_CACHE_READ_TOKEN: 'ci-read-token',
    });
    const runIn = async (workspace: string) => {
      const previous = process.cwd();
      process.chdir(workspace);
      try {
        return await runCli(
          ['run', '--store', storeDir, '--', process.execPath, NX, 'run', 'p:make'],
          env(join(workspace, '.local-cache')),
        );
      } finally {
        process.chdir(previous);
      }
    };
    const a = await runIn(first);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/1 stored/);
    const b = await runIn(second);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/1 hits/);
    expect(await readFile(join(second, 'p/out/result.txt'), 'utf8')).toBe('HELLO\n');
    const entries: string[] = [];
    for await (const object of createLocalStore({ dir: storeDir }).list('')) entries.push(object.key);
    expect(entries).toHaveLength(1);
    await rm(first, { recursive: true, force: true });
    await rm(second, { recursive: true, force: true });
  });
});
