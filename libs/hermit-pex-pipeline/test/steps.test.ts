/**
 * The package steps on the core kernel, over plain objects and a real temporary directory: which
 * steps a command runs, why each has nothing to do, and that `requirements` writes exactly the locks
 * the plan asked for, with the state file written after it.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSteps, type StepEvent } from '@packyard/core';
import { createLocalReleaseStore } from '@packyard/github-releases';
import { hostPlatform, type VersionAction } from '@packyard/pex-builder';
import { parsePackageConfig } from '../src/config.js';
import { readState, writeState } from '../src/state.js';
import { PACKAGE_STEPS, selectSteps } from '../src/steps/index.js';
import {
  STEPS,
  type PackageContext,
  type PackageWork,
  type PipelineOptions,
  type VersionWork,
} from '../src/types.js';
import { renderPackageState } from '../src/versions.js';

const aVersion = (
  version: string,
  actions: VersionAction[],
  over: Partial<VersionWork> = {},
): VersionWork => ({
  version,
  python: '3.11',
  tag: `tool-v${version}`,
  lockDir: '',
  locked: false,
  resolved: undefined,
  split: undefined,
  plan: { version, python: '3.11', tag: `tool-v${version}`, actions },
  performed: [],
  release: undefined,
  error: undefined,
  rebuild: undefined,
  ...over,
});

async function aContext(versions: VersionWork[], dryRun = false): Promise<PackageContext> {
  const root = await mkdtemp(join(tmpdir(), 'packyard-hermit-pex-steps-'));
  const dir = join(root, 'packages', 'tool');
  await mkdir(dir, { recursive: true });
  for (const v of versions) v.lockDir = join(dir, v.version);
  const pkg: PackageWork = {
    name: 'tool',
    dir,
    config: parsePackageConfig(
      'package: tool\nbinaries: [tool]\nversions: [{version: "1.0", python: "3.11"}]\n',
      join(dir, 'config.yaml'),
    ),
    index: { url: 'https://pypi.org/simple', source: 'default' },
    indexVersions: versions.map((v) => v.version),
    versions,
    canRebuild: false,
  };
  const messages: string[] = [];
  const options: PipelineOptions = {
    packagesDir: join(root, 'packages'),
    distDir: join(root, 'dist/pex'),
    manifestDir: join(root, 'dist/hermit'),
    store: createLocalReleaseStore({ dir: join(root, 'dist/releases') }),
    platforms: [hostPlatform()],
    buildPlatforms: 'auto',
    host: hostPlatform(),
    immutable: false,
    mode: 'draft',
    replace: false,
    log: { info: (m) => messages.push(m), warn: (m) => messages.push(m), error: (m) => messages.push(m) },
    provisionTools: () => Promise.reject(new Error('no tools in this test')),
    resolveIndexUrl: () => Promise.reject(new Error('no index in this test')),
    createPypiClient: () => {
      throw new Error('no index in this test');
    },
  };
  return {
    options,
    pkg,
    actions: versions.flatMap((v) => (v.plan ? [v.plan] : [])),
    dryRun,
    save: async () => {
      if (!dryRun) await writeState(join(dir, 'state.yaml'), renderPackageState(pkg));
    },
  };
}

describe('the package steps', () => {
  it('are the pipeline steps, in order, and a command selects its own', () => {
    expect(PACKAGE_STEPS.map((s) => s.name)).toEqual([...STEPS]);
    expect(selectSteps(['manifest', 'state', 'publish']).map((s) => s.name)).toEqual([
      'state',
      'publish',
      'manifest',
    ]);
  });

  it('say why they have nothing to do', async () => {
    const ctx = await aContext(
      [aVersion('1.0', ['lock', 'create-release', 'build linux-amd64', 'publish'])],
      true,
    );
    const events: StepEvent[] = [];
    await runSteps(selectSteps(['state', 'requirements', 'releases', 'pex', 'publish']), ctx, {
      label: 'tool',
      onEvent: (e) => events.push(e),
    });
    expect(events.flatMap((e) => (e.type === 'step-skip' ? [`${e.step}: ${e.reason}`] : []))).toEqual([
      'state: a plan writes nothing',
      // planned, but not resolved: a lock is written only from what planning resolved
      'requirements: no lock to write',
      'releases: no version has a lock',
      'pex: no PEX build planned on this runner',
      'publish: no release yet',
    ]);
  });

  it('write the locks the plan asks for, and the state file after each step', async () => {
    const resolved = await mkdtemp(join(tmpdir(), 'packyard-hermit-pex-lock-'));
    await writeFile(join(resolved, 'requirements.in'), 'tool==1.0\n');
    await writeFile(join(resolved, 'requirements.txt'), 'tool==1.0 --hash=sha256:00\n');
    const locked = aVersion('1.0', ['lock', 'create-release'], { resolved });
    // Resolved too, but the plan does not ask for its lock: the step never decides again.
    const unplanned = aVersion('2.0', ['create-release'], { resolved });
    const ctx = await aContext([locked, unplanned]);
    const report = await runSteps(selectSteps(['state', 'requirements']), ctx);
    expect(report.outcomes.map((o) => o.status)).toEqual(['done', 'done']);
    expect(await readFile(join(locked.lockDir, 'requirements.txt'), 'utf8')).toBe(
      'tool==1.0 --hash=sha256:00\n',
    );
    expect([locked.locked, locked.performed, unplanned.locked, unplanned.performed]).toEqual([
      true,
      ['lock'],
      false,
      [],
    ]);
    const state = await readState(join(ctx.pkg.dir, 'state.yaml'));
    expect(state?.versions.map((v) => [v.version, v.requirements])).toEqual([
      ['1.0', true],
      ['2.0', false],
    ]);
  });
});
