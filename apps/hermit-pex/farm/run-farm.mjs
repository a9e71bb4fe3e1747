#!/usr/bin/env node
// The farm run (`npx nx run hermit-pex:farm`): every package in packages-farm/ through the whole
// pipeline (`hermit-pex plan`, then `hermit-pex run` for the platforms this machine can build; the
// others are reported with the plan's reason and left out of the manifest), then every published
// version installed with the real Hermit client in a fresh environment and each binary's `--version`
// run: linux-amd64 natively, linux-arm64 under qemu-user (an arm64 Hermit and Debian's arm64 CPythons,
// bookworm's 3.11 and trixie's 3.13, from tools/scripts/setup-arm64-python.sh). Outside the default
// suite: a cold run builds about forty PEXes.
// Writes dist/farm/report.json and prints a Markdown table; exits 1 when any check fails.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createHermitEnvironment,
  emulatedHermit,
  provisionHermit,
  pythonMinors,
  writePythonStandIn,
} from '@packyard/hermit-client';
import { forEachConcurrent } from '@packyard/core';
import { parseManifest } from '@packyard/hermit-render';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const MAIN = join(ROOT, 'apps/hermit-pex/dist/main.js');
const OUT = join(ROOT, 'dist/farm');
const PLATFORMS = ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64'];
// What `--version` prints where it is not the version itself: pipreqs 0.5.0 was released with
// `__version__ = '0.4.13'` left in pipreqs/__init__.py.
const VERSION_OUTPUT = { 'pipreqs 0.5.0': '0.4.13' };
// How many versions are checked at once.
const CHECK_JOBS = Number(process.env.PACKYARD_FARM_CHECK_JOBS ?? 3);
if (!Number.isInteger(CHECK_JOBS) || CHECK_JOBS < 1) {
  process.stderr.write(
    `farm: PACKYARD_FARM_CHECK_JOBS=${process.env.PACKYARD_FARM_CHECK_JOBS}: must be a whole number of 1 or more\n`,
  );
  process.exit(2);
}

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

/**
 * Installs and runs on this machine: the native Hermit client, with a python3 stand-in that runs
 * this machine's interpreters.
 */
async function nativeChecker(work, minors) {
  const client = await provisionHermit();
  const python = await writePythonStandIn(join(work, 'python3-linux-amd64'), minors);
  return { platform: 'linux-amd64', how: 'natively', client, python, unavailable: new Map() };
}

/**
 * Installs and runs linux-arm64 under qemu-user: Hermit cross-built for arm64 (it installs the
 * linux-arm64 package because that is its own platform), and a python3 stand-in whose interpreters
 * are Debian's arm64 CPythons from tools/scripts/setup-arm64-python.sh (each minor its own
 * interpreter and sysroot), so each PEX and every program it starts run emulated. A Python that script cannot provide is reported per version.
 */
async function arm64Checker(work, minors) {
  const platform = 'linux-arm64';
  const setup = await runLogged('bash', [join(ROOT, 'tools/scripts/setup-arm64-python.sh')]);
  const said = new Map(
    setup.stdout
      .split('\n')
      .map((line) => /^([\w.-]+)=(.*)$/.exec(line))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  if (setup.code !== 0) {
    const reason = `tools/scripts/setup-arm64-python.sh exited ${setup.code}: ${firstLine(setup.stderr)}`;
    failures.push(`${platform}: ${reason}`);
    return { platform, how: 'qemu-user', broken: reason };
  }
  const interpreters = {};
  const unavailable = new Map();
  for (const minor of minors) {
    const value = said.get(`python${minor}`) ?? 'unavailable: setup-arm64-python.sh does not provide it';
    if (value.startsWith('unavailable: ')) unavailable.set(minor, value.slice('unavailable: '.length));
    else interpreters[minor] = value;
  }
  const qemu = said.get('qemu-aarch64');
  const client = await emulatedHermit(await provisionHermit({ arch: 'arm64' }), join(work, 'hermit-arm64'), [
    qemu,
  ]);
  const python = await writePythonStandIn(join(work, `python3-${platform}`), Object.keys(interpreters), {
    interpreters,
  });
  return { platform, how: 'qemu-user', client, python, unavailable };
}

/**
 * Installs one version with the checker's Hermit in a fresh environment and runs each binary's
 * `--version`; a platform not built, or a Python the platform lacks, is reported as not run.
 */
async function checkVersion(checker, name, manifest, entry, refused) {
  const { platform } = checker;
  const notRun = (reason) =>
    manifest.binaries.map((binary) => ({ platform, binary, ok: false, notRun: reason }));
  if (checker.broken) return notRun(checker.broken);
  const refusal = refused.find((r) => r.platform === platform);
  if (refusal) return notRun(`not built: ${refusal.reason}`);
  const missing = pythonMinors(entry.runtimeDependencies).filter((minor) => checker.unavailable.has(minor));
  if (missing.length > 0) return notRun(missing.map((minor) => checker.unavailable.get(minor)).join('; '));
  const env = await createHermitEnvironment({
    client: checker.client,
    dir: await mkdtemp(join(work, `${name}-${entry.version}-${platform}-`)),
    sources: [`file://${join(OUT, 'hermit')}`, `file://${checker.python.source}`],
  });
  const install = await env.hermit(['install', `${name}-${entry.version}`], { input: 'y\n' });
  if (install.code !== 0) {
    failures.push(
      `${name} ${entry.version} ${platform}: hermit install exited ${install.code}: ${firstLine(install.stderr)}`,
    );
    return notRun(`hermit install exited ${install.code}: ${firstLine(install.stderr)}`);
  }
  const checks = [];
  for (const binary of manifest.binaries) {
    const ran = await env.exec(binary, ['--version']);
    // The environment's own path (it holds the version) is no evidence: it is taken out first.
    const lines = `${ran.stdout}\n${ran.stderr}`.split(env.dir).join('<env>').split('\n');
    const expected = VERSION_OUTPUT[`${name} ${entry.version}`] ?? entry.version;
    const output = (lines.find((line) => line.includes(expected)) ?? firstLine(lines.join('\n'))).trim();
    const ok = ran.code === 0 && output.includes(expected);
    checks.push({ platform, binary, code: ran.code, output, ok });
    process.stderr.write(
      `farm: ${name} ${entry.version} ${platform} ${binary} --version: ${ok ? 'ok' : 'FAILED'}: ${output}\n`,
    );
    if (!ok)
      failures.push(`${name} ${entry.version} ${platform}: ${binary} --version gave ${ran.code}: ${output}`);
  }
  return checks;
}

const started = Date.now();
const failures = [];
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
// A published version whose build_info changed is planned as `rebuild-needed`, with no needs-runner
// action, though the plan still logs the platforms it cannot build: those are left out of the run
// too, so the rebuild covers the platforms the release serves and is not refused for the others.
for (const key of readRefusals(plan.stderr).keys()) {
  const [name, , platform] = key.split(' ');
  needsRunner.set(name, (needsRunner.get(name) ?? new Set()).add(platform));
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

const work = await mkdtemp(join(tmpdir(), 'packyard-farm-'));
const minors = pythonMinors(
  [...manifests.values()].flatMap((m) => m.versions.flatMap((v) => v.runtimeDependencies)),
);
const checkers = [await nativeChecker(work, minors), await arm64Checker(work, minors)];
const checkSeconds = {};
const versions = [...manifests].flatMap(([name, manifest]) =>
  manifest.versions.map((entry) => ({ name, manifest, entry })),
);
// A few versions at a time: an emulated first run (PEX building its venv under qemu) takes minutes,
// most of it waiting on a busy machine's CPU.
const checkStarted = Date.now();
const rows = [];
await forEachConcurrent(versions, CHECK_JOBS, async ({ name, manifest, entry }, index) => {
  // No platform list: the manifest's one top-level source serves all four.
  const platforms = entry.platforms?.length ? [...entry.platforms].sort() : PLATFORMS;
  const refused = PLATFORMS.filter((p) => !platforms.includes(p)).map((platform) => ({
    platform,
    reason: refusals.get(`${name} ${entry.version} ${platform}`) ?? 'not built in this run',
  }));
  const checks = [];
  for (const checker of checkers) {
    const began = Date.now();
    checks.push(...(await checkVersion(checker, name, manifest, entry, refused)));
    checkSeconds[checker.platform] = (checkSeconds[checker.platform] ?? 0) + (Date.now() - began) / 1000;
  }
  rows[index] = {
    package: name,
    version: entry.version,
    python: entry.runtimeDependencies.join(', '),
    built: platforms,
    refused,
    checks,
  };
});
const checkWallSeconds = Math.round((Date.now() - checkStarted) / 1000);
await rm(work, { recursive: true, force: true });
const report = {
  packages: manifests.size,
  versions: rows.length,
  tarballs: rows.reduce((sum, row) => sum + row.built.length, 0),
  pipelineSeconds: builtSeconds,
  checkWallSeconds,
  // Per platform, the time its installs and runs took, added up over the versions checked at once.
  checkSeconds: Object.fromEntries(
    Object.entries(checkSeconds).map(([p, seconds]) => [p, Math.round(seconds)]),
  ),
  totalSeconds: Math.round((Date.now() - started) / 1000),
  rows,
  failures,
};
await writeFile(join(OUT, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

function cell(checks) {
  // A version none of whose binaries ran says why once.
  const reasons = new Set(checks.map((c) => c.notRun));
  if (checks.length > 0 && reasons.size === 1 && !reasons.has(undefined))
    return `– not run: ${checks[0].notRun}`;
  return checks
    .map(
      (c) =>
        `${c.ok ? '✓' : '✗'} \`${c.binary}\`: ${c.notRun === undefined ? c.output : `not run: ${c.notRun}`}`,
    )
    .join('<br>');
}
const table = [
  `| tool | version | platforms built | platforms refused (reason) | ${checkers.map((c) => `\`--version\` ${c.platform} (Hermit, ${c.how})`).join(' | ')} |`,
  `|---|---|---|---|${checkers.map(() => '---|').join('')}`,
  ...rows.map(
    (row) =>
      `| ${row.package} | ${row.version} | ${row.built.join(', ')} | ${row.refused.map((r) => `${r.platform}: ${r.reason}`).join('; ') || 'none'} | ${checkers.map((c) => cell(row.checks.filter((k) => k.platform === c.platform))).join(' | ')} |`,
  ),
];
const timings = Object.entries(report.checkSeconds)
  .map(([p, seconds]) => `${p} ${seconds} s`)
  .join(', ');
process.stdout.write(
  `${table.join('\n')}\n\n${report.packages} tools, ${report.versions} versions, ${report.tarballs} tarballs; pipeline ${builtSeconds} s, checks ${checkWallSeconds} s (${timings}, summed over versions), total ${report.totalSeconds} s\n`,
);
for (const failure of failures) process.stderr.write(`farm: ${failure}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
