#!/usr/bin/env node
// The main job from a fresh clone, against the seed's approach: a plain sequential loop of
// `uv pip compile` + `pex` (+ tar) over the same versions and platforms, in the same run.
// See bench/README.md. Prints one JSON line, then one line for people.
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3, usage } from '../lib/stats.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE =
  'node bench/main-job/main-job.bench.mjs [--packages a,b] [--max-versions N] [--rounds N] [--jobs N] [--home DIR [--warm]] [--keep]';

const { values } = parseArgs({
  options: {
    packages: { type: 'string' },
    'max-versions': { type: 'string' },
    rounds: { type: 'string', default: '1' },
    jobs: { type: 'string' },
    home: { type: 'string' },
    warm: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) usage('The main job from a fresh clone vs a sequential uv pip compile + pex loop.', USAGE);
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const maxVersions =
  values['max-versions'] === undefined
    ? undefined
    : positiveInteger('max-versions', values['max-versions'], USAGE);
// --warm: the --home caches were filled by an earlier run of this bench, so the warm-up is skipped.
if (values.warm && !values.home) usage('--warm needs --home (a home whose caches are warm)', USAGE);
const jobs = values.jobs === undefined ? undefined : positiveInteger('jobs', values.jobs, USAGE);

// The compiled libraries of this checkout: what the bench itself uses to plan and to provision.
const dist = (path) => import(join(repo, path));
let hermitPex, pexBuilder, pypiClient;
try {
  hermitPex = await dist('apps/hermit-pex/dist/index.js');
  pexBuilder = await dist('libs/pex-builder/dist/index.js');
  pypiClient = await dist('libs/pypi-client/dist/index.js');
} catch (error) {
  usage(`compile first (npx nx run hermit-pex:compile): ${error.message}`, USAGE);
}

const allPackages = (await readdir(join(repo, 'packages'), { withFileTypes: true }))
  .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
  .map((e) => e.name)
  .sort();
const packages = values.packages ? values.packages.split(',').map((p) => p.trim()) : allPackages;
for (const name of packages)
  if (!allPackages.includes(name)) usage(`no package "${name}" in packages/`, USAGE);

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-main-job-'));
// --home reuses a packyard home (and its warm caches) across bench runs; it is never deleted.
const home = values.home ? resolve(values.home) : join(work, 'packyard-home');
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
  cwd: repo,
  encoding: 'utf8',
}).trim();
const load = { before: loadavg().map(round3) };

/** Runs a command, inheriting nothing on stdin; resolves with its wall time in seconds. */
function run(file, args, { cwd, env = {}, log } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-20_000);
      log?.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise((performance.now() - started) / 1000);
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
}

try {
  // The tools both sides run: the same pinned pex and uv, the same caches under the bench's home.
  const tools = await pexBuilder.provisionTools({ home });
  const cacheEnv = { ...pexBuilder.toolCacheEnv(tools), PEX_IGNORE_RCFILES: 'true' };
  const host = pexBuilder.hostPlatform();

  // What to build: every planned version of each package (the newest --max-versions of them).
  const plan = [];
  for (const name of packages) {
    const config = await hermitPex.readPackageConfig(join(repo, 'packages', name, 'config.yaml'));
    const index = await pypiClient.resolveIndexUrl({ configured: config.indexUrl });
    const listed = await pypiClient.createPypiClient({ indexUrl: index.url }).listVersions(config.package);
    let versions = hermitPex.planVersions(config.versions, listed.versions);
    if (maxVersions !== undefined) versions = versions.slice(-maxVersions);
    plan.push({ name, config, indexUrl: index.url, versions });
  }
  const platforms = pexBuilder.ALL_PLATFORMS;
  const builds = plan.reduce((sum, p) => sum + p.versions.length * platforms.length, 0);

  /** A fresh clone of this commit with only the chosen packages and versions, and its npm install. */
  async function freshClone(round) {
    const dir = join(work, `clone-${round}`);
    await run('git', ['clone', '--quiet', '--no-checkout', repo, dir]);
    await run('git', ['checkout', '--quiet', commit], { cwd: dir });
    for (const name of allPackages) {
      const entry = plan.find((p) => p.name === name);
      const packageDir = join(dir, 'packages', name);
      if (!entry) await rm(packageDir, { recursive: true, force: true });
      else if (maxVersions !== undefined) {
        // Raise the lowest bound to the oldest version kept; the Python stays the one planned for it.
        const file = join(packageDir, 'config.yaml');
        const text = await readFile(file, 'utf8');
        const lowest = [...entry.config.versions].sort((a, b) =>
          pypiClient.compareVersions(a.version, b.version),
        )[0].version;
        const kept = entry.versions[0].version;
        if (kept === lowest) continue;
        const next = text.replace(
          new RegExp(`(version:\\s*['"]?)${lowest.replace(/\./g, '\\.')}(['"]?)`),
          `$1${kept}$2`,
        );
        if (next === text) throw new Error(`cannot raise the lowest bound ${lowest} in ${file}`);
        await writeFile(file, next);
      }
    }
    const npmSeconds = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: dir,
    });
    return { dir, npmSeconds };
  }

  /** packyard: the README's first line, minus npm install, in the clone, with its own Nx cache. */
  async function runPackyard(round) {
    const { dir, npmSeconds } = await freshClone(round);
    const log = (await import('node:fs')).createWriteStream(join(work, `packyard-${round}.log`));
    const env = {
      NX_CACHE_DIRECTORY: join(work, `nx-cache-${round}`),
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      PACKYARD_HOME: home,
      CI: 'true',
      ...(jobs !== undefined ? { PACKYARD_JOBS: String(jobs) } : {}),
    };
    const compileSeconds = await run('npx', ['nx', 'run', 'hermit-pex:compile'], { cwd: dir, env, log });
    const buildSeconds = await run('npx', ['nx', 'run', 'pex-builder:build'], { cwd: dir, env, log });
    log.end();
    // Everything asked for was published: one tarball per platform per version.
    let tarballs = 0;
    for (const entry of plan) {
      for (const { version } of entry.versions) {
        const assets = await readdir(
          join(dir, 'dist/releases', `${entry.config.package}-v${version}`, 'assets'),
        );
        tarballs += assets.filter((a) => a.endsWith('.tar.gz')).length;
      }
    }
    if (tarballs !== builds) throw new Error(`packyard published ${tarballs} tarballs, expected ${builds}`);
    if (!values.keep) await rm(dir, { recursive: true, force: true });
    return { npmSeconds, compileSeconds, buildSeconds, seconds: compileSeconds + buildSeconds };
  }

  /** The seed's approach: for each version, lock once, then one pex and one tarball per platform. */
  async function runPeer(round) {
    const out = join(work, `peer-${round}`);
    const log = (await import('node:fs')).createWriteStream(join(work, `peer-${round}.log`));
    const started = performance.now();
    for (const entry of plan) {
      for (const { version, python } of entry.versions) {
        const dir = join(out, entry.name, version);
        await mkdir(dir, { recursive: true });
        const lines = [`${entry.config.package}==${version}`, ...entry.config.extraPackages];
        await writeFile(join(dir, 'requirements.in'), `${lines.join('\n')}\n`);
        // the same flags as lockRequirements
        await run(
          tools.uv,
          [
            'pip',
            'compile',
            'requirements.in',
            '--output-file',
            'requirements.txt',
            '--universal',
            '--python-version',
            python,
            '--index-url',
            entry.indexUrl,
            '--no-header',
            '--generate-hashes',
            '--no-config',
          ],
          { cwd: dir, env: cacheEnv, log },
        );
        for (const platform of platforms) {
          const name = `${entry.config.package}-${pexBuilder.formatPlatform(platform)}`;
          const root = join(dir, pexBuilder.formatPlatform(platform));
          await mkdir(root, { recursive: true });
          const native = pexBuilder.samePlatform(platform, host);
          // pex as the seed runs it, with buildPexBundle's arguments: natively with pythonX.Y, else from
          // the description. (buildPexBundle also passes --python-path, so that pex does not try every
          // interpreter on PATH; a plain loop does not.)
          await run(
            tools.pex,
            [
              '--requirement',
              join(dir, 'requirements.txt'),
              '--no-pypi',
              '--index-url',
              entry.indexUrl,
              '--output-file',
              join(root, `${name}.pex`),
              ...(native
                ? ['--interpreter-constraint', `CPython==${python}.*`, '--python', `python${python}`]
                : ['--complete-platform', pexBuilder.completePlatformFile(platform, python), '--no-build']),
              '--python-shebang',
              `/usr/bin/env python${python}`,
              '--venv',
            ],
            { env: cacheEnv, log },
          );
          for (const binary of entry.config.binaries) {
            await writeFile(join(root, binary), pexBuilder.renderWrapper(binary, `${name}.pex`));
            await chmod(join(root, binary), 0o755);
          }
          await run('tar', ['-czf', join(dir, `${name}.tar.gz`), '-C', root, '.'], { log });
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    log.end();
    await rm(out, { recursive: true, force: true });
    return { seconds };
  }

  // Warm-up: fills the pex and uv download caches (and pex's own bootstrap) for both sides.
  const warmupSeconds = values.warm ? 0 : (await runPeer('warmup')).seconds;
  const packyardRuns = [];
  const peerRuns = [];
  for (let round = 1; round <= rounds; round += 1) {
    // Alternate which side goes first, so neither always runs on the other's leftovers.
    if (round % 2 === 1) {
      packyardRuns.push(await runPackyard(round));
      peerRuns.push(await runPeer(round));
    } else {
      peerRuns.push(await runPeer(round));
      packyardRuns.push(await runPackyard(round));
    }
  }
  load.after = loadavg().map(round3);

  const packyard = median(packyardRuns.map((r) => r.seconds));
  const peer = median(peerRuns.map((r) => r.seconds));
  const result = {
    bench: 'main-job',
    commit,
    uncommittedChanges: dirty !== '',
    cpus: cpus().length,
    loadAverage: load,
    packages: plan.map((p) => ({
      name: p.name,
      versions: p.versions.map((v) => v.version),
    })),
    platforms: platforms.map(pexBuilder.formatPlatform),
    builds,
    jobs: jobs ?? 'auto',
    rounds,
    warmupSeconds: values.warm ? 'skipped (--warm)' : round3(warmupSeconds),
    packyard: {
      medianSeconds: round3(packyard),
      runs: packyardRuns.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round3(v)]))),
    },
    peer: { medianSeconds: round3(peer), runs: peerRuns.map((r) => round3(r.seconds)) },
    ratio: round3(packyard / peer),
  };
  console.log(JSON.stringify(result));
  const r = packyardRuns[Math.floor(packyardRuns.length / 2)];
  console.log(
    `main job, ${builds} PEX tarballs (${plan.map((p) => `${p.name} ×${p.versions.length}`).join(', ')} × ${platforms.length} platforms): ` +
      `packyard ${round3(packyard)} s (compile ${round3(r.compileSeconds)} s + build ${round3(r.buildSeconds)} s; npm install ${round3(r.npmSeconds)} s not counted), ` +
      `sequential uv pip compile + pex ${round3(peer)} s, ratio ${round3(packyard / peer)} (lower is better); ` +
      `load average ${load.before.join('/')} before, ${load.after.join('/')} after`,
  );
} finally {
  if (values.keep) console.error(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
