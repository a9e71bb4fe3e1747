#!/usr/bin/env node
// Builds the htty-shaped example once, as a user would release it, for the e2e test (Nx target
// wheel-release:htty-fixture, cached): a fresh git repository from examples/wheel-release-htty,
// then `check`, `bump --patch` (committed), `sync`, `check`, and `build` of all four platforms and the
// sdist with the default --out (dist/wheel-release inside the project). Every command's exit code and
// JSON and stderr, and `git status --porcelain` after the build, go to transcript.json beside the repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = join(workspace, 'dist/fixtures/wheel-release-htty');
const repo = join(out, 'repo');
const cli = join(workspace, 'apps/wheel-release/dist/main.js');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(workspace, 'examples/wheel-release-htty'), repo, { recursive: true });
const git = (...args) =>
  execFileSync('git', ['-c', 'user.name=packyard', '-c', 'user.email=packyard@example.invalid', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
    },
  }).trim();
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'htty-shaped example');

const steps = [];
const wheelRelease = (...args) => {
  const env = { ...process.env };
  delete env.GITHUB_SHA;
  const result = spawnSync('node', [cli, ...args, '--json'], { cwd: repo, encoding: 'utf8', env });
  process.stderr.write(result.stderr);
  let json = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = { unparsed: result.stdout };
  }
  steps.push({ args, code: result.status, json, stderr: result.stderr });
  if (result.status !== 0) {
    writeFileSync(join(out, 'transcript.json'), `${JSON.stringify({ steps }, null, 2)}\n`);
    throw new Error(`wheel-release ${args.join(' ')} exited ${result.status}`);
  }
};

wheelRelease('check');
wheelRelease('bump', '--patch');
git('commit', '-q', '-a', '-m', 'release 0.2.31');
wheelRelease('sync');
wheelRelease('check');
wheelRelease('build');
const statusAfterBuild = git('status', '--porcelain', '--untracked-files=all');
const sha = git('rev-parse', 'HEAD');
writeFileSync(join(out, 'transcript.json'), `${JSON.stringify({ sha, statusAfterBuild, steps }, null, 2)}\n`);
