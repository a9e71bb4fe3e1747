import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import {
  TimeLimitError,
  contentAddressedKey,
  describeExit,
  isTimeLimit,
  listTree,
  parseSeconds,
  runBounded,
  treeDigest,
} from '../src/index.js';

/** A process that exists and is not a zombie (killed, waiting to be reaped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL is delivered asynchronously: poll until the process is gone (no time assertion). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe('runBounded', () => {
  it('returns the interleaved output and the exit code', async () => {
    const run = await runBounded('sh', ['-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 600_000 });
    expect(run).toMatchObject({ exitCode: 3, timedOut: false });
    expect(run.output).toContain('out\n');
    expect(run.output).toContain('err\n');
    expect(describeExit(run, 600_000)).toBe('exited with code 3');
  });

  it('kills the whole process group at the limit, grandchildren included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-bounded-'));
    const pidFile = join(dir, 'pid');
    // The child starts a grandchild that would sleep for an hour, then waits for it.
    const run = await runBounded('sh', ['-c', `sleep 3600 & echo $! > ${pidFile}; wait`], {
      timeoutMs: 5000,
      killGraceMs: 500,
    });
    expect(run.timedOut).toBe(true);
    expect(describeExit(run, 5000)).toBe('timed out after 5 s (its process group was killed)');
    // On a machine too slow to start the grandchild within the limit there is no grandchild to check.
    const grandchild = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
    if (grandchild !== undefined) expect(await gone(grandchild)).toBe(true);
  });

  it('kills what a finished program left running in its group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-bounded-'));
    const pidFile = join(dir, 'pid');
    const run = await runBounded(
      'sh',
      ['-c', `(sleep 3600 >/dev/null 2>&1 &) ; sleep 3600 >/dev/null 2>&1 & echo $! > ${pidFile}`],
      {
        timeoutMs: 600_000,
      },
    );
    expect(run.exitCode).toBe(0);
    const leftover = Number(readFileSync(pidFile, 'utf8').trim());
    expect(await gone(leftover)).toBe(true);
  });
});

describe('time limits', () => {
  it('parses seconds and names the option and value when it cannot', () => {
    expect(parseSeconds('--time-limit-git', '90')).toBe(90_000);
    expect(parseSeconds('--time-limit-git', '0.5')).toBe(500);
    expect(() => parseSeconds('--time-limit-git', 'ten')).toThrow(
      /must be a positive number of seconds, not "ten"/,
    );
    try {
      parseSeconds('--time-limit-compile', '-1');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: '--time-limit-compile', value: '-1' });
    }
  });

  it('recognises a time-limit failure through its causes', () => {
    const limit = new TimeLimitError('BUILD_FAILED', 'git timed out');
    expect(isTimeLimit(limit)).toBe(true);
    expect(isTimeLimit(new PackyardError('BUILD_FAILED', 'wrapped', { cause: limit }))).toBe(true);
    expect(isTimeLimit(new PackyardError('BUILD_FAILED', 'exited with 1'))).toBe(false);
  });
});

describe('package trees', () => {
  it('lists files and symbolic links (not followed), sorted, and every change moves the digest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'packyard-tree-'));
    await mkdir(join(root, 'sub', '.git'), { recursive: true });
    await writeFile(join(root, 'sub', 'b.m'), 'b');
    await writeFile(join(root, 'sub', '.git', 'HEAD'), 'x');
    await writeFile(join(root, 'a.m'), 'a');
    await symlink('sub/b.m', join(root, 'link.m'));
    expect(await listTree(root)).toEqual([
      { path: 'a.m', kind: 'file' },
      { path: 'link.m', kind: 'symlink' },
      { path: 'sub/b.m', kind: 'file' },
    ]);
    const before = await treeDigest(root);
    expect(await treeDigest(root)).toBe(before);
    await writeFile(join(root, 'sub', 'b.m'), 'B');
    const edited = await treeDigest(root);
    expect(edited).not.toBe(before);
    await writeFile(join(root, 'sub', '.git', 'HEAD'), 'y');
    expect(await treeDigest(root)).toBe(edited);
  });
});

describe('contentAddressedKey', () => {
  it('puts the digest in the key and refuses anything that is not one', () => {
    const digest = 'a'.repeat(64);
    expect(contentAddressedKey('x-1.0-any-none-any.mhl', digest)).toBe(
      `sha256/${digest}/x-1.0-any-none-any.mhl`,
    );
    expect(() => contentAddressedKey('x.mhl', 'abc')).toThrow('not a sha256 hex digest: abc');
  });
});
