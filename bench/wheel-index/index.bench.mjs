#!/usr/bin/env node
// Benchmark: building a static Python package index from a dumb-pypi JSON-lines package list, with
// packyard (`pkg-index build --package-list`, a fresh Node process each time) and with dumb-pypi
// (from PyPI, pinned, installed into a virtualenv and run as its own console script) in the same
// run, at two sizes: a small index of 50 files (5 projects × 5 versions × wheel + sdist), where
// start-up dominates, and 100,000 files (2,000 projects × 25 versions × wheel + sdist); then
// adding one file to the large one.
//
// It runs against the COMPILED code, so compile it first:
//   npx nx run-many -t compile -p wheel-index python-tools pkg-index && node bench/wheel-index/index.bench.mjs [--rounds 3]
//
// The package list is generated from a fixed seed, so every run and every machine reads the same
// list; its sha256 is printed as `inputSha256`. Prints one JSON line, then lines for people.
// Ratios are packyard / dumb-pypi: lower is better.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';
import { loadCompiled } from '../lib/load.mjs';

const [wheelIndex, pythonTools] = await loadCompiled(
  ['@packyard/wheel-index', '@packyard/python-tools'],
  'npx nx run-many -t compile -p wheel-index python-tools',
);
const { addFilesToIndex, writeIndexFromPackageList } = wheelIndex;
const { provisionTools, toolCacheEnv } = pythonTools;

const DUMB_PYPI = 'dumb-pypi==1.15.0';
const PKG_INDEX = fileURLToPath(new URL('../../apps/pkg-index/dist/main.js', import.meta.url));
const SEED = 'packyard-bench-wheel-index-v1';
const PACKAGES_URL = 'https://packages.example.invalid/pool/';
const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike'.split(' ');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'small-rounds': { type: 'string', default: '15' },
    projects: { type: 'string', default: '2000' },
    versions: { type: 'string', default: '25' },
    'dumb-pypi-per-release-json': { type: 'boolean', default: false },
  },
});
const USAGE =
  'node bench/wheel-index/index.bench.mjs [--rounds 3] [--small-rounds 15] [--projects 2000] [--versions 25] [--dumb-pypi-per-release-json]';
const rounds = positiveInteger('rounds', values.rounds, USAGE);
const smallRounds = positiveInteger('small-rounds', values['small-rounds'], USAGE);
const projectCount = positiveInteger('projects', values.projects, USAGE);
const versionCount = positiveInteger('versions', values.versions, USAGE);
// dumb-pypi also writes /pypi/<project>/<version>/json for every release unless told not to;
// packyard writes no such files, so by default the peer is spared them (the harder comparison).
const dumbPypiExtra = values['dumb-pypi-per-release-json'] ? [] : ['--no-per-release-json'];

const work = await mkdtemp(join(tmpdir(), 'packyard-bench-wheel-index-'));
const cleanUp = () => rm(work, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  const tools = await provisionTools({ log: (line) => console.error(line) });
  const uvEnv = { ...process.env, ...toolCacheEnv(tools), UV_NO_CONFIG: '1' };
  const python = (await run('python3', ['-c', 'import sys; print(sys.executable)'])).trim();
  // dumb-pypi in its own virtualenv, run as its console script: what its users run, with no
  // launcher (uv tool run) in front of it. Installing is not timed.
  const venv = join(work, 'dumb-pypi-venv');
  await run(tools.uv, ['venv', '--quiet', '--python', python, venv], uvEnv);
  await run(
    tools.uv,
    ['pip', 'install', '--quiet', '--python', join(venv, 'bin', 'python'), DUMB_PYPI],
    uvEnv,
  );
  const dumbPypi = async (args) => run(join(venv, 'bin', 'dumb-pypi'), args);
  const pkgIndex = async (args) => run(process.execPath, [PKG_INDEX, ...args]);
  const packyardBuild = (listPath, outDir, extra = []) =>
    pkgIndex([
      'build',
      '--package-list',
      listPath,
      '--packages-url',
      PACKAGES_URL,
      '--out',
      outDir,
      ...extra,
    ]);
  await dumbPypi(['--help']);
  await pkgIndex(['--help']);

  // The small index: each round builds it from scratch with both tools.
  const smallList = join(work, 'small.jsonl');
  const small = await writePackageList(smallList, 5, 5);
  const smallTimes = { packyard: [], dumb: [] };
  for (let round = 0; round < smallRounds; round += 1) {
    const out = { packyard: join(work, `small-packyard-${round}`), dumb: join(work, `small-dumb-${round}`) };
    const sides = [
      async () =>
        smallTimes.packyard.push(await timed(() => packyardBuild(smallList, out.packyard, ['--full']))),
      async () => smallTimes.dumb.push(await timed(() => dumbPypi(dumbArgs(smallList, out.dumb)))),
    ];
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side();
    if (round === 0) await compareOutputs(out.packyard, out.dumb, 5);
    await rm(out.packyard, { recursive: true, force: true });
    await rm(out.dumb, { recursive: true, force: true });
  }
  const smallMedian = { packyard: median(smallTimes.packyard), dumb: median(smallTimes.dumb) };

  const list = join(work, 'packages.jsonl');
  const { lines, sha256: inputSha256 } = await writePackageList(list, projectCount, versionCount);

  const times = {
    packyardFull: [],
    dumbFull: [],
    packyardListAdd: [],
    packyardAddFile: [],
    dumbAddRebuild: [],
    dumbAddPartial: [],
  };
  for (let round = 0; round < rounds; round += 1) {
    const out = { packyard: join(work, `packyard-${round}`), dumb: join(work, `dumb-${round}`) };
    const sides = [
      async () => {
        times.packyardFull.push(await timed(() => packyardBuild(list, out.packyard)));
      },
      async () => {
        times.dumbFull.push(await timed(() => dumbPypi(dumbArgs(list, out.dumb))));
      },
    ];
    // Alternate which side goes first, so neither always inherits the other's warm caches.
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side();
    if (round === 0) await compareOutputs(out.packyard, out.dumb, projectCount);

    // Adding one file: a new release of an existing project, as one more list line…
    const added = join(work, `packages-${round}.jsonl`);
    await copyFile(list, added);
    const extra = fileLine(
      `Bench_Project_${String(round % projectCount).padStart(4, '0')}`,
      `99.${round}`,
      'whl',
    );
    await appendFile(added, `${JSON.stringify(extra)}\n`);
    // …kept by packyard's incremental package-list update,
    const dirCopy = join(work, `packyard-dir-${round}`);
    await cp(out.packyard, dirCopy, { recursive: true });
    times.packyardListAdd.push(
      await timed(async () => {
        const result = await writeIndexFromPackageList(added, out.packyard, { packagesUrl: PACKAGES_URL });
        if (result.full || result.written.length !== 1)
          throw new Error(`expected one project rewritten, got ${JSON.stringify(result.written)}`);
      }),
    );
    // …as a real wheel given to addFilesToIndex (the push path: read, hash, check, copy, pages),
    const wheel = await writeWheel(
      join(work, `wheel-${round}`),
      `Bench_Project_${String(round % projectCount).padStart(4, '0')}`,
      `98.${round}`,
    );
    times.packyardAddFile.push(
      await timed(async () => {
        const result = await addFilesToIndex(dirCopy, [wheel]);
        if (result.added.length !== 1)
          throw new Error(`expected one file added, got ${JSON.stringify(result)}`);
      }),
    );
    // …and by dumb-pypi, which rebuilds from the whole list, or with --previous-package-list-json
    // rewrites only the changed project's pages but still reads and sorts the whole list and
    // rewrites its root, changelog and packages.json.
    times.dumbAddRebuild.push(await timed(() => dumbPypi(dumbArgs(added, out.dumb))));
    await dumbPypi(dumbArgs(list, out.dumb));
    times.dumbAddPartial.push(
      await timed(() => dumbPypi([...dumbArgs(added, out.dumb), '--previous-package-list-json', list])),
    );
    await rm(out.packyard, { recursive: true, force: true });
    await rm(out.dumb, { recursive: true, force: true });
    await rm(dirCopy, { recursive: true, force: true });
  }

  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round3(median(v))]));
  const report = {
    bench: 'wheel-index/package-list',
    small: {
      files: small.lines,
      projects: 5,
      inputSha256: small.sha256,
      rounds: smallRounds,
      packyardSeconds: round3(smallMedian.packyard),
      dumbPypiSeconds: round3(smallMedian.dumb),
      ratio: round3(smallMedian.packyard / smallMedian.dumb),
      seconds: { packyard: smallTimes.packyard.map(round3), dumbPypi: smallTimes.dumb.map(round3) },
    },
    files: lines,
    projects: projectCount,
    versionsPerProject: versionCount,
    inputSha256,
    rounds,
    packyard: {
      fullBuildSeconds: m.packyardFull,
      addOneFileByListSeconds: m.packyardListAdd,
      addOneFileByAddFilesToIndexSeconds: m.packyardAddFile,
      seconds: mapRounded(times, ['packyardFull', 'packyardListAdd', 'packyardAddFile']),
    },
    peer: {
      command: `dumb-pypi (${DUMB_PYPI}, from its virtualenv) --package-list-json … ${['--no-generate-timestamp', ...dumbPypiExtra].join(' ')}`,
      fullBuildSeconds: m.dumbFull,
      addOneFileRebuildSeconds: m.dumbAddRebuild,
      addOneFilePartialSeconds: m.dumbAddPartial,
      seconds: mapRounded(times, ['dumbFull', 'dumbAddRebuild', 'dumbAddPartial']),
    },
    ratios: {
      fullBuild: round3(m.packyardFull / m.dumbFull),
      addOneFileVsRebuild: round3(m.packyardListAdd / m.dumbAddRebuild),
      addOneFileVsPartial: round3(m.packyardListAdd / m.dumbAddPartial),
    },
    node: process.version,
    cpus: cpus().length,
  };
  console.log(JSON.stringify(report));
  console.log(
    `wheel-index ${small.lines} files in 5 projects, median of ${smallRounds}: full build packyard ${smallMedian.packyard.toFixed(3)} s, ` +
      `dumb-pypi ${smallMedian.dumb.toFixed(3)} s, ratio ${report.small.ratio.toFixed(2)} (lower is better)`,
  );
  console.log(
    `wheel-index ${lines} files in ${projectCount} projects, median of ${rounds}: full build packyard ${m.packyardFull.toFixed(2)} s, ` +
      `dumb-pypi ${m.dumbFull.toFixed(2)} s, ratio ${report.ratios.fullBuild.toFixed(2)} (lower is better)`,
  );
  console.log(
    `add one file: packyard ${m.packyardListAdd.toFixed(3)} s (package list) / ${m.packyardAddFile.toFixed(3)} s (addFilesToIndex), ` +
      `dumb-pypi ${m.dumbAddRebuild.toFixed(2)} s (rebuild) / ${m.dumbAddPartial.toFixed(2)} s (--previous-package-list-json); ` +
      `ratios ${report.ratios.addOneFileVsRebuild.toFixed(3)} / ${report.ratios.addOneFileVsPartial.toFixed(3)}`,
  );
} finally {
  await cleanUp();
}

function dumbArgs(listPath, outDir) {
  return [
    '--package-list-json',
    listPath,
    '--packages-url',
    PACKAGES_URL,
    '--output-dir',
    outDir,
    '--no-generate-timestamp',
    ...dumbPypiExtra,
  ];
}

/**
 * Writes the package list: project i has `versionCount` releases drawn from a sha256 keystream of
 * the seed (major.minor.patch, some pre-, post- and dev-releases), each as a wheel and an sdist,
 * with dumb-pypi's fields only (hash, requires_python, core_metadata for wheels, upload_timestamp,
 * uploaded_by, and a yanked_reason on about 1 file in 50), so both tools read the same input.
 */
async function writePackageList(path, projects, versions) {
  const out = [];
  for (let p = 0; p < projects; p += 1) {
    const name = `Bench_Project_${String(p).padStart(4, '0')}`;
    const seen = new Set();
    for (let v = 0; seen.size < versions; v += 1) {
      const r = bytesOf(`${name}/${v}`);
      let version = `${r[0] % 5}.${r[1] % 30}.${r[2] % 20}`;
      if (r[3] % 7 === 0) version += `rc${r[4] % 3}`;
      else if (r[3] % 11 === 0) version += `.post${r[4] % 4}`;
      else if (r[3] % 13 === 0) version += `.dev${r[4] % 5}`;
      if (seen.has(version)) continue;
      seen.add(version);
      out.push(fileLine(name, version, 'whl'), fileLine(name, version, 'tar.gz'));
    }
  }
  const text = `${out.map((line) => JSON.stringify(line)).join('\n')}\n`;
  await writeFile(path, text);
  return { lines: out.length, sha256: createHash('sha256').update(text).digest('hex') };
}

function fileLine(name, version, kind) {
  const filename =
    kind === 'whl' ? `${name}-${version}-py3-none-any.whl` : `${name.toLowerCase()}-${version}.tar.gz`;
  const r = bytesOf(filename);
  const line = {
    filename,
    hash: `sha256=${hex(`hash/${filename}`)}`,
    requires_python: ['>=3.8', '>=3.9', '>=3.10,<4', '>=3.7'][r[0] % 4],
    upload_timestamp: 1_600_000_000 + ((r[1] << 16) | (r[2] << 8) | r[3]) * 7,
    uploaded_by: WORDS[r[4] % WORDS.length],
  };
  if (kind === 'whl') line.core_metadata = `sha256=${hex(`metadata/${filename}`)}`;
  if (r[5] % 50 === 0) line.yanked_reason = `broken build ${r[6]}`;
  return line;
}

function bytesOf(text) {
  return createHash('sha256').update(`${SEED}/${text}`).digest();
}

function hex(text) {
  return bytesOf(text).toString('hex');
}

// A small, real wheel for addFilesToIndex, made with Python's zipfile outside the timing.
async function writeWheel(dir, name, version) {
  const script = `
import base64, hashlib, os, sys, zipfile
d, name, version = sys.argv[1:4]
os.makedirs(d, exist_ok=True)
path = os.path.join(d, f"{name}-{version}-py3-none-any.whl")
info = f"{name}-{version}.dist-info"
files = {
    f"{name.lower()}/__init__.py": b"",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\nRequires-Python: >=3.8\\n".encode(),
    f"{info}/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
rows = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},{len(b)}" for n, b in files.items()]
files[f"{info}/RECORD"] = ("\\n".join(rows + [f"{info}/RECORD,,"]) + "\\n").encode()
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for n, b in files.items():
        z.writestr(n, b)
print(path)
`;
  return (await run('python3', ['-c', script, dir, name, version])).trim();
}

/** Both indexes list the same projects, and every project page the same links (href with hash). */
async function compareOutputs(ours, theirs, projects) {
  const names = async (dir) =>
    (await readdir(join(dir, 'simple'), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  const a = await names(ours);
  const b = await names(theirs);
  if (a.length !== projects || JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error(`the indexes list different projects (${a.length} vs ${b.length})`);
  }
  const hrefs = (html) => [...html.matchAll(/href="([^"]+)"/g)].map((match) => match[1]).sort();
  for (const name of a) {
    const mine = hrefs(await readFile(join(ours, 'simple', name, 'index.html'), 'utf8'));
    const dumb = hrefs(await readFile(join(theirs, 'simple', name, 'index.html'), 'utf8'));
    if (JSON.stringify(mine) !== JSON.stringify(dumb))
      throw new Error(`the pages of ${name} link different files`);
  }
}

async function timed(work) {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function run(command, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

function mapRounded(times, keys) {
  return Object.fromEntries(keys.map((k) => [k, times[k].map(round3)]));
}
