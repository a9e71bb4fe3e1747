import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readTreeEntries, writeTarGz, defaultMtime } from '@packyard/archive';
import { PackyardError, runTool, writeFileAtomically } from '@packyard/core';
import { provisionPythonTools } from '@packyard/python-tools';
import { prepareOutputDir, resolveGitSha } from './git.js';

/** What `buildSdist` builds: a pure-Python project, with the commit baked into a generated module. */
export interface BuildSdistInput {
  /** The directory holding the project's pyproject.toml. */
  projectDir: string;
  /** Where the sdist goes; emptied of *.tar.gz first. */
  outDir: string;
  /** The commit being built; its first 8 hex digits become `GIT_SHA` in `buildInfoFile`. Default
   * `git rev-parse HEAD` of the project's repository (a dirty project refused unless `allowDirty`). */
  gitSha?: string;
  /** Without `gitSha`, build a project with uncommitted changes anyway. */
  allowDirty?: boolean;
  /** The module generated before the build, relative to `projectDir` (e.g. `src/ydemo/_build_info.py`). */
  buildInfoFile: string;
  home?: string;
  log?: (line: string) => void;
}

/**
 * Copies the project to a staging directory (so the source tree stays clean: no egg-info, no generated
 * module), writes `buildInfoFile` there with `GIT_SHA`, and builds the sdist with the pinned
 * `python -m build --sdist`. The sdist carries the module, so a wheel pip or uv builds from it later,
 * outside git, still reports the sha. Returns the sdist's file name.
 */
export async function buildSdist(input: BuildSdistInput): Promise<string> {
  const gitSha = await resolveGitSha({
    dir: input.projectDir,
    gitSha: input.gitSha,
    allowDirty: input.allowDirty,
  });
  const tools = await provisionPythonTools({
    tools: ['build'],
    ...(input.home ? { home: input.home } : {}),
    ...(input.log ? { log: input.log } : {}),
  });
  const build = tools.commands.build!;
  const stage = await mkdtemp(join(tmpdir(), 'wheel-release-sdist-'));
  const project = join(stage, basename(input.projectDir));
  await cp(input.projectDir, project, {
    recursive: true,
    filter: (src) => !/(\.egg-info|[/\\](build|dist|__pycache__))$/.test(src),
  });
  await writeFileAtomically(
    join(project, input.buildInfoFile),
    `# Generated at build time by wheel-release; not in git.\nGIT_SHA = "${gitSha.slice(0, 8)}"\n`,
  );
  const mtime = defaultMtime();
  const staged = join(stage, 'out');
  try {
    try {
      await runTool(tools.python, [...build.args, '--sdist', '--outdir', staged, project], {
        env: { SOURCE_DATE_EPOCH: String(mtime) },
        tailLines: 30,
      });
    } catch (error) {
      throw new PackyardError('BUILD_FAILED', `python -m build --sdist failed for ${input.projectDir}`, {
        file: input.projectDir,
        cause: error,
      });
    }
    const built = (await readdir(staged)).filter((name) => name.endsWith('.tar.gz'));
    if (built.length !== 1) {
      throw new PackyardError(
        'BUILD_FAILED',
        `expected one sdist from ${input.projectDir}, found ${built.length}`,
        {
          file: input.projectDir,
        },
      );
    }
    const name = built[0]!;
    // setuptools stamps the tar members and the gzip header with the build's clock; the same sources
    // must give the same bytes, so the sdist is rewritten with archive's deterministic tar.gz writer
    // (sorted members, SOURCE_DATE_EPOCH mtimes, fixed owner and modes, no gzip timestamp).
    const tree = join(stage, 'tree');
    await mkdir(tree);
    await runTool('tar', ['-xzf', join(staged, name), '-C', tree, '--no-same-owner']);
    await prepareOutputDir(input.outDir);
    for (const old of await readdir(input.outDir))
      if (old.endsWith('.tar.gz')) await rm(join(input.outDir, old));
    await writeTarGz(join(input.outDir, name), await readTreeEntries(tree), { mtime });
    return name;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
