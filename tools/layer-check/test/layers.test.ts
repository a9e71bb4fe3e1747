import { fileURLToPath } from 'node:url';
import { lintLayers, PROJECT_CODE, type LayerViolation } from '../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

// Each probe is one import, linted as if it stood at its path; nothing is written into the tree.
const PROBES = {
  coreToPipeline: ['libs/core/src/probe.ts', '@packyard/pex-builder'],
  // github-emulator depends on no project, so only the tags (not a circle) can refuse this.
  coreToTool: ['libs/core/src/probe.ts', '@packyard/github-emulator'],
  pipelineToApp: ['libs/index-server/src/probe.ts', '@packyard/mip-publish'],
  formatToClient: ['libs/wheel-index/src/probe.ts', '@packyard/r2-store'],
  clientToFormat: ['libs/pypi-client/src/probe.ts', '@packyard/wheel-index'],
  libToTool: ['libs/r2-store/src/probe.ts', '@packyard/s3-server'],
  libTestToTool: ['libs/r2-store/test/probe.test.ts', '@packyard/s3-server'],
  coreTestToTool: ['libs/core/test/probe.test.ts', '@packyard/github-emulator'],
  appToApp: ['apps/pkg-index/src/probe.ts', '@packyard/mip-publish'],
  appToPipeline: ['apps/hermit-pex/src/probe.ts', '@packyard/hermit-pex-pipeline'],
  pipelineToBuilder: ['libs/hermit-pex-pipeline/src/probe.ts', '@packyard/pex-builder'],
  builderToClient: ['libs/pex-builder/src/probe.ts', '@packyard/github-releases'],
  // wheel-release depends on no builder, so only the tags (not a circle) can refuse this.
  builderToPipeline: ['libs/pex-builder/src/probe.ts', '@packyard/wheel-release'],
  formatToCore: ['libs/archive/src/probe.ts', '@packyard/core'],
  toolToClient: ['tools/s3-server/src/probe.ts', '@packyard/python-tools'],
} as const;
type ProbeName = keyof typeof PROBES;

// One ESLint run serves every test: probes and the whole tree together.
const names = Object.keys(PROBES) as ProbeName[];
const run = lintLayers(root, {
  files: PROJECT_CODE,
  probes: names.map((name) => ({
    filePath: PROBES[name][0],
    code: `import * as probe from '${PROBES[name][1]}';\nexport const used = probe;\n`,
  })),
});
async function found(name: ProbeName): Promise<LayerViolation[]> {
  return (await run).probes[names.indexOf(name)]!;
}

describe('the layer rule', () => {
  it('refuses core importing anything of ours', async () => {
    // Every project depends on core, so this is a circle as well as a layer violation.
    expect(await found('coreToPipeline')).toHaveLength(1);
    const violations = await found('coreToTool');
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toContain('"layer:core" cannot depend on any libs with tags');
  });

  it('refuses a library importing an app', async () => {
    const violations = await found('pipelineToApp');
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toContain('"layer:pipeline" can only depend on libs tagged with');
  });

  it('refuses a format importing a client, and a client importing a format', async () => {
    expect(await found('formatToClient')).toHaveLength(1);
    expect(await found('clientToFormat')).toHaveLength(1);
  });

  it('lets tests, and only tests, use the test servers', async () => {
    expect(await found('libToTool')).toHaveLength(1);
    expect(await found('libTestToTool')).toEqual([]);
    // A test is still no way for core to reach upwards.
    const core = await found('coreTestToTool');
    expect(core).toHaveLength(1);
    expect(core[0]!.message).toContain('"layer:core" cannot depend on any libs with tags');
  });

  it('refuses a builder importing a pipeline', async () => {
    const violations = await found('builderToPipeline');
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toContain('"layer:builder" can only depend on libs tagged with');
  });

  it('refuses an app importing another app', async () => {
    expect(await found('appToApp')).toHaveLength(1);
  });

  it('allows every edge the layers allow', async () => {
    for (const name of [
      'appToPipeline',
      'pipelineToBuilder',
      'builderToClient',
      'formatToCore',
      'toolToClient',
    ] as const) {
      expect({ name, violations: await found(name) }).toEqual({ name, violations: [] });
    }
  });

  it('finds nothing in the tree as it stands', async () => {
    expect((await run).files).toEqual([]);
  });
});
