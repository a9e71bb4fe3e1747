import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fixturePath } from '@packyard/core/testing';
import {
  createHermitEnvironment,
  HERMIT_MODULE_DIR,
  PINNED_HERMIT_VERSION,
  provisionHermit,
} from '../src/index.js';

const run = promisify(execFile);

describe('the pinned Hermit module', () => {
  it('requires exactly the pinned version, with a go.sum that covers the build', async () => {
    const goMod = await readFile(join(HERMIT_MODULE_DIR, 'go.mod'), 'utf8');
    expect(goMod).toMatch(
      new RegExp(
        `^require github\\.com/cashapp/hermit v${PINNED_HERMIT_VERSION.replaceAll('.', '\\.')}$`,
        'm',
      ),
    );
    const goSum = await readFile(join(HERMIT_MODULE_DIR, 'go.sum'), 'utf8');
    expect(goSum).toContain(`github.com/cashapp/hermit v${PINNED_HERMIT_VERSION} h1:`);
  });
});

describe('provisionHermit', () => {
  // Built once by `nx run hermit-client:fixtures` (the test target depends on it).
  let hermit: string;
  beforeAll(async () => {
    hermit = await fixturePath('hermit-client', 'hermit');
  });

  it('builds the pinned client, which reports its version', async () => {
    const { stdout } = await run(hermit, ['--version']);
    expect(stdout).toContain(PINNED_HERMIT_VERSION);
  });

  it('builds once per home: concurrent callers in a fresh home get one binary and no leftovers', async () => {
    const home = await mkdtemp(join(tmpdir(), 'packyard-hermit-home-'));
    const logs: string[][] = [[], [], []];
    const clients = await Promise.all(
      logs.map((log) => provisionHermit({ home, log: (line) => log.push(line) })),
    );
    expect(new Set(clients.map((c) => c.hermit))).toEqual(
      new Set([join(home, 'tools', `hermit-${PINNED_HERMIT_VERSION}`, 'hermit')]),
    );
    // Exactly one of them built; the others waited on the lock and reused its binary.
    expect(logs.filter((log) => log.some((line) => line.startsWith('building Hermit'))).length).toBe(1);
    expect((await readdir(join(home, 'tools'))).sort()).toEqual([`hermit-${PINNED_HERMIT_VERSION}`]);
    // A later call finds it and builds nothing.
    const again: string[] = [];
    await provisionHermit({ home, log: (line) => again.push(line) });
    expect(again).toEqual([]);
  });

  it('removes what a killed build left behind before building', async () => {
    const home = await mkdtemp(join(tmpdir(), 'packyard-hermit-home-'));
    const debris = join(home, 'tools', `hermit-${PINNED_HERMIT_VERSION}.tmp-999999-deadbeef`);
    await mkdir(debris, { recursive: true });
    await writeFile(join(debris, 'hermit'), 'half a binary');
    await provisionHermit({ home });
    expect(existsSync(debris)).toBe(false);
  });

  it('fails with TOOL_PROVISION_FAILED and a hint when Go cannot build it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'packyard-hermit-home-'));
    const error: unknown = await provisionHermit({ home, go: join(home, 'no-such-go') }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TOOL_PROVISION_FAILED', hint: expect.stringContaining('Go 1.25') });
    expect(existsSync(join(home, 'tools', `hermit-${PINNED_HERMIT_VERSION}`))).toBe(false);
  });
});

describe('createHermitEnvironment', () => {
  it('creates an environment whose sources and state stay in the given directories', async () => {
    const client = { hermit: await fixturePath('hermit-client', 'hermit'), version: PINNED_HERMIT_VERSION };
    const root = await mkdtemp(join(tmpdir(), 'packyard-hermit-env-'));
    const sources = join(root, 'manifests');
    await mkdir(sources);
    await writeFile(
      join(sources, 'hello.hcl'),
      'description = "hello"\nbinaries = ["hello"]\nsource = "file:///nonexistent/${version}"\nversion "1.0" {}\n',
    );
    const env = await createHermitEnvironment({
      client,
      dir: join(root, 'env'),
      sources: [`file://${sources}`],
    });
    expect(await readFile(join(env.dir, 'bin', 'hermit.hcl'), 'utf8')).toContain(
      `sources = ["file://${sources}"]`,
    );
    const search = await env.hermit(['search', 'hello']);
    expect(search).toMatchObject({ code: 0 });
    expect(search.stdout).toMatch(/hello/);
    expect(env.env['HERMIT_STATE_DIR']).toBe(join(env.dir, '.hermit-state'));
  });
});
