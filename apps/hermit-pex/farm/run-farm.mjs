#!/usr/bin/env node
// The farm run (`npx nx run hermit-pex:farm`): every package in packages-farm/ through the whole
// pipeline (`hermit-pex plan`, then `hermit-pex run` for the platforms this machine can build; the
// others are reported with the plan's reason and left out of the manifest), then every published
// version installed with the real Hermit client in a fresh environment and each binary's `--version`
// run (linux-amd64, natively). Outside the default suite: a cold run builds about forty PEXes.
// Writes dist/farm/report.json and prints a Markdown table; exits 1 when any check fails.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createHermitEnvironment,
  provisionHermit,
  pythonMinors,
  writePythonStandIn,
} from '@packyard/hermit-client';
import { parseManifest } from '@packyard/hermit-render';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const MAIN = join(ROOT, 'apps/hermit-pex/dist/main.js');
const OUT = join(ROOT, 'dist/farm');
const PLATFORMS = ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64'];
// What `--version` prints where it is not the version itself: pipreqs 0.5.0 was released with
// `__version__ = '0.4.13'` left in pipreqs/__init__.py.
const VERSION_OUTPUT = { 'pipreqs 0.5.0': '0.4.13' };

/** Runs a command, echoing its stderr live; resolves with its exit code and both outputs. */
function runLogged(file, args) {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/** Why each platform of each version was not built here, from the run's log lines. */
function readRefusals(log) {
  const refusals = new Map();
  for (const text of log.split('\n')) {
    // `--json` turns each log line into {"type":"log","level","message"}.
    const line = text.startsWith('{') ? (JSON.parse(text).message ?? '') : text;
    const native = /^(\S+) (\S+): (\S+-\S+) needs a native runner: (.*)$/.exec(line);
    if (native) refusals.set(`${native[1]} ${native[2]} ${native[3]}`, native[4]);
  }
  return refusals;
}

async function readManifests(dir) {
  const manifests = new Map();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.hcl')).sort()) {
    const file = join(dir, name);
    manifests.set(name.slice(0, -'.hcl'.length), await parseManifest(await readFile(file, 'utf8'), file));
  }
  return manifests;
}

function firstLine(text) {
  return text.trim().split('\n')[0] ?? '';
}

const started = Date.now();
await mkdir(OUT, { recursive: true });
const where = [
  '--packages-dir',
  'packages-farm',
  '--dist-dir',
  'dist/farm/pex',
  '--store-dir',
  'dist/farm/releases',
  '--manifest-dir',
  'dist/farm/hermit',
];
const failures = [];
// The plan says which platforms need a native runner (no wheel for some requirement); each package
// is then run for the others only, so its releases publish and the manifest lists only what exists.
const plan = await runLogged(process.execPath, [MAIN, 'plan', '--json', ...where]);
if (plan.code !== 0) failures.push(`hermit-pex plan exited ${plan.code}`);
// A published version is up to date in later plans, which then no longer say why a platform is
// missing: the reasons are kept from the run that planned it.
const REFUSALS = join(OUT, 'refusals.json');
const refusals = new Map([
  ...(existsSync(REFUSALS) ? Object.entries(JSON.parse(await readFile(REFUSALS, 'utf8'))) : []),
  ...readRefusals(plan.stderr),
]);
await writeFile(REFUSALS, `${JSON.stringify(Object.fromEntries([...refusals].sort()), null, 2)}\n`);
const needsRunner = new Map();
for (const entry of JSON.parse(plan.stdout || '[]')) {
  const set = needsRunner.get(entry.package) ?? new Set();
  for (const action of entry.actions) if (action.startsWith('needs-runner ')) set.add(action.slice(13));
  needsRunner.set(entry.package, set);
}
for (const [name, refused] of needsRunner) {
  const platforms = PLATFORMS.filter((p) => !refused.has(p));
  const pipeline = await runLogged(process.execPath, [
    MAIN,
    'run',
    name,
    '--platforms',
    platforms.join(','),
    ...where,
  ]);
  if (pipeline.code !== 0) failures.push(`hermit-pex run ${name} exited ${pipeline.code}`);
}
const builtSeconds = Math.round((Date.now() - started) / 1000);
const manifests = await readManifests(join(OUT, 'hermit'));

// Never a manifest entry that 404s: every URL the manifests list is a file the store serves.
for (const [name, manifest] of manifests) {
  for (const url of Object.keys(manifest.sha256sums)) {
    if (!existsSync(fileURLToPath(url))) failures.push(`${name}: ${url} is listed but missing`);
  }
}

const client = await provisionHermit();
const work = await mkdtemp(join(tmpdir(), 'packyard-farm-'));
const python = await writePythonStandIn(
  join(work, 'python3'),
  pythonMinors([...manifests.values()].flatMap((m) => m.versions.flatMap((v) => v.runtimeDependencies))),
);
const rows = [];
for (const [name, manifest] of manifests) {
  for (const entry of manifest.versions) {
    const env = await createHermitEnvironment({
      client,
      dir: await mkdtemp(join(work, `${name}-${entry.version}-`)),
      sources: [`file://${join(OUT, 'hermit')}`, `file://${python.source}`],
    });
    const install = await env.hermit(['install', `${name}-${entry.version}`], { input: 'y\n' });
    const checks = [];
    if (install.code !== 0) {
      failures.push(
        `${name} ${entry.version}: hermit install exited ${install.code}: ${firstLine(install.stderr)}`,
      );
    } else {
      for (const binary of manifest.binaries) {
        const ran = await env.exec(binary, ['--version']);
        // The environment's own path (it holds the version) is no evidence: it is taken out first.
        const lines = `${ran.stdout}\n${ran.stderr}`.split(env.dir).join('<env>').split('\n');
        const expected = VERSION_OUTPUT[`${name} ${entry.version}`] ?? entry.version;
        const output = (lines.find((line) => line.includes(expected)) ?? firstLine(lines.join('\n'))).trim();
        const ok = ran.code === 0 && output.includes(expected);
        checks.push({ binary, code: ran.code, output, ok });
        if (!ok) failures.push(`${name} ${entry.version}: ${binary} --version gave ${ran.code}: ${output}`);
      }
    }
    // No platform list: the manifest's one top-level source serves all four.
    const platforms = entry.platforms?.length ? [...entry.platforms].sort() : PLATFORMS;
    rows.push({
      package: name,
      version: entry.version,
      python: entry.runtimeDependencies.join(', '),
      built: platforms,
      refused: PLATFORMS.filter((p) => !platforms.includes(p)).map((platform) => ({
        platform,
        reason: refusals.get(`${name} ${entry.version} ${platform}`) ?? 'not built in this run',
      })),
      checks,
    });
  }
}
await rm(work, { recursive: true, force: true });
const report = {
  packages: manifests.size,
  versions: rows.length,
  tarballs: rows.reduce((sum, row) => sum + row.built.length, 0),
  pipelineSeconds: builtSeconds,
  totalSeconds: Math.round((Date.now() - started) / 1000),
  rows,
  failures,
};
await writeFile(join(OUT, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

const table = [
  '| tool | version | platforms built | platforms refused (reason) | `--version` checked (linux-amd64, Hermit) |',
  '|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.package} | ${row.version} | ${row.built.join(', ')} | ${row.refused.map((r) => `${r.platform}: ${r.reason}`).join('; ') || 'none'} | ${row.checks.map((c) => `${c.ok ? '✓' : '✗'} \`${c.binary}\`: ${c.output}`).join('<br>')} |`,
  ),
];
process.stdout.write(
  `${table.join('\n')}\n\n${report.packages} tools, ${report.versions} versions, ${report.tarballs} tarballs; pipeline ${builtSeconds} s, total ${report.totalSeconds} s\n`,
);
for (const failure of failures) process.stderr.write(`farm: ${failure}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
