import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileDigests } from '@packyard/test-helpers';
import { checkZipFile } from '@packyard/wheel-index';
import {
  STAGES,
  createMipContext,
  exitCodeForResults,
  runMipPipeline,
  type Context,
} from '@packyard/mip-pipeline';

/** A workspace with two mip.yaml packages (no compile.m: no MATLAB or Octave needed). */
async function aWorkspace(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'packyard-mip-pipeline-'));
  const files: Record<string, string> = {
    'alpha/mip.yaml': 'name: alpha\ndescription: first\nversion: "1.0"\nsource:\n  folder: src\n',
    'alpha/src/alpha.m': 'function alpha()\nend\n',
    'beta/mip.yaml': 'name: beta\ndescription: second\nversion: "2.1"\nsource:\n  folder: src\n',
    'beta/src/+beta/util.m': 'function util()\nend\n',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, 'mip-packages', path)), { recursive: true });
    await writeFile(join(root, 'mip-packages', path), text);
  }
  return root;
}

async function aContext(root: string): Promise<{ context: Context; lines: string[] }> {
  const lines: string[] = [];
  const context = await createMipContext({
    root,
    env: { PATH: process.env['PATH'], SOURCE_DATE_EPOCH: '1700000000' },
    log: { info: (m) => lines.push(m), error: (m) => lines.push(`E ${m}`) },
  });
  return { context, lines };
}

describe('the mip pipeline as a library, against a local directory store', () => {
  it('prepares, bundles, uploads and indexes; a second run publishes nothing new', async () => {
    const root = await aWorkspace();
    const { context } = await aContext(root);
    expect(context.baseUrl).toBe(`file://${join(root, 'build', 'mip-store', 'core', 'packages')}/`);
    const report = await runMipPipeline(context, { stages: STAGES });
    expect(report.stages.map((s) => [s.stage, s.results.map((r) => r.status)])).toEqual([
      ['prepare', ['done', 'done']],
      ['compile', []],
      ['bundle', ['done', 'done']],
      ['upload', ['done', 'done']],
      ['index', ['done']],
    ]);
    expect(exitCodeForResults(report.results)).toBe(0);
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index).toMatchObject({ total_packages: 2, last_updated: '2023-11-14T22:13:20Z' });
    expect(
      index.packages.map((p: { name: string; exposed_symbols: string[] }) => [p.name, p.exposed_symbols]),
    ).toEqual([
      ['alpha', ['alpha']],
      ['beta', ['beta']],
    ]);

    const again = await runMipPipeline((await aContext(root)).context, { stages: STAGES });
    expect(again.stages.find((s) => s.stage === 'prepare')!.results.map((r) => r.status)).toEqual([
      'skipped',
      'skipped',
    ]);
    // The bundles from the first run are still beside it: found identical in the store, none uploaded.
    expect(again.stages.find((s) => s.stage === 'upload')!.results.map((r) => r.detail)).toEqual([
      'skipped .mhl, skipped .mhl.mip.json',
      'skipped .mhl, skipped .mhl.mip.json',
    ]);
  });

  it('writes byte-identical bundles in two workspaces, by the zip rules PyPI checks', async () => {
    const [one, two] = [await aWorkspace(), await aWorkspace()];
    for (const root of [one, two]) {
      await runMipPipeline((await aContext(root)).context, { stages: ['prepare', 'bundle'] });
    }
    const bundles = await fileDigests(join(one, 'build', 'bundled'));
    expect(Object.keys(bundles).filter((f) => f.endsWith('.mhl'))).toEqual([
      'alpha-1.0-any-none-any.mhl',
      'beta-2.1-any-none-any.mhl',
    ]);
    // PyPI's zip rules: no data descriptors, the central directory equal to the local headers.
    for (const mhl of Object.keys(bundles).filter((f) => f.endsWith('.mhl'))) {
      expect([mhl, await checkZipFile(join(one, 'build', 'bundled', mhl))]).toEqual([mhl, []]);
    }
    const mhls = (digests: Record<string, string>) =>
      Object.entries(digests).filter(([f]) => f.endsWith('.mhl'));
    expect(mhls(await fileDigests(join(two, 'build', 'bundled')))).toEqual(mhls(bundles));
  });

  it('reports a dry run skipping compile and index, and writes nothing', async () => {
    const root = await aWorkspace();
    const { context, lines } = await aContext(root);
    const report = await runMipPipeline(context, { stages: STAGES, dryRun: true });
    expect(report.stages.map((s) => [s.stage, s.skipped])).toEqual([
      ['prepare', undefined],
      ['compile', 'a dry run compiles nothing'],
      ['bundle', undefined],
      ['upload', undefined],
      ['index', 'a dry run writes no index'],
    ]);
    expect(report.results.map((r) => r.detail)).toEqual([
      `would build ${join(root, 'build', 'prepared', 'alpha-1.0-any-none-any.dir')}`,
      `would build ${join(root, 'build', 'prepared', 'beta-2.1-any-none-any.dir')}`,
    ]);
    expect(lines).toContain('[1/2] alpha-1.0-any-none-any');
    expect(await readdir(root)).toEqual(['mip-packages']);
  });

  it('stops at a step that cannot run at all, naming the step, with the original error as its cause', async () => {
    const root = await mkdtemp(join(tmpdir(), 'packyard-mip-pipeline-'));
    const { context } = await aContext(root);
    const run = runMipPipeline(context, { stages: STAGES });
    await expect(run).rejects.toMatchObject({
      step: 'prepare',
      code: 'CONFIG_MISSING',
      file: join(root, 'mip-packages'),
      cause: expect.objectContaining({ code: 'CONFIG_MISSING' }),
    });
  });

  it('refuses a remote store without credentials before any work', async () => {
    const root = await aWorkspace();
    await expect(
      createMipContext({
        root,
        store: 's3://bucket',
        baseUrl: 'https://example.invalid/',
        env: {},
        log: { info: () => undefined, error: () => undefined },
      }),
    ).rejects.toMatchObject({ code: 'AUTH_MISSING' });
    expect(await readdir(root)).toEqual(['mip-packages']);
  });
});
