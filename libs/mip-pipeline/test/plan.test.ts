import { PackyardError } from '@packyard/core';
import {
  STAGES,
  parseMipYaml,
  planBundle,
  planMetadataUpload,
  planPrepare,
  planRun,
  renderPublishedMetadata,
  type MipJson,
  type PublishedMetadata,
} from '@packyard/mip-pipeline';

const { metadata } = parseMipYaml(
  'name: pkg\ndescription: d\nversion: "1.0"\nsource:\n  folder: src\n',
  '/p/mip.yaml',
  '/p',
);
const wanted: Omit<MipJson, 'timestamp' | 'exposed_symbols'> = { ...metadata, source_hash: 'a'.repeat(64) };

describe('planRun', () => {
  it('runs the asked steps in pipeline order, whatever order they were asked in', () => {
    const plan = planRun({ stages: ['index', 'prepare', 'upload'] });
    expect(plan.stages).toEqual([{ stage: 'prepare' }, { stage: 'upload' }, { stage: 'index' }]);
  });

  it('skips compile and index in a dry run, with the reason', () => {
    const plan = planRun({ stages: STAGES, dryRun: true });
    expect(plan.stages).toEqual([
      { stage: 'prepare' },
      { stage: 'compile', skip: 'a dry run compiles nothing' },
      { stage: 'bundle' },
      { stage: 'upload' },
      { stage: 'index', skip: 'a dry run writes no index' },
    ]);
  });
});

describe('planPrepare', () => {
  const key = 'core/packages/pkg-1.0-any-none-any.mhl.mip.json';
  const published = (extra: Record<string, unknown> = {}) => JSON.stringify({ ...wanted, ...extra });

  it('builds a package the store does not hold, and any package when forced', () => {
    expect(planPrepare({ key, published: undefined, wanted })).toEqual({
      action: 'build',
      reason: 'not in the store',
    });
    expect(planPrepare({ key, published: published(), wanted, force: true })).toEqual({
      action: 'build',
      reason: 'forced',
    });
  });

  it('skips a package whose published metadata matches, defaults and durations included', () => {
    const { usage_examples: _u, ...withoutDefaults } = wanted;
    const text = JSON.stringify({ ...withoutDefaults, prepare_duration: 3.2, exposed_symbols: ['x'] });
    expect(planPrepare({ key, published: text, wanted }).action).toBe('skip');
  });

  it('rebuilds a package whose published metadata differs, naming the field', () => {
    expect(planPrepare({ key, published: published({ source_hash: 'b'.repeat(64) }), wanted })).toEqual({
      action: 'build',
      reason: 'published metadata differs in source_hash; rebuilding',
    });
  });

  it('refuses published metadata that is not JSON, naming its key', () => {
    expect(() => planPrepare({ key, published: '{ not json', wanted })).toThrow(
      expect.objectContaining({ code: 'STORE_FAILED', value: key }),
    );
  });
});

describe('planBundle', () => {
  const input = {
    mhl: 'pkg-1.0-any-none-any',
    named: 'pkg-1.0-any-none-any',
    dir: '/p/pkg-1.0-any-none-any.dir',
    record: { prepare_duration: 1, compile_duration: 0, compile_status: 'none' as const },
    hasCompileScript: false,
    compileLog: '/p/pkg-1.0-any-none-any.compile.log',
  };

  it('bundles a package with no compile.m, or one whose compile.m ran', () => {
    expect(() => planBundle(input)).not.toThrow();
    expect(() =>
      planBundle({
        ...input,
        hasCompileScript: true,
        record: { ...input.record, compile_status: 'compiled' },
      }),
    ).not.toThrow();
  });

  it.each([
    [
      { named: 'other-1.0-any-none-any' },
      'CONFIG_INVALID',
      'mip.json names other-1.0-any-none-any, not pkg-1.0-any-none-any',
    ],
    [
      { record: { ...input.record, compile_status: 'failed' as const } },
      'BUILD_FAILED',
      'its compile.m failed; it is not bundled',
    ],
    [{ hasCompileScript: true }, 'BUILD_FAILED', 'it has a compile.m that has not been run'],
  ])('refuses %j', (change, code, message) => {
    let error: unknown;
    try {
      planBundle({ ...input, ...change });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PackyardError);
    expect(error).toMatchObject({ code, message });
  });
});

describe('planMetadataUpload', () => {
  const meta = (extra: Partial<PublishedMetadata> = {}) =>
    renderPublishedMetadata({
      ...wanted,
      exposed_symbols: [],
      timestamp: '2023-11-14T22:13:20Z',
      prepare_duration: 1,
      compile_duration: 0,
      sha256: 'c'.repeat(64),
      size: 10,
      mhl_sha256: 'c'.repeat(64),
      mhl_key: `sha256/${'c'.repeat(64)}/pkg-1.0-any-none-any.mhl`,
      ...extra,
    });

  it('writes missing metadata and skips metadata that differs only in the measured durations', () => {
    expect(planMetadataUpload(undefined, meta(), false)).toBe('write');
    expect(planMetadataUpload(meta({ prepare_duration: 9, compile_duration: 4 }), meta(), false)).toBe(
      'skip',
    );
  });

  it('refuses other content unless asked to replace it', () => {
    expect(planMetadataUpload(meta({ size: 11 }), meta(), false)).toBe('refuse');
    expect(planMetadataUpload(meta({ size: 11 }), meta(), true)).toBe('replace');
  });
});
