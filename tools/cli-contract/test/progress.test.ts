// The progress contract: every app that does long work shows `[n/N]` with an estimate on stderr, and
// with --json sends its events to stderr as JSON lines and its result to stdout as one JSON document.
// Each row runs one real multi-step command of the app on its no-account local default, in a temp
// dir, on small inputs the repository holds. nx-cache-server has no row: it is a server, whose work
// is requests for as long as it runs, with no N to count to (docs/cli.md).
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepEvent } from '@packyard/core';
import { ROOT, runApp } from './run-app.js';

/** What every progress event carries, whichever app sends it: the shared fields of core's StepEvent. */
type ProgressShape = Pick<
  Extract<StepEvent, { type: 'progress' }>,
  'type' | 'label' | 'done' | 'total' | 'elapsedMs' | 'etaMs'
>;

interface Row {
  app: string;
  /** The command, run in the directory `setup` fills. */
  args: readonly string[];
  setup: (dir: string) => Promise<void>;
}

const packagesOf = (names: readonly string[]) => async (dir: string) => {
  for (const name of names) {
    await cp(join(ROOT, 'mip-packages', name), join(dir, 'mip-packages', name), { recursive: true });
  }
};

const ROWS: readonly Row[] = [
  {
    // state, requirements (uv pip compile against the real index), releases (the local store).
    app: 'hermit-pex',
    args: ['prepare'],
    setup: async (dir) => {
      await mkdir(join(dir, 'packages/wait-for-it'), { recursive: true });
      await writeFile(
        join(dir, 'packages/wait-for-it/config.yaml'),
        'package: wait-for-it\nbinaries: [wait-for-it]\nversions:\n  - version: "2.3.0"\n    python: "3.11"\n',
      );
    },
  },
  { app: 'mip-publish', args: ['prepare'], setup: packagesOf(['hello_mip', 'string-tools']) },
  {
    app: 'pkg-index',
    args: [
      'build',
      '--package-list',
      'packages.jsonl',
      '--packages-url',
      'https://files.example/pool/',
      '--out',
      'site',
    ],
    // The example's list (one project) plus six 1.16.0's wheel from PyPI: two projects, so [n/2].
    setup: async (dir) => {
      const example = await readFile(join(ROOT, 'examples/pkg-index/packages.jsonl'), 'utf8');
      const six = JSON.stringify({
        filename: 'six-1.16.0-py2.py3-none-any.whl',
        hash: 'sha256=8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254',
        requires_python: '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*',
        upload_timestamp: 1620240208,
        uploaded_by: 'pypi.org',
      });
      await writeFile(join(dir, 'packages.jsonl'), `${example.trimEnd()}\n${six}\n`);
    },
  },
  {
    // One cross-built platform wheel (maturin --zig) and the sdist, at a real git commit.
    app: 'wheel-release',
    args: ['build', '--dir', 'project', '--platforms', 'linux-amd64'],
    setup: async (dir) => {
      const project = join(dir, 'project');
      await cp(join(ROOT, 'examples/wheel-release'), project, {
        recursive: true,
        filter: (src) => !/[/\\](target|_build_info\.py)$/.test(src),
      });
      const git = (...args: string[]) => execFileSync('git', args, { cwd: project });
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
    },
  },
  {
    app: 'dynamic-archives',
    args: [
      'create',
      'demo-1.0.tar.xz',
      '--from',
      'src',
      '--key-json',
      '{"v":"1"}',
      '--store-dir',
      'store',
      '--no-distfiles',
    ],
    setup: async (dir) => {
      await mkdir(join(dir, 'src/sub'), { recursive: true });
      await writeFile(join(dir, 'src/a.txt'), 'a\n');
      await writeFile(join(dir, 'src/sub/b.txt'), 'b\n');
    },
  },
];

// The tools the apps provision (uv, maturin, zig) stay in the user's caches; no credential reaches
// the child, and CI is set, so stderr gets plain lines, never the live terminal line. FORCE_COLOR
// (which Nx sets for its tasks) is left out: beside NO_COLOR, Node warns about it on stderr.
const ENV: Record<string, string | undefined> = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/TOKEN|SECRET|PASSWORD|^AWS_|^R2_|^TWINE_|^GH_|^GITHUB_|^NX_CACHE_|^FORCE_COLOR$/.test(key),
    ),
  ),
  CI: 'true',
  NO_COLOR: '1',
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'packyard-progress-'));
});

async function runIn(row: Row, name: string, extra: readonly string[]) {
  const dir = join(work, `${row.app}-${name}`);
  await mkdir(dir, { recursive: true });
  await row.setup(dir);
  return runApp(row.app, [...row.args, ...extra], { cwd: dir, env: ENV });
}

// `[2/3] 4s, about 2s left: …`: the count, the time so far and, before the end, the time left.
const LINE = /^\[ *(\d+)\/(\d+)\] \S+(, about \S+ left)?(, \d+ failed)?: /;

describe.each(ROWS)('$app $args.0', (row) => {
  it('shows [n/N] progress with an estimate on stderr', async () => {
    const run = await runIn(row, 'text', []);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const lines = run.stderr
      .split('\n')
      .map((line) => LINE.exec(line))
      .filter((match) => match !== null);
    // On failure the assertion shows stderr: what the app printed instead.
    expect({
      estimate: lines.some((m) => Number(m[2]) >= 2 && m[3] !== undefined),
      finished: lines.some((m) => Number(m[2]) >= 2 && m[1] === m[2]),
      stderr: run.stderr,
    }).toMatchObject({ estimate: true, finished: true });
  });

  it('with --json, sends JSON progress events to stderr and one JSON result to stdout', async () => {
    const run = await runIn(row, 'json', ['--json']);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const events = run.stderr
      .split('\n')
      .filter((line) => line !== '')
      .map((line): { type: string; line?: string } => {
        try {
          return JSON.parse(line) as { type: string };
        } catch {
          return { type: 'not JSON', line };
        }
      });
    expect(events.filter((e) => e.type === 'not JSON')).toEqual([]);
    const progress = events.filter((e): e is ProgressShape => e.type === 'progress');
    for (const event of progress) {
      expect(event).toEqual(
        expect.objectContaining({
          label: expect.any(String),
          done: expect.any(Number),
          total: expect.any(Number),
          elapsedMs: expect.any(Number),
        }),
      );
      expect(event.etaMs === undefined || typeof event.etaMs === 'number').toBe(true);
    }
    const multiStep = progress.filter((e) => e.total >= 2);
    expect({
      estimate: multiStep.some((e) => e.done > 0 && e.done < e.total && typeof e.etaMs === 'number'),
      finished: multiStep.some((e) => e.done === e.total),
      stderr: run.stderr,
    }).toMatchObject({ estimate: true, finished: true });
    // Exactly one JSON document: JSON.parse refuses two, or text around one.
    const result: unknown = JSON.parse(run.stdout);
    expect(result).not.toHaveProperty('error');
  });
});
