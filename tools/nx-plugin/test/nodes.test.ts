import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregateCreateNodesError, type CreateNodesContext } from '@nx/devkit';
import {
  CLI_PROJECT,
  PACKAGE_CONFIG_GLOB,
  PACKAGE_TAG,
  PACKAGE_TARGETS,
  createNodes,
  createNodesV2,
} from '../src/index.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'workspace');

/** `packages/<dir>/config.yaml` for every directory that has one, hidden ones included: what Nx hands over. */
async function listConfigFiles(root: string): Promise<string[]> {
  const dirs = await readdir(join(root, 'packages'), { withFileTypes: true });
  const files: string[] = [];
  for (const dir of dirs.filter((d) => d.isDirectory())) {
    const entries = await readdir(join(root, 'packages', dir.name));
    if (entries.includes('config.yaml')) files.push(`packages/${dir.name}/config.yaml`);
  }
  return files.sort();
}

function contextFor(workspaceRoot: string): CreateNodesContext {
  return { workspaceRoot, nxJsonConfiguration: {} };
}

async function aWorkspace(configs: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'nx-plugin-nodes-'));
  for (const [dir, text] of Object.entries(configs)) {
    await mkdir(join(root, 'packages', dir), { recursive: true });
    await writeFile(join(root, 'packages', dir, 'config.yaml'), text);
  }
  return root;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected createNodes to fail');
}

describe('createNodesV2', () => {
  it('matches packages/*/config.yaml and is also exported as createNodes', () => {
    expect(createNodesV2[0]).toBe('packages/*/config.yaml');
    expect(PACKAGE_CONFIG_GLOB).toBe(createNodesV2[0]);
    expect(createNodes).toBe(createNodesV2);
  });

  it('infers one project per package of the fixture workspace', async () => {
    const files = await listConfigFiles(FIXTURE);
    expect(files).toEqual([
      'packages/.template/config.yaml',
      'packages/alpha/config.yaml',
      'packages/beta/config.yaml',
    ]);
    const results = await createNodesV2[1](files, undefined, contextFor(FIXTURE));
    expect(results).toMatchSnapshot();

    const projects = Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
    expect(Object.keys(projects).sort()).toEqual(['packages/alpha', 'packages/beta']);
    for (const [root, project] of Object.entries(projects)) {
      const name = root.slice('packages/'.length);
      expect(project).toMatchObject({
        name,
        root,
        tags: [PACKAGE_TAG],
        implicitDependencies: [CLI_PROJECT],
      });
      expect(Object.keys(project.targets ?? {})).toEqual([...PACKAGE_TARGETS]);
      for (const target of Object.values(project.targets ?? {})) {
        expect(target.options.command).toMatch(
          new RegExp(`^node apps/hermit-pex/dist/main\\.js (prepare|pex|finalise|run) ${name}$`),
        );
      }
    }
    // No machine-specific path may leak into the graph (or the snapshot).
    expect(JSON.stringify(results)).not.toContain(FIXTURE);
  });

  it('reports a broken config with its file and field, and still returns the good packages', async () => {
    const root = await aWorkspace({
      good: 'package: good\n',
      renamed: 'config_version: 1\npackage: old-name\n',
      garbled: 'package: garbled\nversions: [\n',
    });
    try {
      const files = await listConfigFiles(root);
      const error = await errorOf(Promise.resolve(createNodesV2[1](files, undefined, contextFor(root))));
      expect(error).toBeInstanceOf(AggregateCreateNodesError);
      const aggregate = error as AggregateCreateNodesError;
      const messages = Object.fromEntries(aggregate.errors.map(([file, e]) => [file, e.message]));
      expect(Object.keys(messages).sort()).toEqual([
        'packages/garbled/config.yaml',
        'packages/renamed/config.yaml',
      ]);
      expect(messages['packages/renamed/config.yaml']).toMatch(
        /^package: "old-name" differs from its directory name "renamed"\nhint: /,
      );
      expect(messages['packages/garbled/config.yaml']).toMatch(/^not valid YAML: .*at line \d+, column \d+/);
      expect(aggregate.partialResults.map(([file]) => file)).toEqual(['packages/good/config.yaml']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
