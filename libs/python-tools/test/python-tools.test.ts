import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { execa } from 'execa';
import {
  defaultPackyardHome,
  PINNED_PYTHON_TOOLS,
  PINNED_TOOLS,
  provisionPythonTools,
  pythonToolsVenvName,
  readInterpreterInfo,
  TOOLS_MARKER,
  toolsVenvName,
  type PythonToolName,
  type PythonToolSet,
} from '../src/index.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

describe('names and homes', () => {
  it('names the pex/uv venv after the interpreter and both pins', () => {
    expect(toolsVenvName('3.11', PINNED_TOOLS)).toBe('py3.11-pex2.105.2-uv0.13.9');
  });

  it('names a tool-set venv after the interpreter and every pin, tools sorted', () => {
    expect(pythonToolsVenvName('3.12', { ziglang: '0.17.0', maturin: '1.16.0' })).toBe(
      'py3.12-maturin1.16.0-ziglang0.17.0',
    );
  });

  it('takes the home from PACKYARD_HOME, else ~/.cache/packyard', () => {
    expect(defaultPackyardHome({ PACKYARD_HOME: '/srv/py' }, '/home/u')).toBe('/srv/py');
    expect(defaultPackyardHome({}, '/home/u')).toBe('/home/u/.cache/packyard');
    expect(defaultPackyardHome({ PACKYARD_HOME: '' }, '/home/u')).toBe('/home/u/.cache/packyard');
  });

  it('pins every further tool to an exact version', () => {
    for (const version of Object.values(PINNED_PYTHON_TOOLS)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('readInterpreterInfo', () => {
  it('reports X.Y and the real executable', async () => {
    const info = await readInterpreterInfo('python3');
    expect(info?.version).toMatch(/^3\.\d+$/);
    expect(info?.executable.startsWith('/')).toBe(true);
  });

  it('is undefined for an interpreter that cannot run', async () => {
    expect(await readInterpreterInfo('/nonexistent/python3')).toBeUndefined();
  });
});

describe('provisionPythonTools', () => {
  let home: string;
  let set: PythonToolSet;
  const lines: string[] = [];

  beforeAll(async () => {
    home = await makeTempDir('set');
    set = await provisionPythonTools({ home, tools: ['twine', 'build'], log: (line) => lines.push(line) });
  });

  it('installs exactly the requested pins into one venv named after them', async () => {
    const info = await readInterpreterInfo('python3');
    const name = `py${info!.version}-build${PINNED_PYTHON_TOOLS.build}-twine${PINNED_PYTHON_TOOLS.twine}`;
    expect(set.venv).toBe(join(home, 'tools', name));
    expect(await readdir(join(home, 'tools'))).toEqual([name]);
    expect(set.versions).toEqual({ build: PINNED_PYTHON_TOOLS.build, twine: PINNED_PYTHON_TOOLS.twine });
    expect(lines).toContain(
      `installing build==${PINNED_PYTHON_TOOLS.build} twine==${PINNED_PYTHON_TOOLS.twine}`,
    );
    const marker = JSON.parse(await readFile(join(set.venv, TOOLS_MARKER), 'utf8')) as Record<string, string>;
    expect(marker).toEqual({
      python: info!.version,
      build: PINNED_PYTHON_TOOLS.build,
      twine: PINNED_PYTHON_TOOLS.twine,
    });
  });

  it('runs each tool at its pinned version: a console script or python -m', async () => {
    const twine = set.commands.twine!;
    expect(twine.file).toBe(join(set.venv, 'bin', 'twine'));
    expect((await execa(twine.file, [...twine.args, '--version'])).stdout).toContain(
      `twine version ${PINNED_PYTHON_TOOLS.twine}`,
    );
    const build = set.commands.build!;
    expect(build).toEqual({ file: set.python, args: ['-m', 'build'] });
    expect((await execa(build.file, [...build.args, '--version'])).stdout).toMatch(
      new RegExp(`^build ${PINNED_PYTHON_TOOLS.build.replace(/\./g, '\\.')} `),
    );
  });

  it('reuses the venv when asked again, in any order, without running pip', async () => {
    const again: string[] = [];
    expect(
      await provisionPythonTools({ home, tools: ['build', 'twine', 'build'], log: (l) => again.push(l) }),
    ).toEqual(set);
    expect(again).toEqual([]);
  });

  it('refuses an unknown tool or an empty list, naming it, before touching the home', async () => {
    const empty = await makeTempDir('refuse');
    const unknown = await provisionPythonTools({ home: empty, tools: ['poetry' as PythonToolName] }).catch(
      (e: unknown) => e,
    );
    expect(isPackyardError(unknown, 'TOOL_PROVISION_FAILED')).toBe(true);
    expect((unknown as Error).message).toContain('"poetry"');
    const none = await provisionPythonTools({ home: empty, tools: [] }).catch((e: unknown) => e);
    expect(isPackyardError(none, 'TOOL_PROVISION_FAILED')).toBe(true);
    expect(await readdir(empty)).toEqual([]);
  });
});
