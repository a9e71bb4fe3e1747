import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { fixturePath } from '@packyard/core/testing';
import { startS3Server, type S3Server } from '@packyard/s3-server';
import type { CacheEvent } from '@packyard/nx-cache';
import { fileDigests, makeFreshClone } from '@packyard/test-helpers';
import { WORKSPACE_ROOT } from './helpers.js';

// Two fresh clones of this workspace, each with its own empty Nx cache, share one cache server (the
// project's own bin, `serve --store s3://…`) over a real versitygw. Clone A runs the compile of every
// project and the main job for real; clone B then runs the same commands and executes no task.
//
// Which tasks ran is read from the server's access log (`--json`: one line per request with the
// task hash and its outcome), not from Nx's terminal output, so the test holds across Nx versions:
// Nx asks the remote cache for every cacheable task its local cache lacks, and uploads what it ran.
// Clone B also carries tripwires: its `tsc` and its packyard tool home are broken, so a compile or a
// PEX build that ran anyway would fail the command.

const WRITE = 'main-branch-token';
const READ = 'pull-request-token';
const BIN = join(WORKSPACE_ROOT, 'apps/nx-cache-server/dist/main.js');
// A hang guard only (the main job runs once, for real, in clone A: minutes on a loaded machine).
const LONG = 3_600_000;

/** The cache server's access log, read from its `--json` stderr as it is written. */
class AccessLog {
  private readonly events: CacheEvent[] = [];
  /** Every stderr line, JSON or not (a dependency's warning), for failure messages. */
  readonly lines: string[] = [];
  private taken = 0;
  private marks = 0;
  private rest = '';
  private url = '';
  /** The server's URL, from its `ready` event (with `--json`, every event is on stderr). */
  readonly ready: Promise<string>;

  constructor(server: ResultPromise) {
    this.ready = new Promise<string>((resolve, reject) => {
      server.stderr?.on('data', (chunk: Buffer) => {
        const lines = (this.rest + chunk.toString('utf8')).split('\n');
        this.rest = lines.pop() ?? '';
        for (const line of lines) {
          this.lines.push(line);
          if (!line.startsWith('{')) continue;
          const parsed = JSON.parse(line) as CacheEvent | { type?: string; url?: string };
          if ('method' in parsed) this.events.push(parsed);
          else if (parsed.type === 'ready' && parsed.url !== undefined) resolve((this.url = parsed.url));
        }
      });
      void server.then((result) => reject(new Error(`nx-cache-server exited: ${String(result.stderr)}`)));
    });
  }

  /** The server's last stderr lines, to show beside a failed command. */
  tail(): string {
    return this.lines.slice(-20).join('\n');
  }

  /**
   * The requests since the last call. A marker request sent now is logged after every request a
   * finished Nx command made, so once it shows up the log is complete up to here.
   */
  async since(): Promise<CacheEvent[]> {
    const marker = `phase-marker-${++this.marks}`;
    await fetch(`${this.url}/v1/cache/${marker}`, { headers: { authorization: `Bearer ${READ}` } });
    while (!this.events.some((event) => event.hash === marker)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = this.events.slice(this.taken).filter((event) => event.hash !== marker);
    this.taken = this.events.length;
    return events;
  }
}

const hashes = (events: CacheEvent[], method: string, outcome: string) =>
  events
    .filter((event) => event.method === method && event.outcome === outcome)
    .map((event) => event.hash)
    .sort();
const outcomes = (events: CacheEvent[]) => [...new Set(events.map((e) => `${e.method} ${e.outcome}`))].sort();

let root: string;
let s3: S3Server;
let server: ResultPromise;
let log: AccessLog;
let url: string;
const cloneA = () => join(root, 'a');
const cloneB = () => join(root, 'b');

/** The environment of a CI job in `clone`: nothing of the calling Nx run, its own empty caches. */
function jobEnv(clone: string, extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] => !entry[0].startsWith('NX_') && entry[1] !== undefined,
  );
  return {
    ...Object.fromEntries(inherited),
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    FORCE_COLOR: '0',
    NX_CACHE_DIRECTORY: `${clone}-nx-cache`,
    NX_WORKSPACE_DATA_DIRECTORY: `${clone}-nx-workspace-data`,
    NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url,
    NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: WRITE,
    ...extra,
  };
}

/**
 * Runs `npx nx ARGS` in `clone` as a CI job would and returns its stdout; throws with the tail of
 * its output when it fails.
 */
async function nx(clone: string, args: string[], extra: Record<string, string> = {}): Promise<string> {
  const result = await execa('npx', ['nx', ...args], {
    cwd: clone,
    env: jobEnv(clone, extra),
    extendEnv: false,
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    const tail = (result.all ?? '').split('\n').slice(-60).join('\n');
    throw new Error(
      `npx nx ${args.join(' ')} in ${clone} exited ${String(result.exitCode)}:\n${tail}\n` +
        `nx-cache-server's log:\n${log.tail()}`,
    );
  }
  return result.stdout;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nx-two-clones-'));
  s3 = await startS3Server({
    dir: join(root, 's3'),
    bucket: 'farm',
    // Built once by `nx run s3-server:fixtures`, which this project's test target depends on.
    binary: await fixturePath('s3-server', 'versitygw'),
  });
  // Built by `nx run nx-cache-server:compile`, which this project's test target depends on.
  server = execa(process.execPath, [BIN, 'serve', '--store', 's3://farm/nx-cache', '--json'], {
    env: { PATH: process.env.PATH ?? '', ...s3.env, NX_CACHE_WRITE_TOKEN: WRITE, NX_CACHE_READ_TOKEN: READ },
    extendEnv: false,
    reject: false,
  });
  log = new AccessLog(server);
  url = await log.ready;
  // The work tree as it is now (new files too), node_modules hard-linked: no `npm install`.
  for (const clone of [cloneA(), cloneB()]) {
    await makeFreshClone(WORKSPACE_ROOT, clone, { files: 'tracked-and-new', nodeModules: 'hardlink' });
  }
}, LONG);

afterAll(async () => {
  server?.kill('SIGTERM');
  await server;
  await s3?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}, LONG);

/** sha256 of every file under `dir` by relative path, lock files included. */
const filesUnder = (dir: string) => fileDigests(dir, () => false);

describe('two fresh clones sharing one cache server over versitygw', () => {
  let compileStored: (string | undefined)[] = [];
  let buildStored: (string | undefined)[] = [];

  it('gives each clone node_modules whose @packyard links point into that clone', async () => {
    const a = await readdir(join(cloneA(), 'node_modules/@packyard'));
    expect(a).toContain('nx-cache-server');
    expect(await readdir(join(cloneB(), 'node_modules/@packyard'))).toEqual(a);
  });

  it(
    'clone A compiles every project and stores each compile once',
    async () => {
      const shown = await nx(cloneA(), ['show', 'projects', '--with-target', 'compile', '--json']);
      const projects = JSON.parse(shown.slice(shown.indexOf('['))) as string[];
      expect(projects).toContain('hermit-pex');
      await log.since();
      await nx(cloneA(), ['run-many', '-t', 'compile']);
      const events = await log.since();
      compileStored = hashes(events, 'PUT', 'stored');
      expect(compileStored).toHaveLength(projects.length);
      expect(hashes(events, 'GET', 'miss')).toEqual(compileStored);
      expect(outcomes(events)).toEqual(['GET miss', 'PUT stored']);
    },
    LONG,
  );

  it(
    'clone A runs the main job and stores it as one entry',
    async () => {
      await nx(cloneA(), ['run', 'pex-builder:build']);
      const events = await log.since();
      buildStored = hashes(events, 'PUT', 'stored');
      expect(buildStored).toHaveLength(1);
      expect(hashes(events, 'GET', 'miss')).toEqual(buildStored);
      expect(compileStored).toEqual(expect.arrayContaining(hashes(events, 'GET', 'hit')));
      const releases = await filesUnder(join(cloneA(), 'dist/releases'));
      expect(Object.keys(releases).filter((name) => name.endsWith('.tar.gz')).length).toBeGreaterThan(0);
      expect(Object.keys(await filesUnder(join(cloneA(), 'dist/hermit')))).not.toEqual([]);
    },
    LONG,
  );

  it(
    'clone B executes no task: every compile and the main job are remote hits, byte-identical',
    async () => {
      // Tripwires: a compile that ran would meet this tsc, a PEX build this tool home (a file).
      await unlink(join(cloneB(), 'node_modules/.bin/tsc'));
      await writeFile(join(cloneB(), 'node_modules/.bin/tsc'), '#!/bin/sh\necho "tsc ran" >&2\nexit 97\n', {
        mode: 0o755,
      });
      await writeFile(join(root, 'no-tool-home'), '');
      const tripwires = { PACKYARD_HOME: join(root, 'no-tool-home', 'packyard') };

      await nx(cloneB(), ['run-many', '-t', 'compile'], tripwires);
      const compile = await log.since();
      expect(outcomes(compile)).toEqual(['GET hit']);
      expect(hashes(compile, 'GET', 'hit')).toEqual(compileStored);

      await nx(cloneB(), ['run', 'pex-builder:build'], tripwires);
      const build = await log.since();
      expect(outcomes(build)).toEqual(['GET hit']);
      // The compiles it depends on are local hits now (or remote ones again, had Nx not kept them).
      const hits = hashes(build, 'GET', 'hit');
      expect(hits).toEqual(expect.arrayContaining(buildStored));
      expect([...compileStored, ...buildStored]).toEqual(expect.arrayContaining(hits));

      for (const dir of ['dist/releases', 'dist/hermit']) {
        expect(await filesUnder(join(cloneB(), dir))).toEqual(await filesUnder(join(cloneA(), dir)));
      }
    },
    LONG,
  );
});
