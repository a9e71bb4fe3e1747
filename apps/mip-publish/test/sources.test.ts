import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { aWorkspace, runCli } from './helpers.js';

async function aBareRepository(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'packyard-mip-git-'));
  const work = join(base, 'work');
  await mkdir(join(work, 'toolbox'), { recursive: true });
  await writeFile(join(work, 'toolbox', 'gitfun.m'), 'function y = gitfun(x)\n  y = x + 1;\nend\n');
  const git = (...args: string[]) => execa('git', args, { cwd: work });
  await git('init', '--quiet', '-b', 'main');
  await git('add', '.');
  await git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '--quiet', '-m', 'v1');
  await git('tag', 'v1.0');
  await execa('git', ['clone', '--quiet', '--bare', work, join(base, 'repo.git')]);
  return join(base, 'repo.git');
}

describe('package sources and the index step', () => {
  it('takes files from a git repository at a ref (a local bare repository), without .git', async () => {
    const repo = await aBareRepository();
    const root = await aWorkspace(
      {
        'gitpkg/mip.yaml': `name: gitpkg\ndescription: from git\nversion: "1.0"\nsource:\n  git: file://${repo}\n  ref: v1.0\n  subdirectory: toolbox\n`,
      },
      false,
    );
    const result = await runCli(root, ['prepare']);
    expect(result.err).not.toMatch(/^(error|warning)/m);
    const dir = join(root, 'build', 'prepared', 'gitpkg-1.0-any-none-any.dir');
    expect((await readdir(dir)).sort()).toEqual([
      'gitfun.m',
      'load_package.m',
      'mip.json',
      'unload_package.m',
    ]);
    expect(JSON.parse(await readFile(join(dir, 'mip.json'), 'utf8')).exposed_symbols).toEqual(['gitfun']);
  });

  it('reports unreadable metadata by key and fails, unless --skip-invalid', async () => {
    const root = await aWorkspace({}, true);
    expect((await runCli(root, ['prepare'])).code).toBe(0);
    await runCli(root, ['bundle']);
    // hello_mip and string-tools have no compile.m; timestwo is refused uncompiled, which is fine here.
    await runCli(root, ['upload']);
    const bad = join(root, 'build', 'mip-store', 'core', 'packages', 'broken-1-any-none-any.mhl.mip.json');
    await writeFile(bad, '{ not json');
    const failed = await runCli(root, ['index']);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('core/packages/broken-1-any-none-any.mhl.mip.json: is not valid JSON');
    await expect(readFile(join(root, 'build', 'gh-pages', 'index.json'))).rejects.toThrow();
    const skipped = await runCli(root, ['index', '--skip-invalid']);
    expect(skipped.code).toBe(0);
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index.packages.map((p: { name: string }) => p.name)).toEqual(['hello_mip', 'string-tools']);
  });
});
