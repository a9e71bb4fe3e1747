import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtures, fixturePath, FixtureMissingError, serveDirectory } from '../src/testing.js';

describe('fixtures', () => {
  it('finds what buildFixtures built, and names the Nx command for what is missing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'core-fixtures-'));
    const missing = await fixturePath('demo', 'tool', root).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(FixtureMissingError);
    expect((missing as Error).message).toContain('run `npx nx run demo:fixtures`');

    await buildFixtures(
      'demo',
      async (dir) => {
        await writeFile(join(dir, 'tool'), 'binary');
        return { tool: 'tool' };
      },
      root,
    );
    expect(await fixturePath('demo', 'tool', root)).toBe(join(root, 'demo', 'tool'));
    expect(await readdir(root)).toEqual(['demo']);
    await expect(fixturePath('demo', 'other', root)).rejects.toThrow('"other" of demo is missing');
  });

  it('leaves no half-built set when the build fails', async () => {
    const root = await mkdtemp(join(tmpdir(), 'core-fixtures-'));
    await expect(
      buildFixtures('demo', () => Promise.reject(new Error('go build failed')), root),
    ).rejects.toThrow('go build failed');
    await expect(
      buildFixtures('demo', () => Promise.resolve({ tool: 'never-written' }), root),
    ).rejects.toThrow('never-written is not a path the build wrote');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('serveDirectory', () => {
  it('serves files with Last-Modified, the given headers and index.html for a directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'core-serve-'));
    await writeFile(join(root, 'index.html'), '<html></html>');
    const server = await serveDirectory(root, { headers: { 'cache-control': 'max-age=600' } });
    try {
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('max-age=600');
      expect(page.headers.get('last-modified')).toMatch(/GMT$/);
      expect(await page.text()).toBe('<html></html>');
      expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
      expect(server.requests).toEqual(['/', '/nothing']);
    } finally {
      await server.close();
    }
  });
});
