import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '../src/index.js';
import { aDir, aRoot, runCli } from './helpers.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

let root: string;

beforeAll(async () => {
  root = await aRoot();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

describe('a store killed midway', () => {
  it('leaves no blob or record behind, and the next run completes it', async () => {
    const store = await aDir(root);
    const from = await aDir(root);
    // Enough incompressible data that xz is still writing when the process is killed.
    await writeFile(join(from, 'big.bin'), randomBytes(6 * 1024 * 1024));
    const args = [
      'create',
      'killed-1.tar.xz',
      '--store-dir',
      store,
      '--from',
      from,
      '--key-json',
      '{"v": 1}',
      '--no-distfiles',
    ];

    // tsx as a loader in the same process (not its CLI, which runs node as a child), so the pid killed
    // is the one writing.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    expect(child.pid).toBeDefined();
    // Wait until the archive is being written (its temporary file has bytes), then kill at once.
    let writing = false;
    while (!writing && child.exitCode === null) {
      const temps = (await filesUnder(join(store, 'tmp'))).filter((path) => path.includes('.tmp-'));
      for (const path of temps) writing ||= ((await stat(path).catch(() => undefined))?.size ?? 0) > 0;
      if (!writing) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(writing).toBe(true);

    expect(await filesUnder(join(store, 'blos'))).toEqual([]);
    expect(await filesUnder(join(store, 'dynamic'))).toEqual([]);
    expect(
      (await runCli(['find', 'killed-1.tar.xz', '--store-dir', store, '--key-json', '{"v": 1}'])).code,
    ).toBe(EXIT.notFound);

    const again = await runCli([...args, '--json']);
    expect(again.code).toBe(EXIT.ok);
    expect(JSON.parse(again.stdout).status).toBe('created');
    expect(
      (await runCli(['find', 'killed-1.tar.xz', '--store-dir', store, '--key-json', '{"v": 1}'])).code,
    ).toBe(EXIT.ok);
    // The dead run's work directory is what gc clears.
    const gc = JSON.parse((await runCli(['gc', '--store-dir', store, '--json'])).stdout);
    expect(gc.staleTemp).toHaveLength(1);
    expect(await readdir(join(store, 'tmp'))).toEqual([]);
  });
});
