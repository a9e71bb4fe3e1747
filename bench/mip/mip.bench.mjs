// mip-publish benchmarks against a real S3 server (versitygw):
//  1. upload of a set of bundles: packyard's publishObject (bounded concurrency) vs `aws s3 cp --recursive`;
//  2. index assembly from N metadata objects: mip-pipeline's assembleIndex vs a boto3 list + get-one-at-a-time script.
// usage: node bench/mip/mip.bench.mjs [--objects 200] [--total-mb 200] [--metadata 5000] [--rounds 3]
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { createHash, createCipheriv } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createS3Store, mapConcurrent, publishObject } from '../../libs/r2-store/dist/index.js';
import { startS3Server } from '../../tools/s3-server/dist/index.js';
import { assembleIndex } from '../../libs/mip-pipeline/dist/index.js';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';

const USAGE = 'usage: node bench/mip/mip.bench.mjs [--objects N] [--total-mb N] [--metadata N] [--rounds N]';
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const objects = positiveInteger('--objects', args.objects ?? '200', USAGE);
const totalMb = positiveInteger('--total-mb', args['total-mb'] ?? '200', USAGE);
const metadataCount = positiveInteger('--metadata', args.metadata ?? '5000', USAGE);
const rounds = positiveInteger('--rounds', args.rounds ?? '3', USAGE);
const here = dirname(fileURLToPath(import.meta.url));

// The peer tools, pinned, in a virtualenv under packyard's home (made once).
const AWSCLI = '1.45.11';
const BOTO3 = '1.43.11';
const home = process.env.PACKYARD_HOME || join(homedir(), '.cache', 'packyard');
const venv = join(home, 'tools', `bench-awscli-${AWSCLI}-boto3-${BOTO3}`);
if (!existsSync(join(venv, '.ready'))) {
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(
    join(venv, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', `awscli==${AWSCLI}`, `boto3==${BOTO3}`],
    { stdio: 'inherit' },
  );
  await writeFile(join(venv, '.ready'), '');
}

function keystream(seed, bytes) {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(bytes));
}

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-mip-'));
const server = await startS3Server({ dir: join(work, 's3'), bucket: 'bench' });
const env = { ...process.env, ...server.env, AWS_DEFAULT_REGION: 'us-east-1' };
const store = createS3Store({
  bucket: 'bench',
  endpoint: server.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
});
try {
  // Mixed sizes: sizes grow linearly so the largest objects go up as multipart uploads on both sides.
  const files = join(work, 'bundles');
  await mkdir(files);
  const weights = Array.from({ length: objects }, (_, i) => i + 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  for (const [i, w] of weights.entries()) {
    await writeFile(
      join(files, `pkg${String(i).padStart(4, '0')}-1.0-any-none-any.mhl`),
      keystream(i, Math.max(1, Math.floor((w / sum) * totalMb * 1e6))),
    );
  }
  const names = weights.map((_, i) => `pkg${String(i).padStart(4, '0')}-1.0-any-none-any.mhl`);
  const upload = { packyard: [], peer: [] };
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const results = await mapConcurrent(names, 8, (name) =>
      publishObject(store, {
        key: `p${r}/${name}`,
        body: { file: join(files, name) },
        contentType: 'application/zip',
      }),
    );
    if (results.some((x) => x.status === 'rejected')) throw new Error('packyard upload failed');
    upload.packyard.push((performance.now() - t0) / 1000);
    const t1 = performance.now();
    execFileSync(
      join(venv, 'bin', 'aws'),
      ['s3', 'cp', '--recursive', '--quiet', files, `s3://bench/a${r}/`],
      { env, stdio: 'inherit' },
    );
    upload.peer.push((performance.now() - t1) / 1000);
  }

  // Metadata objects, as bundle would write them, each naming a (tiny) bundle under its digest key:
  // the index reads every named bundle's digest back from the store before it writes.
  const meta = Array.from({ length: metadataCount }, (_, i) => {
    const name = `pkg${String(i).padStart(5, '0')}`;
    const bundle = `bundle of ${name}`;
    const sha256 = createHash('sha256').update(bundle).digest('hex');
    const mhlKey = `sha256/${sha256}/${name}-1.0-any-none-any.mhl`;
    return {
      key: `idx/${name}-1.0-any-none-any.mhl.mip.json`,
      bundleKey: `idx/${mhlKey}`,
      bundle,
      body: JSON.stringify(
        {
          name,
          description: 'd',
          version: '1.0',
          build_number: 0,
          timestamp: '2023-11-14T22:13:20Z',
          sha256,
          mhl_sha256: sha256,
          mhl_key: mhlKey,
        },
        null,
        2,
      ),
    };
  });
  const put = await mapConcurrent(meta, 32, async (m) => {
    await store.put({ key: m.bundleKey, body: { bytes: m.bundle }, contentType: 'application/zip' });
    return store.put({ key: m.key, body: { bytes: m.body }, contentType: 'application/json' });
  });
  if (put.some((x) => x.status === 'rejected')) throw new Error('metadata setup failed');
  const index = { packyard: [], peer: [] };
  const quiet = {
    info() {},
    error(line) {
      process.stderr.write(`${line}\n`);
    },
  };
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const res = await assembleIndex({
      store,
      prefix: 'idx/',
      baseUrl: 'https://x.example/idx',
      pagesDir: join(work, `pages${r}`),
      concurrency: 16,
      log: quiet,
    });
    if (res.some((x) => x.status === 'failed')) throw new Error('packyard index failed');
    index.packyard.push((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const count = execFileSync(
      join(venv, 'bin', 'python'),
      [join(here, 'peer_index.py'), 'bench', 'idx/', join(work, `peer${r}.json`)],
      { env },
    )
      .toString()
      .trim();
    if (Number(count) !== metadataCount) throw new Error(`peer indexed ${count}`);
    index.peer.push((performance.now() - t1) / 1000);
  }
  const report = {
    upload: {
      objects,
      totalMb,
      packyardS: round3(median(upload.packyard)),
      awsCliS: round3(median(upload.peer)),
      ratio: round3(median(upload.packyard) / median(upload.peer)),
    },
    index: {
      metadata: metadataCount,
      packyardS: round3(median(index.packyard)),
      boto3S: round3(median(index.peer)),
      ratio: round3(median(index.packyard) / median(index.peer)),
    },
    rounds,
  };
  console.log(JSON.stringify(report));
  console.log(
    `upload ${objects} objects / ${totalMb} MB: packyard ${report.upload.packyardS} s, aws s3 cp ${report.upload.awsCliS} s, ratio ${report.upload.ratio}`,
  );
  console.log(
    `index of ${metadataCount} metadata objects: packyard ${report.index.packyardS} s, boto3 one at a time ${report.index.boto3S} s, ratio ${report.index.ratio}`,
  );
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
