import { fileURLToPath } from 'node:url';
import { checkAppDependencies, readProjectGraph, type GraphProject } from '../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

/** The apps the workspace has; the graph must show exactly these. */
const APPS = [
  'dynamic-archives',
  'hermit-pex',
  'mip-publish',
  'nx-cache-server',
  'pkg-index',
  'wheel-release',
];

const graph = readProjectGraph(root);

const project = (root: string, layer: string, files: Record<string, string[]> = {}, runtime: string[] = []) =>
  ({ root, tags: [`layer:${layer}`], packageName: null, runtime, files }) satisfies GraphProject;

describe('the app rule (an app depends only on pipelines and core)', () => {
  const fixture = {
    core: project('libs/core', 'core'),
    pipe: project('libs/pipe', 'pipeline'),
    fmt: project('libs/fmt', 'format'),
    client: project('libs/client', 'client'),
    server: project('tools/server', 'tool'),
    good: project(
      'apps/good',
      'app',
      { 'apps/good/src/cli.ts': ['core', 'pipe'], 'apps/good/test/cli.test.ts': ['fmt', 'server'] },
      ['core', 'pipe'],
    ),
    bad: project('apps/bad', 'app', { 'apps/bad/src/cli.ts': ['fmt', 'pipe'] }, ['client', 'core']),
  };

  it("refuses shipped code's edges past the pipelines, and allows tests their tools", () => {
    expect(checkAppDependencies(fixture)).toEqual([
      { app: 'bad', from: 'apps/bad/package.json#dependencies', dependency: 'client', layer: 'layer:client' },
      { app: 'bad', from: 'apps/bad/src/cli.ts', dependency: 'fmt', layer: 'layer:format' },
    ]);
  });

  it('refuses a dependency with no layer tag', () => {
    const odd = { ...project('libs/odd', 'x'), tags: [] };
    const app = project('apps/a', 'app', { 'apps/a/src/main.ts': ['odd', 'core'] });
    expect(checkAppDependencies({ core: fixture.core, odd, a: app })).toEqual([
      { app: 'a', from: 'apps/a/src/main.ts', dependency: 'odd', layer: undefined },
    ]);
  });
});

describe("the workspace's Nx graph", () => {
  it('has the apps under apps/ and every pipeline as a library under libs/', async () => {
    const projects = Object.entries(await graph);
    const tagged = (layer: string) =>
      projects.filter(([, p]) => p.tags.includes(layer)).map(([name, p]) => [name, p.root.split('/')[0]]);
    expect(tagged('layer:app').sort()).toEqual(APPS.map((name) => [name, 'apps']));
    const pipelines = tagged('layer:pipeline');
    expect(pipelines.length).toBeGreaterThan(0);
    expect(pipelines.filter(([, folder]) => folder !== 'libs')).toEqual([]);
  });

  it.each(APPS)('shows %s depending only on pipelines and core', async (app) => {
    const projects = await graph;
    expect(checkAppDependencies({ ...projects }).filter((v) => v.app === app)).toEqual([]);
  });
});
