#!/usr/bin/env node
// Benchmark: packyard's deterministic .tar.xz and .tar.zst writers against GNU tar doing the same
// job (`tar -cJf` and `tar --zstd -cf`, at the same level, with the options that make tar's own
// output deterministic: --sort=name, a fixed --mtime, owner and group 0).
//
// It runs against the COMPILED library, so compile it first:
//   npx nx run archive:compile && node bench/archive/compress.bench.mjs [--rounds 3] [--size-mb 100]
//
// The input is bench/archive/input.mjs's (fixed seed, half incompressible, half text). Prints one
// JSON line, then one line per format for people. Lower ratio (packyard / peer) is better.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';
import { listEntries, writeInput } from './input.mjs';
import { loadCompiled } from '../lib/load.mjs';
import { hashFile, lzmaNativeBinding, run, runGnuTar } from '../lib/archive-peer.mjs';

const [archive] = await loadCompiled(['@packyard/archive'], 'npx nx run archive:compile');
const { writeTarXz, writeTarZst } = archive;

const MB = 1_000_000;
const MTIME = 315_532_800;
const USAGE = 'node bench/archive/compress.bench.mjs [--rounds 3] [--size-mb 100]';
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, 'size-mb': { type: 'string', default: '100' } },
});
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const sizeMb = positiveInteger('size-mb', values['size-mb'], USAGE);

// Levels: the defaults of `xz` (6) and `zstd` (3), which are packyard's too. The peer's compressor
// runs single-threaded (-T1), as packyard's does: a threaded xz splits the stream into blocks, so its
// output would depend on the thread count.
const FORMATS = [
  {
    name: 'tar.xz',
    level: 6,
    write: (out, entries) => writeTarXz(out, entries, { mtime: MTIME, level: 6 }),
    peer: 'tar -cJf',
    env: { XZ_OPT: '-6 -T1' },
    flag: '-J',
  },
  {
    name: 'tar.zst',
    level: 3,
    write: (out, entries) => writeTarZst(out, entries, { mtime: MTIME, level: 3 }),
    peer: 'tar --zstd -cf',
    env: { ZSTD_CLEVEL: '3', ZSTD_NBTHREADS: '1' },
    flag: '--zstd',
  },
];

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-compress-'));
try {
  const inputDir = join(work, 'input');
  const { bytes: inputBytes, sha256: inputSha256 } = await writeInput(inputDir, sizeMb * MB);
  const entries = await listEntries(inputDir);
  const results = [];
  for (const format of FORMATS) {
    const sides = {
      packyard: { times: [], digests: new Set(), bytes: 0 },
      peer: { times: [], digests: new Set(), bytes: 0 },
    };
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? ['packyard', 'peer'] : ['peer', 'packyard'];
      for (const side of order) {
        const out = join(work, `${side}-${round}.${format.name}`);
        const started = performance.now();
        let sha256;
        if (side === 'packyard') {
          sha256 = (await format.write(out, entries)).sha256;
        } else {
          // tar writes the archive, then sha256sum reads it: the peer's "archive plus its digest".
          await runGnuTar({ mtime: MTIME, flag: format.flag, out, dir: inputDir, env: format.env });
          sha256 = (await run('sha256sum', [out])).split(/\s/)[0];
        }
        sides[side].times.push((performance.now() - started) / 1000);
        const actual = await hashFile(out);
        if (actual.sha256 !== sha256)
          throw new Error(`${side} ${format.name}: reported ${sha256}, file is ${actual.sha256}`);
        sides[side].digests.add(sha256);
        sides[side].bytes = actual.size;
        await rm(out);
      }
    }
    const summary = (side) => ({
      medianSeconds: round3(median(sides[side].times)),
      mbPerSecond: round3(inputBytes / MB / median(sides[side].times)),
      seconds: sides[side].times.map(round3),
      outputMB: round3(sides[side].bytes / MB),
      deterministic: sides[side].digests.size === 1,
    });
    const packyard = summary('packyard');
    const peer = {
      command: `${format.peer} (${Object.entries(format.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
      ...summary('peer'),
    };
    results.push({
      format: format.name,
      level: format.level,
      packyard,
      peer,
      ratio: round3(packyard.medianSeconds / peer.medianSeconds),
    });
  }
  const versions = {
    ...archive.COMPRESSOR_VERSIONS,
    lzmaNativeBinding: lzmaNativeBinding(),
    gnuTar: (await run('tar', ['--version'])).split('\n')[0],
  };
  const report = {
    bench: 'archive/compress',
    inputMB: round3(inputBytes / MB),
    files: entries.length,
    inputSha256,
    rounds,
    results,
    ...versions,
    node: process.version,
    cpus: cpus().length,
  };
  console.log(JSON.stringify(report));
  for (const r of results) {
    console.log(
      `archive/compress ${report.inputMB} MB, ${r.format} level ${r.level}, median of ${rounds}: ` +
        `packyard ${r.packyard.medianSeconds.toFixed(2)} s (${r.packyard.mbPerSecond.toFixed(1)} MB/s, deterministic ${r.packyard.deterministic}), ` +
        `${r.peer.command} ${r.peer.medianSeconds.toFixed(2)} s (${r.peer.mbPerSecond.toFixed(1)} MB/s), ` +
        `ratio packyard/peer ${r.ratio.toFixed(2)} (lower is better)`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
