import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './helpers.js';

// `publish` is two steps (verify the set, then publish it), run on the release the cached Nx target
// wheel-release:htty-fixture built (four platform wheels and the sdist), into a local PEP 503/691
// index: the pinned twine checks every file, and the index is written and read back for real. What
// is checked is how the run is shown: with --json, JSON progress events on stderr and one result
// document on stdout; without, one `[n/N]` line per step with its time and an estimate.
const FIXTURE = join(import.meta.dirname, '../../../dist/fixtures/wheel-release-htty');

interface Event {
  type: string;
  event?: string;
  label?: string;
  item?: string;
  done?: number;
  total?: number;
  elapsedMs?: number;
  etaMs?: number;
}

let root: string;
let repo: string;
let index: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wheel-release-progress-'));
  repo = join(root, 'repo');
  index = join(root, 'index');
  await cp(join(FIXTURE, 'repo'), repo, { recursive: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('wheel-release publish shows its steps as [n/N]', () => {
  it('--json: every stderr line is a JSON event, the steps counted 1/2 and 2/2; stdout is one document', async () => {
    const result = await run(['publish', '--repository-dir', index, '--json'], {
      cwd: repo,
      env: process.env,
    });
    expect(result.stderr).not.toContain('"error"');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0]!) as { dryRun: boolean; uploaded: string[]; checked: string[] };
    expect(document.dryRun).toBe(false);
    expect(document.uploaded).toHaveLength(5);
    expect(document.checked).toHaveLength(5);

    const events = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    const steps = events.filter((e) => e.type === 'progress' && e.label === 'wheel-release publish');
    expect(steps.map((e) => [e.event, e.item ?? null, e.done, e.total])).toEqual([
      ['start', null, 0, 2],
      ['begin', 'verify', 0, 2],
      ['done', 'verify', 1, 2],
      ['begin', 'publish', 1, 2],
      ['done', 'publish', 2, 2],
      ['finish', null, 2, 2],
    ]);
    // After the first step the estimate is the pace so far: a number of milliseconds.
    const verified = steps.find((e) => e.event === 'done' && e.item === 'verify')!;
    expect(typeof verified.etaMs).toBe('number');
    expect(typeof verified.elapsedMs).toBe('number');
  });

  it('plain: one [n/N] line per step, with an estimate after the first; a re-run uploads nothing', async () => {
    const result = await run(['publish', '--repository-dir', index], {
      cwd: repo,
      env: { ...process.env, CI: 'true' },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^\[1\/2\] \d+\S*, about \d+\S* left: verify done \(\d+\S*\)$/m);
    expect(result.stderr).toMatch(/^\[2\/2\] \d+\S*: publish done \(\d+\S*\)$/m);
    expect(result.stderr).toMatch(/^\[2\/2\] \d+\S*: wheel-release publish finished$/m);
    expect(result.stdout).toMatch(/^uploaded 0, already there 5, digests checked 5\n/);
  });
});
