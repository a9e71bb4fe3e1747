#!/usr/bin/env node
// Benchmark: verifying a release set of 40 wheels (10 releases × the example's 4 platform wheels,
// plus each release's sdist) with packyard's `verifyReleases`, against `twine check --strict` on the
// same 50 files, in the same run.
//
// It runs against the COMPILED code, so compile it first:
//   npx nx run wheel-release-lib:compile && node bench/wheel-verify/verify.bench.mjs [--rounds 5]
//
// The input is real: the example's wheels and sdist are built once with buildWheels / buildSdist
// (maturin --zig, python -m build; not timed), then re-versioned into releases 0.1.0 … 0.1.9 with
// Python's zipfile / tarfile (reversion.py: member names, METADATA / PKG-INFO, pin, RECORD). Prints
// one JSON line, then lines for people. Ratio is packyard / twine: lower is better.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';
import { loadCompiled } from '../lib/load.mjs';

const [wheelRelease, pythonTools] = await loadCompiled(
  ['@packyard/wheel-release', '@packyard/python-tools'],
  'npx nx run wheel-release-lib:compile',
);
const { buildSdist, buildWheels, verifyReleases } = wheelRelease;
const { provisionPythonTools } = pythonTools;

const EXAMPLE = fileURLToPath(new URL('../../examples/wheel-release', import.meta.url));
const REVERSION = fileURLToPath(new URL('./reversion.py', import.meta.url));
const PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'];
const SHA = '0123456789abcdef0123456789abcdef01234567';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, releases: { type: 'string', default: '10' } },
});
const USAGE = 'node bench/wheel-verify/verify.bench.mjs [--rounds 5] [--releases 10]';
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const releaseCount = positiveInteger('releases', values.releases, USAGE);

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-wheel-verify-'));
const cleanUp = () => rm(work, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  const log = (line) => console.error(line);
  const built = join(work, 'built');
  await buildWheels({
    crateDir: join(EXAMPLE, 'yd-core'),
    platforms: PLATFORMS,
    outDir: built,
    gitSha: SHA,
    cargoTargetDir: join(work, 'target'),
    log,
  });
  await buildSdist({
    projectDir: join(EXAMPLE, 'ydemo'),
    outDir: built,
    gitSha: SHA,
    buildInfoFile: 'src/ydemo/_build_info.py',
    log,
  });
  const originals = (await readdir(built)).sort();

  // One directory per release (what verifyRelease checks) and one holding all of them (what a user
  // hands twine: `twine check dist/*`).
  const all = join(work, 'all');
  await mkdir(all);
  const releases = [];
  for (let n = 0; n < releaseCount; n++) {
    const version = `0.1.${n}`;
    const dir = join(work, `release-${version}`);
    await mkdir(dir);
    for (const name of originals) {
      const target = name.replace('-0.1.0', `-${version}`);
      if (n === 0) await copyFile(join(built, name), join(dir, target));
      else await execa('python3', [REVERSION, join(built, name), join(dir, target), '0.1.0', version]);
      await copyFile(join(dir, target), join(all, target));
    }
    releases.push({ version, dir });
  }
  const files = (await readdir(all)).sort();
  const wheels = files.filter((f) => f.endsWith('.whl')).length;
  const inputSha256 = createHash('sha256');
  for (const name of files) inputSha256.update(name).update(await readFile(join(all, name)));

  // Both sides run the same pinned twine; provisioning is not timed.
  const tools = await provisionPythonTools({ tools: ['twine'], log });
  const twine = tools.commands.twine;
  const env = { COLUMNS: '100000', NO_COLOR: '1' };

  // The whole set in one call (one Python process runs twine's check for all of it), as the
  // wheel-release app verifies what it is given; installTest off, since twine installs nothing.
  async function packyard(only) {
    const results = await verifyReleases(
      (only ?? releases).map(({ version, dir }) => ({
        dir,
        version,
        wheels: { project: 'yd-core', platforms: PLATFORMS, binaries: ['yd'] },
        sdist: { project: 'ydemo', command: 'ydemo' },
        installTest: false,
      })),
    );
    const problems = results.flatMap((r) => r.problems);
    if (problems.length !== 0) {
      throw new Error(
        `verifyReleases found problems in the benchmark's good set: ${JSON.stringify(problems)}`,
      );
    }
  }
  async function peer(only) {
    const dir = only?.[0]?.dir ?? all;
    const names = only ? (await readdir(dir)).sort() : files;
    const result = await execa(twine.file, [...twine.args, 'check', '--strict', ...names], {
      cwd: dir,
      env,
      reject: false,
    });
    if (result.exitCode !== 0) throw new Error(`twine check failed:\n${result.stdout}\n${result.stderr}`);
  }

  // One untimed pass each: file-system caches warm, Python's bytecode compiled.
  await packyard();
  await peer();
  // The whole set, then one release alone (its 4 wheels + sdist: what one CI run verifies).
  const times = { packyard: [], peer: [], packyardOne: [], peerOne: [] };
  const one = releases.slice(0, 1);
  const loadBefore = loadavg()[0];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['packyard', 'peer'] : ['peer', 'packyard'];
    for (const scope of ['', 'One']) {
      for (const side of order) {
        const start = performance.now();
        const only = scope === 'One' ? one : undefined;
        await (side === 'packyard' ? packyard(only) : peer(only));
        times[`${side}${scope}`].push((performance.now() - start) / 1000);
      }
    }
  }
  const loadAfter = loadavg()[0];
  const packyardMedian = median(times.packyard);
  const peerMedian = median(times.peer);
  const report = {
    benchmark: 'wheel-verify',
    releases: releaseCount,
    wheels,
    files: files.length,
    rounds,
    inputSha256: inputSha256.digest('hex'),
    packyardSeconds: round3(packyardMedian),
    peerSeconds: round3(peerMedian),
    ratio: round3(packyardMedian / peerMedian),
    packyardRounds: times.packyard.map(round3),
    peerRounds: times.peer.map(round3),
    oneRelease: {
      files: (await readdir(one[0].dir)).length,
      packyardSeconds: round3(median(times.packyardOne)),
      peerSeconds: round3(median(times.peerOne)),
      ratio: round3(median(times.packyardOne) / median(times.peerOne)),
    },
    twine: tools.versions.twine,
    load: [round3(loadBefore), round3(loadAfter)],
  };
  console.log(JSON.stringify(report));
  console.log(
    `verify ${wheels} wheels + ${files.length - wheels} sdists: packyard verifyReleases (${releaseCount} releases) ${report.packyardSeconds} s, ` +
      `twine check --strict ${report.peerSeconds} s, ratio ${report.ratio} (load ${report.load.join(' → ')})`,
  );
  console.log(
    `one release (${report.oneRelease.files} files): packyard ${report.oneRelease.packyardSeconds} s, ` +
      `twine check --strict ${report.oneRelease.peerSeconds} s, ratio ${report.oneRelease.ratio}`,
  );
} finally {
  await cleanUp();
}
