/**
 * The plugin under real Nx: a throwaway git repository whose nx.json registers this plugin's entry
 * (plugin.js, the same file the workspace's nx.json names), so loading, inference, `affected` and
 * argument forwarding are what CI gets. Nx runs without daemon or cloud, with its cache and workspace
 * data in temp directories: nothing touches this workspace's .nx.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const WORKSPACE = join(import.meta.dirname, '..', '..', '..');
const PLUGIN_ENTRY = join(import.meta.dirname, '..', 'plugin.js');
const NX = join(dirname(createRequire(import.meta.url).resolve('nx/package.json')), 'dist', 'bin', 'nx.js');

interface NxResult {
  code: number;
  stdout: string;
  stderr: string;
}

let scratch = '';
let invocations = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nx-plugin-affected-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function runNx(cwd: string, args: string[]): Promise<NxResult> {
  // Variables an enclosing `nx run nx-plugin:test` sets would point the inner Nx at this workspace.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NX_')));
  Object.assign(env, {
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_CACHE_DIRECTORY: join(scratch, 'nx-cache'),
    // One per invocation, so that invocations may run side by side.
    NX_WORKSPACE_DATA_DIRECTORY: join(scratch, `nx-data-${(invocations += 1)}`),
  });
  try {
    const { stdout, stderr } = await run(process.execPath, [NX, ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

async function showProjects(cwd: string, args: string[]): Promise<string[]> {
  const result = await runNx(cwd, ['show', 'projects', '--json', ...args]);
  expect(result).toMatchObject({ code: 0 });
  return (JSON.parse(result.stdout) as string[]).sort();
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args],
    {
      cwd,
    },
  );
  return stdout.trim();
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('the plugin in a git workspace', () => {
  let repo: string;
  const commits: Record<'initial' | 'packageA' | 'cli', string> = { initial: '', packageA: '', cli: '' };

  beforeAll(async () => {
    repo = join(scratch, 'repo');
    await writeFiles(repo, {
      'nx.json': JSON.stringify({ plugins: [PLUGIN_ENTRY] }),
      'package.json': JSON.stringify({ name: 'fixture', private: true, type: 'module' }),
      '.gitignore': 'node_modules\ncalls.jsonl\n',
      'apps/hermit-pex/project.json': JSON.stringify({
        name: 'hermit-pex',
        targets: { compile: { command: 'echo compiled' } },
      }),
      // Stands in for the compiled CLI: records how every target called it.
      'apps/hermit-pex/dist/main.js': [
        "import { appendFileSync } from 'node:fs';",
        "appendFileSync('calls.jsonl', JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(2) }) + '\\n');",
      ].join('\n'),
      'packages/a/config.yaml': 'config_version: 1\npackage: a\n',
      'packages/b/config.yaml': 'config_version: 1\npackage: b\n',
    });
    await symlink(join(WORKSPACE, 'node_modules'), join(repo, 'node_modules'), 'dir');
    await git(repo, 'init', '--quiet', '--initial-branch=main');
    await git(repo, 'add', '--all');
    await git(repo, 'commit', '--quiet', '--message=initial');
    commits.initial = await git(repo, 'rev-parse', 'HEAD');
    await writeFiles(repo, { 'packages/a/config.yaml': 'config_version: 1\npackage: a\n# changed\n' });
    await git(repo, 'commit', '--quiet', '--all', '--message=change a');
    commits.packageA = await git(repo, 'rev-parse', 'HEAD');
    await writeFiles(repo, { 'apps/hermit-pex/src/cli.ts': 'export {};\n' });
    await git(repo, 'add', '--all');
    await git(repo, 'commit', '--quiet', '--message=change the CLI');
    commits.cli = await git(repo, 'rev-parse', 'HEAD');
  });

  async function readCalls(): Promise<Array<{ cwd: string; argv: string[] }>> {
    const file = join(repo, 'calls.jsonl');
    if (!existsSync(file)) return [];
    const text = await readFile(file, 'utf8');
    await rm(file);
    return text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { cwd: string; argv: string[] })
      .sort((x, y) => x.argv.join(' ').localeCompare(y.argv.join(' ')));
  }

  it('infers a project per package next to hermit-pex', async () => {
    expect(await showProjects(repo, [])).toEqual(['a', 'b', 'hermit-pex']);
  });

  it('selects only the package whose config changed', async () => {
    const range = [`--base=${commits.initial}`, `--head=${commits.packageA}`];
    const [affected, withPrepare] = await Promise.all([
      showProjects(repo, ['--affected', ...range]),
      showProjects(repo, ['--affected', '-t', 'prepare', ...range]),
    ]);
    expect(affected).toEqual(['a']);
    expect(withPrepare).toEqual(['a']);
  });

  it('selects every package when hermit-pex changes', async () => {
    const range = [`--base=${commits.packageA}`, `--head=${commits.cli}`];
    expect(await showProjects(repo, ['--affected', ...range])).toEqual(['a', 'b', 'hermit-pex']);
  });

  it('runs the CLI from the workspace root with the arguments after -- appended', async () => {
    await readCalls();
    const pex = await runNx(repo, [
      'run-many',
      '-t',
      'pex',
      '--projects=tag:hermit-package',
      '--',
      '--repo',
      'owner/name',
      '--build-platforms',
      'darwin-arm64',
    ]);
    expect(pex).toMatchObject({ code: 0 });
    const realRepo = await git(repo, 'rev-parse', '--show-toplevel');
    expect(await readCalls()).toEqual([
      { cwd: realRepo, argv: ['pex', 'a', '--repo', 'owner/name', '--build-platforms', 'darwin-arm64'] },
      { cwd: realRepo, argv: ['pex', 'b', '--repo', 'owner/name', '--build-platforms', 'darwin-arm64'] },
    ]);

    const range = [`--base=${commits.initial}`, `--head=${commits.packageA}`];
    const prepare = await runNx(repo, [
      'affected',
      '-t',
      'prepare',
      ...range,
      '--',
      '--api-url',
      'http://h/a b',
    ]);
    expect(prepare).toMatchObject({ code: 0 });
    expect((await readCalls()).map((c) => c.argv)).toEqual([['prepare', 'a', '--api-url', 'http://h/a b']]);

    const rest = await runNx(repo, ['run-many', '-t', 'finalise', 'release', '--projects=b']);
    expect(rest).toMatchObject({ code: 0 });
    expect((await readCalls()).map((c) => c.argv)).toEqual([
      ['finalise', 'b'],
      ['run', 'b'],
    ]);
  });

  it('fails the graph with the file, field and value of a config naming another package', async () => {
    await writeFiles(repo, { 'packages/c/config.yaml': 'config_version: 1\npackage: see\n' });
    try {
      const result = await runNx(repo, ['show', 'projects']);
      expect(result.code).not.toBe(0);
      const output = result.stdout + result.stderr;
      expect(output).toContain('packages/c/config.yaml');
      expect(output).toContain('package: "see" differs from its directory name "c"');
    } finally {
      await rm(join(repo, 'packages', 'c'), { recursive: true, force: true });
    }
  });
});

describe('the plugin in this workspace', () => {
  it('adds every shipped package and leaves pex-builder:build in place', async () => {
    const shipped: string[] = [];
    for (const entry of await readdir(join(WORKSPACE, 'packages'), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(WORKSPACE, 'packages', entry.name, 'config.yaml'))) {
        shipped.push(entry.name);
      }
    }
    expect(shipped.length).toBeGreaterThan(0);
    const [tagged, pexBuilder] = await Promise.all([
      showProjects(WORKSPACE, ['--projects=tag:hermit-package']),
      runNx(WORKSPACE, ['show', 'project', 'pex-builder', '--json']),
    ]);
    expect(tagged).toEqual(shipped.sort());
    expect(pexBuilder).toMatchObject({ code: 0 });
    const project = JSON.parse(pexBuilder.stdout) as {
      targets: Record<string, { options?: { command?: string } }>;
    };
    expect(project.targets['build']?.options?.command).toBe('node apps/hermit-pex/dist/main.js run');
  });

  it('gives `build` to pex-builder alone, which runs beside no other task', async () => {
    // `nx run-many -t build` is what a newcomer types: it must run the one publishing job, once.
    expect(await showProjects(WORKSPACE, ['--with-target', 'build'])).toEqual(['pex-builder']);
    const pexBuilder = await runNx(WORKSPACE, ['show', 'project', 'pex-builder', '--json']);
    const project = JSON.parse(pexBuilder.stdout) as { targets: Record<string, { parallelism?: boolean }> };
    expect(project.targets['build']?.parallelism).toBe(false);
    const packages = await showProjects(WORKSPACE, [
      '--projects=tag:hermit-package',
      '--with-target',
      'release',
    ]);
    expect(packages).toEqual(await showProjects(WORKSPACE, ['--projects=tag:hermit-package']));
  });
});
