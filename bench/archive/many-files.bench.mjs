#!/usr/bin/env node
// Benchmark: the dynamic-archives path (walk a tree, write .tar.zst / .tar.xz, sha256 + sha512 +
// BLAKE2b of the output in the same pass) on a tree of many small files, the shape of a Go module
// cache or a vendored-crates directory, against GNU tar doing the same job and then hashing its output:
// `tar --sort=name … --zstd|-J -cf out -C tree .` followed by `sha512sum out` and `b2sum out`.
//
// It runs against the COMPILED library, so compile it first:
//   npx nx run archive:compile && node bench/archive/many-files.bench.mjs [--rounds 3] [--files 19420] [--size-mb 222]
//
// The tree is generated from a fixed seed (bench/archive/tree-input.mjs): every run on every machine
// archives the same bytes; its sha256 is printed as `inputSha256`. Rounds alternate which side goes
// first. Prints one JSON line, then one line per format for people. Lower ratio (packyard / peer) is better.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';
import { loadCompiled } from '../lib/load.mjs';
import { lzmaNativeBinding, run, runGnuTar } from '../lib/archive-peer.mjs';
import { writeTreeInput } from './tree-input.mjs';

const [archive] = await loadCompiled(['@packyard/archive'], 'npx nx run archive:compile');
const { readTreeEntries, writeTarXz, writeTarZst } = archive;

const MB = 1_000_000;
const MTIME = 315_532_800;
const USAGE =
  'node bench/archive/many-files.bench.mjs [--rounds 3] [--files 19420] [--size-mb 222] [--formats tar.zst,tar.xz]';
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    files: { type: 'string', default: '19420' },
    'size-mb': { type: 'string', default: '222' },
    formats: { type: 'string', default: 'tar.zst,tar.xz' },
  },
});
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const fileCount = positiveInteger('files', values.files, USAGE);
const sizeMb = positiveInteger('size-mb', values['size-mb'], USAGE);

// The defaults of `zstd` (3) and `xz` (6), which are packyard's too, single-threaded on both sides.
const FORMATS = [
  {
    name: 'tar.zst',
    write: (out, entries) => writeTarZst(out, entries, { mtime: MTIME, level: 3 }),
    env: { ZSTD_CLEVEL: '3', ZSTD_NBTHREADS: '1' },
    flag: '--zstd',
  },
  {
    name: 'tar.xz',
    write: (out, entries) => writeTarXz(out, entries, { mtime: MTIME, level: 6 }),
    env: { XZ_OPT: '-6 -T1' },
    flag: '-J',
  },
].filter((format) => values.formats.split(',').includes(format.name));

// CPU seconds (user + system) of this process, all its threads included.
function ownCpu() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

// CPU seconds of the children this process has waited for (cutime + cstime in /proc/self/stat).
function childrenCpu() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-many-'));
try {
  const tree = join(work, 'tree');
  const input = await writeTreeInput(tree, fileCount, sizeMb * MB);
  const results = {};
  for (const format of FORMATS) {
    const packyardTimes = [];
    const peerTimes = [];
    const packyardCpu = [];
    const peerCpu = [];
    const digests = new Set();
    for (let round = 0; round < rounds; round += 1) {
      const sides = [
        async () => {
          const out = join(work, `packyard.${format.name}`);
          const started = performance.now();
          const cpu = ownCpu();
          // What `dynamic-archives create` does: one walk, then one writing pass that hashes as it goes.
          const entries = await readTreeEntries(tree, { emptyDirectories: true });
          const result = await format.write(out, entries);
          packyardTimes.push((performance.now() - started) / 1000);
          packyardCpu.push(ownCpu() - cpu);
          digests.add(result.digests.sha512);
          await rm(out);
        },
        async () => {
          const out = join(work, `peer.${format.name}`);
          const started = performance.now();
          const cpu = childrenCpu();
          await runGnuTar({ mtime: MTIME, flag: format.flag, out, dir: tree, env: format.env });
          await run('sha512sum', [out]);
          await run('b2sum', [out]);
          peerTimes.push((performance.now() - started) / 1000);
          peerCpu.push(childrenCpu() - cpu);
          await rm(out);
        },
      ];
      if (round % 2 === 1) sides.reverse();
      for (const side of sides) await side();
    }
    if (digests.size !== 1) throw new Error(`packyard's ${format.name} differed between rounds`);
    const packyard = median(packyardTimes);
    const peer = median(peerTimes);
    results[format.name] = {
      packyardSeconds: round3(packyard),
      peerSeconds: round3(peer),
      ratio: round3(packyard / peer),
      packyardRounds: packyardTimes.map(round3),
      peerRounds: peerTimes.map(round3),
      // CPU seconds (all threads, user + system): what the wall time follows when cores are scarce.
      packyardCpuSeconds: round3(median(packyardCpu)),
      peerCpuSeconds: round3(median(peerCpu)),
      cpuRatio: round3(median(packyardCpu) / median(peerCpu)),
    };
  }
  console.log(
    JSON.stringify({
      benchmark: 'archive-many-files',
      files: input.files,
      inputBytes: input.bytes,
      inputSha256: input.sha256,
      rounds,
      cpus: cpus().length,
      loadavg: loadavg().map(round3),
      ...archive.COMPRESSOR_VERSIONS,
      lzmaNativeBinding: lzmaNativeBinding(),
      results,
    }),
  );
  for (const [name, result] of Object.entries(results)) {
    console.log(
      `${name}: packyard ${result.packyardSeconds} s, tar + sha512sum + b2sum ${result.peerSeconds} s, ratio ${result.ratio}; CPU ${result.packyardCpuSeconds} s vs ${result.peerCpuSeconds} s, ratio ${result.cpuRatio} (${input.files} files, ${(input.bytes / MB).toFixed(0)} MB, load ${loadavg()[0].toFixed(1)})`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
