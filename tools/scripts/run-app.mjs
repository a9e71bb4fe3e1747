#!/usr/bin/env node
// Runs one of packyard's apps from a clone, as the root package.json's scripts do:
// `npm run hermit-pex -- plan` compiles the app and the libraries it uses (an Nx cache hit once
// they are built), then runs apps/<app>/dist/main.js with the arguments in the current directory.
// Nx's output is kept unless the compile fails, so the app's stdout (`--json`) stays clean.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [app, ...args] = process.argv.slice(2);
if (app === undefined) {
  process.stderr.write('usage: node tools/scripts/run-app.mjs <app> [arguments...]\n');
  process.exit(2);
}
const nx = join(root, 'node_modules', '.bin', 'nx');
const compile = spawnSync(nx, ['run', `${app}:compile`, '--output-style=static'], {
  cwd: root,
  env: { NX_DAEMON: 'false', ...process.env },
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (compile.status !== 0) {
  process.stderr.write(`${compile.stdout ?? ''}${compile.stderr ?? ''}`);
  process.stderr.write(`run-app: compiling ${app} failed (npx nx run ${app}:compile shows why)\n`);
  process.exit(compile.status ?? 70);
}
const run = spawnSync(process.execPath, [join(root, 'apps', app, 'dist', 'main.js'), ...args], {
  stdio: 'inherit',
});
if (run.signal !== null) process.kill(process.pid, run.signal);
process.exit(run.status ?? 70);
