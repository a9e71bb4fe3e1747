#!/usr/bin/env node
// Benchmark: findArchive on a store of 100,000 dynamic records. A lookup hashes the key and reads one
// record file (plus the blob's record and a stat), so its time must not grow with the store: this
// measures it at 1,000 records and again at --records, and reports the ratio (about 1 = constant).
//
// It runs against the COMPILED library, so compile it first:
//   npx nx run archive-store:compile && node bench/archive/find.bench.mjs [--records 100000] [--lookups 2000]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3, usage } from '../lib/stats.mjs';
import { loadCompiled } from '../lib/load.mjs';

const [archiveStore] = await loadCompiled(['@packyard/archive-store'], 'npx nx run archive-store:compile');
const { ArchiveStore, createArchive, findArchive } = archiveStore;

const USAGE = 'node bench/archive/find.bench.mjs [--records 100000] [--lookups 2000]';
const { values } = parseArgs({
  options: { records: { type: 'string', default: '100000' }, lookups: { type: 'string', default: '2000' } },
});
const records = positiveInteger('records', values.records, USAGE);
const lookups = positiveInteger('lookups', values.lookups, USAGE);
const SMALL = 1_000;
if (records <= SMALL) usage(`--records must be above ${SMALL}`, USAGE);

const NAME = 'bench-go-modules-1.0.tar.xz';
const keyOf = (i) => ({ gosum: `h1:${i.toString(16).padStart(12, '0')}`, n: i });

const storeDir = await mkdtemp(join(tmpdir(), 'packyard-bench-find-'));
try {
  // One real archive; every record points at its blob, as many versions of one bundle would.
  const builder = createArchive(NAME, { storeDir, distfilesDir: false, mtime: 315_532_800 });
  await builder.initialize('bench');
  await writeFile(join(builder.topPath, 'README'), 'HELLO');
  const stored = await builder.store({ key: keyOf(0) });
  const store = new ArchiveStore(storeDir);
  const hashes = { ...stored.digests, size: stored.size };

  let filled = 1;
  async function fillTo(count) {
    const started = performance.now();
    const batch = [];
    for (; filled < count; filled += 1) {
      batch.push(store.writeDynamic({ key: { ...keyOf(filled), final_name: NAME }, hashes, metadata: {} }));
      if (batch.length === 64) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    return (performance.now() - started) / 1000;
  }

  async function measure(count) {
    const times = [];
    // Keys spread over the whole store, and misses (keys never stored) as well as hits.
    for (let i = 0; i < lookups; i += 1) {
      const index = Math.floor(((i * 7919) % count) + (i % 2 === 0 ? 0 : count * 10));
      const started = performance.now();
      const found = await findArchive(NAME, { key: keyOf(index), storeDir });
      times.push((performance.now() - started) * 1000);
      if ((found !== undefined) !== index < count) throw new Error(`lookup ${index} gave the wrong answer`);
    }
    return { records: count, medianMicroseconds: round3(median(times)) };
  }

  await fillTo(SMALL);
  const small = await measure(SMALL);
  const fillSeconds = await fillTo(records);
  const large = await measure(records);
  const report = {
    bench: 'archive/find',
    lookups,
    small,
    large,
    fillSeconds: round3(fillSeconds),
    ratio: round3(large.medianMicroseconds / small.medianMicroseconds),
    node: process.version,
  };
  console.log(JSON.stringify(report));
  console.log(
    `archive/find median of ${lookups} lookups (half hits, half misses): ${small.medianMicroseconds} µs at ` +
      `${SMALL} records, ${large.medianMicroseconds} µs at ${records} records, ratio ${report.ratio.toFixed(2)} (1 = constant)`,
  );
} finally {
  await rm(storeDir, { recursive: true, force: true });
}
