import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { execa } from 'execa';
import { PINNED_TOOLS, provisionTools, TOOLS_MARKER, type Tools } from '../src/index.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

describe('provisionTools', () => {
  let home: string;
  let tools: Tools;
  let firstLog: string[][];

  beforeAll(async () => {
    home = await makeTempDir('home');
    // Two provisionings at once: the lock makes one wait for the other, which then reuses its venv.
    firstLog = [[], []];
    const both = await Promise.all(
      firstLog.map((lines) => provisionTools({ home, log: (line) => lines.push(line) })),
    );
    expect(both[1]).toEqual(both[0]);
    tools = both[0]!;
  });

  it('builds one venv under <home>/tools, named after python and both pins', async () => {
    expect(tools.venv).toBe(join(home, 'tools', `py3.11-pex${PINNED_TOOLS.pex}-uv${PINNED_TOOLS.uv}`));
    expect(tools.versions).toEqual(PINNED_TOOLS);
    expect(await readdir(join(home, 'tools'))).toEqual([
      `py3.11-pex${PINNED_TOOLS.pex}-uv${PINNED_TOOLS.uv}`,
    ]);
    const installs = firstLog.flat().filter((line) => line.startsWith('installing pex=='));
    expect(installs).toEqual([`installing pex==${PINNED_TOOLS.pex} uv==${PINNED_TOOLS.uv}`]);
  });

  it('installs the pinned pex and uv, runnable from the final path', async () => {
    expect((await execa(tools.pex, ['--version'])).stdout.trim()).toBe(PINNED_TOOLS.pex);
    expect((await execa(tools.uv, ['--version'])).stdout).toMatch(
      new RegExp(`^uv ${PINNED_TOOLS.uv.replace(/\./g, '\\.')}\\b`),
    );
    const prefix = await execa(tools.python, ['-c', 'import sys; print(sys.prefix)']);
    expect(prefix.stdout.trim()).toBe(tools.venv);
  });

  it('takes the fast path once the marker is there: same paths, nothing rebuilt', async () => {
    const marker = join(tools.venv, TOOLS_MARKER);
    const before = await stat(marker);
    const venvBefore = await stat(tools.venv);
    const lines: string[] = [];
    const again = await provisionTools({ home, log: (line) => lines.push(line) });
    expect(again).toEqual(tools);
    expect(lines).toEqual([]);
    const after = await stat(marker);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect((await stat(tools.venv)).ino).toBe(venvBefore.ino);
  });

  it('uses $PACKYARD_HOME when no home is given', async () => {
    const saved = process.env['PACKYARD_HOME'];
    process.env['PACKYARD_HOME'] = home;
    try {
      const lines: string[] = [];
      expect(await provisionTools({ log: (line) => lines.push(line) })).toEqual(tools);
      expect(lines).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env['PACKYARD_HOME'];
      else process.env['PACKYARD_HOME'] = saved;
    }
  });

  it('rebuilds a venv copied from another home, whose scripts point at the old path', async () => {
    const copy = await makeTempDir('copied-home');
    await cp(join(home, 'tools'), join(copy, 'tools'), { recursive: true, verbatimSymlinks: true });
    const copied = join(copy, 'tools', `py3.11-pex${PINNED_TOOLS.pex}-uv${PINNED_TOOLS.uv}`);
    expect((await readFile(join(copied, 'bin', 'pex'), 'utf8')).split('\n')[0]).toBe(
      `#!${join(tools.venv, 'bin', 'python')}`,
    );
    const lines: string[] = [];
    const rebuilt = await provisionTools({ home: copy, log: (line) => lines.push(line) });
    expect(lines).toContain(`installing pex==${PINNED_TOOLS.pex} uv==${PINNED_TOOLS.uv}`);
    expect(rebuilt.venv).toBe(copied);
    expect((await readFile(rebuilt.pex, 'utf8')).split('\n')[0]).toBe(`#!${join(copied, 'bin', 'python')}`);
    expect((await execa(rebuilt.pex, ['--version'])).stdout.trim()).toBe(PINNED_TOOLS.pex);
  });

  it('replaces what a killed provisioning left behind', async () => {
    const other = await makeTempDir('home-debris');
    const venv = join(other, 'tools', `py3.11-pex${PINNED_TOOLS.pex}-uv${PINNED_TOOLS.uv}`);
    // A venv without marker at the final path, and a temporary sibling, as a killed run could leave.
    await mkdir(join(venv, 'bin'), { recursive: true });
    await writeFile(join(venv, 'bin', 'pex'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    await mkdir(`${venv}.tmp-99999-deadbeef`, { recursive: true });
    const rebuilt = await provisionTools({ home: other });
    expect(rebuilt.venv).toBe(venv);
    expect((await execa(rebuilt.pex, ['--version'])).stdout.trim()).toBe(PINNED_TOOLS.pex);
    expect(await readdir(join(other, 'tools'))).toEqual([
      `py3.11-pex${PINNED_TOOLS.pex}-uv${PINNED_TOOLS.uv}`,
    ]);
  });

  it('fails with TOOL_PROVISION_FAILED and pip’s message, leaving nothing behind', async () => {
    const other = await makeTempDir('home-fail');
    const error = await provisionTools({ home: other, versions: { pex: '0.0.0.post999' } }).catch(
      (e: unknown) => e,
    );
    expect(isPackyardError(error, 'TOOL_PROVISION_FAILED')).toBe(true);
    expect((error as Error).message).toContain('pex==0.0.0.post999');
    expect((error as Error).message).toMatch(/No matching distribution|Could not find a version/);
    expect(await readdir(join(other, 'tools'))).toEqual([]);
  });

  it('fails with TOOL_PROVISION_FAILED when the interpreter cannot run', async () => {
    const error = await provisionTools({ home, python: '/nonexistent/python3' }).catch((e: unknown) => e);
    expect(isPackyardError(error, 'TOOL_PROVISION_FAILED')).toBe(true);
  });
});
