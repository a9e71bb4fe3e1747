import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '@packyard/core';
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

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const path of await filesUnder(dir)) total += (await stat(path)).size;
  return total;
}

describe('a store killed midway', () => {
  it('leaves no blob or record behind, only its own work file, which the next command removes at once', async () => {
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
    // Another archive already in the store: its size is what the store must come back to.
    const other = await aDir(root, { 'a.txt': 'kept' });
    expect((await runCli(['create', 'other-1.tar.gz', '--store-dir', store, '--from', other])).code).toBe(
      EXIT.ok,
    );
    const storeBytes = await bytesUnder(store);

    for (let round = 0; round < 5; round++) {
      // tsx as a loader in the same process (not its CLI, which runs node as a child), so the pid
      // killed is the one writing.
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      expect(child.pid).toBeDefined();
      // Wait until the archive is being written (its temporary file has bytes), then kill at once.
      let writing = false;
      while (!writing && child.exitCode === null) {
        const temps = (await filesUnder(join(store, 'tmp'))).filter((path) =>
          path.includes(`.tmp-${child.pid}-`),
        );
        for (const path of temps) writing ||= ((await stat(path).catch(() => undefined))?.size ?? 0) > 0;
        if (!writing) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill('SIGKILL');
      await exited;
      expect(writing).toBe(true);

      // What is left is this run's own partial archive (each run cleared the one before): no blob,
      // no record, and no copy of the source.
      expect((await filesUnder(join(store, 'blos'))).length).toBe(2);
      expect((await filesUnder(join(store, 'dynamic'))).length).toBe(1);
      const left = await filesUnder(join(store, 'tmp'));
      expect(left.length).toBeGreaterThan(0);
      expect(left.every((path) => path.includes(`.tmp-${child.pid}-`))).toBe(true);
      expect(await bytesUnder(store)).toBeLessThan(storeBytes + 6 * 1024 * 1024 + 1024 * 1024);
    }
    expect(
      (await runCli(['find', 'killed-1.tar.xz', '--store-dir', store, '--key-json', '{"v": 1}'])).code,
    ).toBe(EXIT.failed);

    // The next command that writes to the store (here the same create) clears the dead run's work
    // file before it starts, and completes the archive.
    const again = await runCli([...args, '--json']);
    expect(again.code).toBe(EXIT.ok);
    const created = JSON.parse(again.stdout);
    expect(created.status).toBe('created');
    expect(await readdir(join(store, 'tmp'))).toEqual([]);
    const added =
      created.size +
      (await stat(`${created.blobPath.slice(0, -'.blob'.length)}`)).size +
      (await stat(created.recordPath)).size;
    expect(await bytesUnder(store)).toBe(storeBytes + added);
    expect(
      (await runCli(['find', 'killed-1.tar.xz', '--store-dir', store, '--key-json', '{"v": 1}'])).code,
    ).toBe(EXIT.ok);
    const gc = JSON.parse((await runCli(['gc', '--store-dir', store, '--json'])).stdout);
    expect(gc).toMatchObject({ removed: [], staleTemp: [] });
  });
});
