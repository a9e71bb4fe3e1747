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
import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3, usage } from '../lib/stats.mjs';
import { Buffer } from 'node:buffer';

let archive;
try {
  archive = await import('@packyard/archive');
} catch (error) {
  console.error(`cannot load @packyard/archive (${error.message}); run \`npx nx run archive:compile\` first`);
  process.exit(2);
}
const { writeTarGz } = archive;

const MB = 1_000_000;
const FILE_COUNT = 40;
const SEED = 'packyard-bench-archive-v1';
const MTIME = 315_532_800;
const WORDS = (
  'archive build cache digest entry file gzip hash index layout manifest mode name owner package ' +
  'python release sha256 sort source stream tar target time version wheel write zero deterministic ' +
  'reproducible header content bytes pipeline compress level epoch'
).split(' ');

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
      `tar --sort=name --mtime=@${MTIME} --owner=0 --group=0 --numeric-owner -cf - -C "$1" . ` +
      `| gzip -n -${level} | tee "$2" | sha256sum`;
    const started = performance.now();
    const stdout = await run('bash', ['-c', script, 'bench', inputDir, out]);
    peerTimes.push((performance.now() - started) / 1000);
    const sha256 = stdout.split(/\s/)[0];
    await expectDigest('peer', out, sha256);
    peerDigests.add(sha256);
    peerBytes = (await hashStream(out)).size;
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

/**
 * Writes FILE_COUNT files totalling `total` bytes: even-numbered files are AES-256-CTR keystream
 * (incompressible; key and IV are sha256 of the seed and the file index), odd-numbered files are
 * lines of words picked by that keystream (compresses about 5x). Returns the input's sha256.
 */
async function writeInput(dir, total) {
  const hash = createHash('sha256');
  // Sizes vary (1x to 3x of the smallest) so the archive holds both small and large members.
  const weights = Array.from({ length: FILE_COUNT }, (_, index) => 1 + (index % 5) * 0.5);
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  let written = 0;
  for (let index = 0; index < FILE_COUNT; index += 1) {
    const size =
      index === FILE_COUNT - 1 ? total - written : Math.floor((total * (weights[index] ?? 1)) / weightSum);
    const stream = keystream(index);
    const bytes = index % 2 === 0 ? stream(size) : textFrom(stream, size);
    const name = join(
      dir,
      `group-${index % 4}`,
      `${index % 2 === 0 ? 'blob' : 'text'}-${String(index).padStart(2, '0')}`,
    );
    await mkdir(join(dir, `group-${index % 4}`), { recursive: true });
    await writeFile(name, bytes, { mode: 0o644 });
    hash.update(bytes);
    written += size;
  }
  return { bytes: written, sha256: hash.digest('hex') };
}

function keystream(index) {
  const key = createHash('sha256').update(`${SEED}/key/${index}`).digest();
  const iv = createHash('sha256').update(`${SEED}/iv/${index}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return (length) => cipher.update(Buffer.alloc(length));
}

function textFrom(stream, size) {
  const random = stream(size); // one random byte per output byte is plenty
  const out = Buffer.alloc(size);
  let at = 0;
  let pick = 0;
  while (at < size) {
    const word = WORDS[(random[pick] ?? 0) % WORDS.length] ?? 'x';
    const end = (random[pick + 1] ?? 0) % 12 === 0 ? '\n' : ' ';
    pick = (pick + 2) % size;
    at += out.write(word + end, at);
  }
  return out;
}

async function listEntries(dir) {
  const entries = [];
  for (const dirent of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!dirent.isFile()) continue;
    const path = join(dirent.parentPath ?? dirent.path, dirent.name);
    entries.push({ name: relative(dir, path).split(sep).join('/'), source: { path } });
  }
  return entries;
}

async function expectDigest(who, path, sha256) {
  const actual = await hashStream(path);
  if (actual.sha256 !== sha256)
    throw new Error(`${who}: reported sha256 ${sha256} but the file hashes to ${actual.sha256}`);
}

async function hashStream(path) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}`)),
    );
  });
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
