// wheel-release-lib's `fixtures` target (`npx nx run wheel-release-lib:fixtures`, run by tsx): builds
// once, outside any jest hook, what the tests read from dist/fixtures/wheel-release-lib/:
//   example/  the example release (examples/wheel-release): 4 platform wheels (maturin --zig) + the sdist
//   pypi/     real wheels from PyPI, pinned by file name and sha256 in fixtures/pypi-wheels.json
//   broken/   the broken-wheel corpus derived from those by fixtures/make_broken.py (corpus.json lists it)
// Everything is built in a sibling directory and renamed into place, manifest.json written last, so
// a killed build leaves no half set. Tests find the parts through fixture-paths.ts.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildSdist, buildWheels } from '../src/index.js';
import { FIXTURE_SHA, FIXTURES_DIR } from './fixture-paths.js';

const HERE = join(import.meta.dirname, 'fixtures');
const EXAMPLE = join(import.meta.dirname, '../../../examples/wheel-release');
const PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'];
const say = (line: string): void => void process.stdout.write(`${line}\n`);

interface Pin {
  filename: string;
  sha256: string;
  url: string;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function downloadPinned(dir: string, previous: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const pins = JSON.parse(await readFile(join(HERE, 'pypi-wheels.json'), 'utf8')) as Pin[];
  for (const pin of pins) {
    // A wheel already downloaded by an earlier build is reused when its digest still matches.
    const kept = await readFile(join(previous, pin.filename)).catch(() => undefined);
    let bytes = kept !== undefined && sha256(kept) === pin.sha256 ? kept : undefined;
    for (let attempt = 1; bytes === undefined; attempt++) {
      try {
        const response = await fetch(pin.url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        if (attempt === 3) throw new Error(`cannot download ${pin.url}: ${(error as Error).message}`);
      }
    }
    if (sha256(bytes) !== pin.sha256)
      throw new Error(
        `${pin.filename}: sha256 ${sha256(bytes)}, but fixtures/pypi-wheels.json pins ${pin.sha256}`,
      );
    await writeFile(join(dir, pin.filename), bytes);
  }
  return pins.length;
}

async function buildExample(dir: string, cargoTargetDir: string): Promise<void> {
  await buildWheels({
    crateDir: join(EXAMPLE, 'yd-core'),
    platforms: PLATFORMS,
    outDir: dir,
    gitSha: FIXTURE_SHA,
    cargoTargetDir,
    log: say,
  });
  await buildSdist({
    projectDir: join(EXAMPLE, 'ydemo'),
    outDir: dir,
    gitSha: FIXTURE_SHA,
    buildInfoFile: 'src/ydemo/_build_info.py',
  });
}

const work = `${FIXTURES_DIR}.part`;
await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
const pinned = await downloadPinned(join(work, 'pypi'), join(FIXTURES_DIR, 'pypi'));
say(`pypi: ${pinned} pinned wheels`);
await buildExample(join(work, 'example'), join(`${FIXTURES_DIR}.cargo-target`));
say('example: 4 platform wheels + the sdist');
await execa(
  'python3',
  [join(HERE, 'make_broken.py'), join(work, 'example'), join(work, 'pypi'), join(work, 'broken')],
  {
    stdio: 'inherit',
  },
);
const corpus = JSON.parse(await readFile(join(work, 'broken/corpus.json'), 'utf8')) as unknown[];
say(`broken: ${corpus.length} broken wheels`);
await writeFile(
  join(work, 'manifest.json'),
  `${JSON.stringify({ example: 'example', pypi: 'pypi', broken: 'broken', gitSha: FIXTURE_SHA }, null, 2)}\n`,
);
await rm(FIXTURES_DIR, { recursive: true, force: true });
await rename(work, FIXTURES_DIR);
await rm(`${FIXTURES_DIR}.cargo-target`, { recursive: true, force: true });
say(`fixtures in ${FIXTURES_DIR}`);
