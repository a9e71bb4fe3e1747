import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

// What the release workflow promises, read from the template itself (actionlint and zizmor check
// the rest in tools/ci-lint): one publishing job, trusted publishing only, a dry run on dispatch.
const TEMPLATES = join(import.meta.dirname, '../../../templates/wheel-release/workflows');

interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  environment?: { name: string };
  strategy?: { matrix: unknown };
  steps: { uses?: string; run?: string; env?: Record<string, string> }[];
}
interface Workflow {
  on: Record<string, { tags?: string[]; inputs?: Record<string, { type: string; default: unknown }> }>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  return parse(await readFile(join(TEMPLATES, name), 'utf8')) as Workflow;
}

test('release.yml: check, build matrix, verify, then one trusted-publishing job in "release"', async () => {
  const release = await workflow('release.yml');
  expect(release.on['push']!.tags).toEqual(['v*']);
  expect(release.on['workflow_dispatch']!.inputs!['dry-run']).toMatchObject({
    type: 'boolean',
    default: true,
  });
  expect(release.permissions).toEqual({});
  expect(Object.keys(release.jobs)).toEqual(['check', 'build', 'verify', 'publish']);
  expect(release.jobs['build']!.strategy!.matrix).toBe('${{ fromJSON(needs.check.outputs.matrix) }}');
  expect(release.jobs['publish']!.needs).toBe('verify');
  const publishing = Object.entries(release.jobs).filter(
    ([, job]) => job.permissions?.['id-token'] === 'write',
  );
  expect(publishing.map(([name]) => name)).toEqual(['publish']);
  expect(release.jobs['publish']!.environment!.name).toBe('release');
  const text = await readFile(join(TEMPLATES, 'release.yml'), 'utf8');
  expect(text).not.toMatch(/secrets\./);
  expect(text).toContain('wheel-release runners --json');
});

test('every action in the templates is pinned by a full commit sha', async () => {
  for (const name of ['release.yml', 'ci.yml']) {
    const uses = Object.values((await workflow(name)).jobs).flatMap((job) =>
      job.steps.flatMap((step) => (step.uses === undefined ? [] : [step.uses])),
    );
    expect(uses.length).toBeGreaterThan(0);
    for (const ref of uses) expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  }
});
