/**
 * ruff ships its binary as a wheel script (`ruff-<version>.data/scripts/ruff`), not as a console
 * script; uv, maturin and many Rust and Go tools on PyPI do the same. One version, this host only:
 * the wrapper runs it, the PEX's contents list it as a wheel script, and a binary the package really
 * lacks is refused with both lists.
 */
import { join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { execa } from 'execa';
import {
  buildPexBundle,
  formatPlatform,
  hostPlatform,
  lockRequirements,
  provisionTools,
  readPexContents,
  type PexBuildInput,
  type Tools,
} from '../src/index.js';
import { INDEX_URL, makeTempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const RUFF = '0.14.0';
const host = hostPlatform();

let tools: Tools;
let requirementsTxt: string;
let runEnv: Record<string, string>;

function anInput(outDir: string, overrides: Partial<PexBuildInput> = {}): PexBuildInput {
  return {
    package: 'ruff',
    version: RUFF,
    binaries: ['ruff'],
    requirementsTxt,
    pythonVersion: '3.11',
    indexUrl: INDEX_URL,
    platform: host,
    outDir,
    ...overrides,
  };
}

beforeAll(async () => {
  tools = await provisionTools();
  ({ requirementsTxt } = await lockRequirements(tools, {
    dir: await makeTempDir('ruff-lock'),
    package: 'ruff',
    version: RUFF,
    pythonVersion: '3.11',
    indexUrl: INDEX_URL,
  }));
  runEnv = { PEX_ROOT: await makeTempDir('ruff-pex-root') };
});

describe('a wheel-script binary (ruff)', () => {
  let bundle: Awaited<ReturnType<typeof buildPexBundle>>;

  beforeAll(async () => {
    bundle = await buildPexBundle(tools, anInput(await makeTempDir('ruff-out')));
  });

  it('is run by its wrapper from the PEX', async () => {
    const ran = await execa(join(bundle.pex, '..', 'ruff'), ['--version'], {
      env: runEnv,
      reject: false,
    });
    expect({ code: ran.exitCode, stdout: ran.stdout }).toEqual({ code: 0, stdout: `ruff ${RUFF}` });
  });

  it('is archived as the PEX and one wrapper', async () => {
    const { stdout } = await execa('tar', ['-tzf', bundle.tarball]);
    expect(stdout.split('\n').sort()).toEqual(['ruff', `ruff-${formatPlatform(host)}.pex`]);
  });

  it('is listed as a wheel script, not a console script, in the PEX contents', async () => {
    const contents = await readPexContents(tools, bundle.pex);
    expect(contents.wheelScripts).toEqual(['ruff']);
    expect(contents.scripts).toEqual([]);
    expect(contents.distributions).toEqual([expect.stringMatching(new RegExp(`^ruff-${RUFF}-.*\\.whl$`))]);
  });

  it('passes the contents check of a build from the platform description too', async () => {
    const described = await buildPexBundle(
      tools,
      anInput(await makeTempDir('ruff-described'), { completePlatform: true }),
    );
    expect(described.wrappers.map((w) => w.split('/').at(-1))).toEqual(['ruff']);
  });

  it('refuses a binary the package lacks, listing its console scripts and wheel scripts', async () => {
    const error = await buildPexBundle(
      tools,
      anInput(await makeTempDir('ruff-missing'), { binaries: ['ruff', 'ruff-lsp'] }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({
      message: 'the PEX has no script named "ruff-lsp"',
      field: 'binaries',
      value: ['ruff-lsp'],
      hint: 'console scripts in the PEX: none; wheel scripts: ruff',
    });
  });
});
