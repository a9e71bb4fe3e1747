import { constants } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAccessible, writeFileAtomically } from '../src/index.js';

describe('isAccessible', () => {
  it('tells an existing file from a missing one, and an executable from a plain file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-core-'));
    const file = join(dir, 'tool');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o644);
    expect(await isAccessible(file)).toBe(true);
    expect(await isAccessible(join(dir, 'missing'))).toBe(false);
    expect(await isAccessible(file, constants.X_OK)).toBe(false);
    await chmod(file, 0o755);
    expect(await isAccessible(file, constants.X_OK)).toBe(true);
  });
});

describe('writeFileAtomically', () => {
  it('creates missing directories and replaces the content whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-core-'));
    const file = join(dir, 'a', 'b', 'state.yaml');
    await writeFileAtomically(file, 'one\n');
    await writeFileAtomically(file, 'two\n');
    expect(await readFile(file, 'utf8')).toBe('two\n');
  });
});
