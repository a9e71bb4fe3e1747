import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

// The library's modules import one another in one direction: no circle (issue 22 named
// build.ts → verify-tools.ts → verify.ts → build.ts). Type-only imports count too.
const SRC = join(import.meta.dirname, '../src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    const targets = [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)].map((m) =>
      relative(SRC, resolve(dirname(file), `${m[1]}.ts`)),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

function findCircles(graph: Map<string, string[]>): string[][] {
  const circles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      circles.push([...path.slice(path.indexOf(node)), node]);
      return;
    }
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) visit(node);
  return circles;
}

describe('the import graph of @packyard/wheel-release', () => {
  it('has no circle', async () => {
    const graph = await importGraph();
    expect(graph.get('plan.ts')).toEqual(expect.arrayContaining(['build.ts', 'release.ts']));
    expect(findCircles(graph)).toEqual([]);
  });

  it('finds a circle where there is one (the check itself)', () => {
    const graph = new Map([
      ['build.ts', ['verify-tools.ts']],
      ['verify-tools.ts', ['verify.ts']],
      ['verify.ts', ['build.ts']],
    ]);
    expect(findCircles(graph)).toEqual([['build.ts', 'verify-tools.ts', 'verify.ts', 'build.ts']]);
  });

  it('takes the platforms from one module, and the host from core', async () => {
    const graph = await importGraph();
    for (const user of ['build.ts', 'release.ts', 'verify.ts'])
      expect(graph.get(user)).toContain('platforms.ts');
    const platforms = await readFile(join(SRC, 'platforms.ts'), 'utf8');
    expect(platforms).toMatch(/hostPlatform\(\)/);
  });
});
