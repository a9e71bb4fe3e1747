/**
 * A release that appears on the index locks at once, whatever the index's caching headers say.
 * A PEP 503 index of real PyPI wheels (`nx run pex-builder:fixtures`) is served on loopback as a
 * static host serves it: with `Last-Modified` and no Cache-Control (uv then keeps a page fresh for a
 * tenth of its age), or with PyPI's `Cache-Control: max-age=600`. wait-for-it 2.2.2 is locked, 2.3.0
 * is added to the index, and 2.3.0 is locked with the same uv cache.
 */
import { copyFile, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixturePath, serveDirectory, type StaticServer } from '@packyard/core/testing';
import { lockRequirements, type Tools } from '../src/index.js';
import { makeTempDir, removeTempDirs, toolsWithFreshCaches } from './helpers.js';

afterAll(removeTempDirs);

// Pages older than the run, as a static host that keeps its files' times serves them.
const PUBLISHED = new Date('2026-01-01T00:00:00Z');

/** Writes `<root>/simple/<project>/` with the given wheels (PEP 503), dated PUBLISHED. */
async function publish(root: string, wheels: string, files: string[]): Promise<void> {
  const byProject = new Map<string, string[]>();
  for (const file of files) {
    // PEP 503 normalised name from the wheel's distribution part (wait_for_it → wait-for-it).
    const project = file
      .split('-')[0]!
      .toLowerCase()
      .replace(/[-_.]+/g, '-');
    byProject.set(project, [...(byProject.get(project) ?? []), file]);
  }
  for (const [project, projectFiles] of byProject) {
    const dir = join(root, 'simple', project);
    await mkdir(dir, { recursive: true });
    const links = [];
    for (const file of projectFiles) {
      await copyFile(join(wheels, file), join(dir, file));
      links.push(`<a href="${file}">${file}</a>`);
    }
    const page = join(dir, 'index.html');
    await writeFile(page, `<!DOCTYPE html>\n<html><body>\n${links.join('<br>\n')}\n</body></html>\n`);
    await utimes(page, PUBLISHED, PUBLISHED);
  }
}

let wheels: string[];
let wheelDir: string;

beforeAll(async () => {
  wheelDir = await fixturePath('pex-builder', 'wheels');
  wheels = (await readdir(wheelDir)).sort();
});

describe.each([
  ['no Cache-Control (Last-Modified only)', {}],
  ['Cache-Control: max-age=600 (as PyPI)', { 'cache-control': 'max-age=600' }],
])('lockRequirements with an index sending %s', (_name, headers) => {
  let root: string;
  let server: StaticServer;
  let lockTools: Tools;

  beforeAll(async () => {
    root = await makeTempDir('fresh-index');
    const older = wheels.filter((file) => !file.startsWith('wait_for_it-2.3.0-'));
    expect(older).toHaveLength(wheels.length - 1);
    await publish(root, wheelDir, older);
    server = await serveDirectory(root, { headers });
    // A uv cache of this describe's own.
    lockTools = await toolsWithFreshCaches();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('locks a version that the index gained after the previous lock read its page', async () => {
    const lock = (dir: string, version: string) =>
      lockRequirements(lockTools, {
        dir,
        package: 'wait-for-it',
        version,
        pythonVersion: '3.11',
        indexUrl: `${server.url}/simple`,
      });
    const first = await lock(await makeTempDir('lock-old'), '2.2.2');
    expect(await readFile(first.requirementsTxt, 'utf8')).toMatch(/^wait-for-it==2\.2\.2 \\$/m);

    await publish(root, wheelDir, wheels);
    server.requests.length = 0;
    const second = await lock(await makeTempDir('lock-new'), '2.3.0');
    expect(await readFile(second.requirementsTxt, 'utf8')).toMatch(/^wait-for-it==2\.3\.0 \\$/m);
    // Exactly the locked project's page was read again; click's and colorama's came from the cache.
    expect(server.requests.filter((path) => path.endsWith('/'))).toEqual(['/simple/wait-for-it/']);
  });
});
