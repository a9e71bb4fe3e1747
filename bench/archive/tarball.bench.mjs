#!/usr/bin/env node
// Benchmark: packyard's deterministic tar.gz writer against the shell pipeline people use for the
// same job (GNU tar --sort=name … | gzip -n | tee | sha256sum).
//
// It runs against the COMPILED library, so compile it first:
//   npx nx run archive:compile && node bench/archive/tarball.bench.mjs [--rounds 3] [--size-mb 100] [--level 9]
//
// The input (~size-mb of files, half incompressible, half text) is generated from a fixed seed, so
// every run and every machine archives the same bytes; its sha256 is printed as `inputSha256`.
// Prints one JSON line, then one line for people. Lower ratio (packyard / peer) is better.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3, usage } from '../lib/stats.mjs';
import { listEntries, writeInput } from './input.mjs';
import { loadCompiled } from '../lib/load.mjs';
import { DETERMINISTIC_TAR_OPTIONS, hashFile, run } from '../lib/archive-peer.mjs';

const [archive] = await loadCompiled(['@packyard/archive'], 'npx nx run archive:compile');
const { writeTarGz } = archive;

const MB = 1_000_000;
const MTIME = 315_532_800;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'size-mb': { type: 'string', default: '100' },
    level: { type: 'string', default: '9' },
  },
});
const USAGE = 'node bench/archive/tarball.bench.mjs [--rounds 3] [--size-mb 100] [--level 9]';
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const sizeMb = positiveInteger('size-mb', values['size-mb'], USAGE);
const level = positiveInteger('level', values.level, USAGE);
if (level > 9) usage('--level must be 1..9', USAGE);

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-archive-'));
const cleanUp = () => rm(work, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  const inputDir = join(work, 'input');
  const { bytes: inputBytes, sha256: inputSha256 } = await writeInput(inputDir, sizeMb * MB);
  const entries = await listEntries(inputDir);

  const packyardTimes = [];
  const peerTimes = [];
  const packyardDigests = new Set();
  const peerDigests = new Set();
  let packyardBytes = 0;
  let peerBytes = 0;

  for (let round = 0; round < rounds; round += 1) {
    // Alternate which side goes first, so neither always inherits the other's warm caches.
    const sides = [runPackyard, runPeer];
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side(round);
  }

  async function runPackyard(round) {
    const out = join(work, `packyard-${round}.tar.gz`);
    const started = performance.now();
    const result = await writeTarGz(out, entries, { mtime: MTIME, level });
    packyardTimes.push((performance.now() - started) / 1000);
    await expectDigest('packyard', out, result.sha256);
    packyardDigests.add(result.sha256);
    packyardBytes = result.size;
    await rm(out);
  }

  async function runPeer(round) {
    const out = join(work, `peer-${round}.tar.gz`);
    const script =
      'set -euo pipefail; ' +
      `tar ${DETERMINISTIC_TAR_OPTIONS(MTIME).join(' ')} -cf - -C "$1" . ` +
      `| gzip -n -${level} | tee "$2" | sha256sum`;
    const started = performance.now();
    const stdout = await run('bash', ['-c', script, 'bench', inputDir, out]);
    peerTimes.push((performance.now() - started) / 1000);
    const sha256 = stdout.split(/\s/)[0];
    await expectDigest('peer', out, sha256);
    peerDigests.add(sha256);
    peerBytes = (await hashFile(out)).size;
    await rm(out);
  }

  const packyard = summary(packyardTimes, inputBytes, packyardBytes, packyardDigests);
  const peer = summary(peerTimes, inputBytes, peerBytes, peerDigests);
  const ratio = round3(packyard.medianSeconds / peer.medianSeconds);
  const report = {
    bench: 'archive/tarball',
    inputMB: round3(inputBytes / MB),
    files: entries.length,
    inputSha256,
    rounds,
    level,
    packyard,
    peer: { command: `tar --sort=name … | gzip -n -${level} | tee | sha256sum`, ...peer },
    ratio,
    node: process.version,
    zlib: process.versions.zlib,
    cpus: cpus().length,
  };
  console.log(JSON.stringify(report));
  console.log(
    `archive/tarball ${report.inputMB} MB in ${report.files} files, gzip -${level}, median of ${rounds}: ` +
      `packyard ${packyard.medianSeconds.toFixed(2)} s (${packyard.mbPerSecond.toFixed(1)} MB/s), ` +
      `tar|gzip ${peer.medianSeconds.toFixed(2)} s (${peer.mbPerSecond.toFixed(1)} MB/s), ` +
      `ratio packyard/peer ${ratio.toFixed(2)} (lower is better)`,
  );
} finally {
  await cleanUp();
}

async function expectDigest(who, path, sha256) {
  const actual = await hashFile(path);
  if (actual.sha256 !== sha256)
    throw new Error(`${who}: reported sha256 ${sha256} but the file hashes to ${actual.sha256}`);
}

function summary(times, inputBytes, outputBytes, digests) {
  const medianSeconds = round3(median(times));
  return {
    medianSeconds,
    mbPerSecond: round3(inputBytes / MB / medianSeconds),
    seconds: times.map(round3),
    outputMB: round3(outputBytes / MB),
    sha256: [...digests][0],
    deterministic: digests.size === 1,
  };
}
