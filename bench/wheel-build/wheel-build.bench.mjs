#!/usr/bin/env node
// Benchmark: packyard's one-runner cross build of the example's four yd-core wheels (buildWheels from
// the compiled library) against building them one after another with plain
// `maturin build --release --zig --target …`, the same pinned maturin + ziglang on both sides.
//
//   npx nx run wheel-release-lib:compile && node bench/wheel-build/wheel-build.bench.mjs [--rounds 3] [--jobs N]
//   npm run bench:wheel-build
//
// Each round gives each side fresh cargo target directories and a fresh output directory, and
// alternates which side goes first. Both share one warm zig cache and the cargo registry cache (a
// warm-up build of each side, not timed, fills them). Prints one JSON line, then lines for people.
// Lower ratio (packyard / peer) is better.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';
import { loadCompiled } from '../lib/load.mjs';

const [wheelRelease, pythonTools] = await loadCompiled(
  ['@packyard/wheel-release', '@packyard/python-tools'],
  'npx nx run wheel-release-lib:compile',
);
const { buildWheels, WHEEL_TARGETS } = wheelRelease;
const { provisionPythonTools } = pythonTools;

const USAGE = 'node bench/wheel-build/wheel-build.bench.mjs [--rounds 3] [--jobs N]';
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, jobs: { type: 'string' } },
});
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const jobs = values.jobs === undefined ? undefined : positiveInteger('jobs', values.jobs, USAGE);

const CRATE = join(dirname(fileURLToPath(import.meta.url)), '../../examples/wheel-release/yd-core');
const PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'];
const SHA = '0123456789abcdef0123456789abcdef01234567';
const SOURCE_DATE_EPOCH = '315532800';
process.env.SOURCE_DATE_EPOCH = SOURCE_DATE_EPOCH;

const load = { before: loadavg().map(round3) };
const tools = await provisionPythonTools({ tools: ['maturin', 'ziglang'] });
const maturin = tools.commands.maturin;
// The peer runs with what buildWheels gives maturin, so both build the same bytes.
const peerEnv = {
  ...process.env,
  PATH: `${dirname(tools.python)}:${process.env.PATH ?? ''}`,
  PACKYARD_GIT_SHA: SHA,
  SOURCE_DATE_EPOCH,
  ZIG_GLOBAL_CACHE_DIR: join(tools.home, 'zig-cache'),
};
const { execa } = await import('execa');

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-wheel-build-'));
const cleanUp = () => rm(work, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

async function digests(dir) {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.whl')).sort();
  const out = {};
  for (const name of names)
    out[name] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  return out;
}

async function runPackyard(tag) {
  const out = join(work, `packyard-${tag}`);
  const started = performance.now();
  await buildWheels({
    crateDir: CRATE,
    platforms: PLATFORMS,
    outDir: out,
    gitSha: SHA,
    cargoTargetDir: join(work, `packyard-${tag}-target`),
    ...(jobs === undefined ? {} : { jobs }),
  });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, wheels: await digests(out) };
}

async function runPeer(tag) {
  const out = join(work, `peer-${tag}`);
  const target = join(work, `peer-${tag}-target`);
  const perTarget = {};
  const started = performance.now();
  for (const platform of PLATFORMS) {
    const t0 = performance.now();
    await execa(
      maturin.file,
      [...maturin.args, 'build', '--release', '--zig', '--target', WHEEL_TARGETS[platform], '--out', out],
      { cwd: CRATE, env: { ...peerEnv, CARGO_TARGET_DIR: target }, stdin: 'ignore' },
    );
    perTarget[platform] = round3((performance.now() - t0) / 1000);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, perTarget, wheels: await digests(out) };
}

try {
  // Warm-up, not timed: zig's libc stubs and compiler-rt land in the shared zig cache.
  const warm = [await runPeer('warm'), await runPackyard('warm')];
  const packyardTimes = [];
  const peerTimes = [];
  const peerPerTarget = [];
  const digestSets = new Set([JSON.stringify(warm[0].wheels), JSON.stringify(warm[1].wheels)]);
  for (let round = 0; round < rounds; round += 1) {
    const sides = [
      async () => {
        const r = await runPackyard(round);
        packyardTimes.push(r.seconds);
        digestSets.add(JSON.stringify(r.wheels));
      },
      async () => {
        const r = await runPeer(round);
        peerTimes.push(r.seconds);
        peerPerTarget.push(r.perTarget);
        digestSets.add(JSON.stringify(r.wheels));
      },
    ];
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side();
  }
  // A re-run with nothing changed: the same target directories, cargo finds everything fresh.
  const rerunStarted = performance.now();
  await buildWheels({
    crateDir: CRATE,
    platforms: PLATFORMS,
    outDir: join(work, 'packyard-0'),
    gitSha: SHA,
    cargoTargetDir: join(work, 'packyard-0-target'),
    ...(jobs === undefined ? {} : { jobs }),
  });
  const rerunSeconds = (performance.now() - rerunStarted) / 1000;
  load.after = loadavg().map(round3);

  const packyard = median(packyardTimes);
  const peer = median(peerTimes);
  const wheels = Object.keys(warm[0].wheels).length;
  const result = {
    bench: 'wheel-build',
    rounds,
    cpus: availableParallelism(),
    jobs: jobs ?? Math.max(1, Math.min(Math.floor(availableParallelism() / 2), PLATFORMS.length)),
    maturin: tools.versions.maturin,
    ziglang: tools.versions.ziglang,
    wheels,
    packyardSeconds: packyardTimes.map(round3),
    peerSeconds: peerTimes.map(round3),
    peerPerTargetSeconds: peerPerTarget,
    packyardMedian: round3(packyard),
    peerMedian: round3(peer),
    ratio: round3(packyard / peer),
    noChangeRerunSeconds: round3(rerunSeconds),
    // Every build on both sides wrote the same four wheels, byte for byte.
    sameWheels: digestSets.size === 1,
    load,
  };
  console.log(JSON.stringify(result));
  console.log(
    `${wheels} wheels: packyard ${result.packyardMedian} s, maturin one after another ${result.peerMedian} s, ` +
      `ratio ${result.ratio} (lower is better); no-change re-run ${result.noChangeRerunSeconds} s; ` +
      `same wheels on both sides: ${result.sameWheels ? 'yes' : 'NO'}; load ${load.before[0]} → ${load.after[0]}`,
  );
  if (!result.sameWheels) process.exitCode = 1;
} finally {
  await cleanUp();
}
