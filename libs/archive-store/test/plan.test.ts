import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, type StepEvent } from '@packyard/core';
import { errorOf, useTempRoot } from '@packyard/test-helpers';
import { Double, planCreate, planGarbage, runCreate, type CreateRequest } from '@packyard/archive-store';

const NOW = new Date('2026-01-02T03:04:05Z');

function aRequest(overrides: Partial<CreateRequest> = {}): CreateRequest {
  return {
    finalName: 'foobar-go-modules-1.2.3.tar.xz',
    from: '/src',
    storeDir: '/store',
    cdnUrl: 'https://cdn.example',
    key: { gosum: 'abc' },
    now: NOW,
    ...overrides,
  };
}

describe('planCreate', () => {
  it('plans the full key, the metadata with created_on, the format and the distfiles copy', () => {
    const plan = planCreate(aRequest({ metadata: { by: 'ci' }, topDirectory: 'top', level: 9 }));
    expect(plan).toEqual({
      finalName: 'foobar-go-modules-1.2.3.tar.xz',
      format: 'tar.xz',
      from: '/src',
      topDirectory: 'top',
      force: false,
      storeDir: '/store',
      cdnUrl: 'https://cdn.example',
      key: { gosum: 'abc', final_name: 'foobar-go-modules-1.2.3.tar.xz' },
      metadata: { by: 'ci', created_on: NOW },
      write: { level: 9 },
      distfiles: { dir: '/var/cache/portage/distfiles' },
    });
  });

  it.each([
    [{ production: true }, { skip: 'production mode' }],
    [{ distfilesDir: false as const }, { skip: 'distfiles copy turned off' }],
    [{ distfilesDir: '/d' }, { dir: '/d' }],
  ])('plans the Portage copy from %j', (overrides, distfiles) => {
    expect(planCreate(aRequest(overrides)).distfiles).toEqual(distfiles);
  });

  it.each([
    [{ finalName: 'a.tar.bz2' }, 'finalName'],
    [{ finalName: '.hidden.tar.gz' }, 'finalName'],
    [{ topDirectory: '../x' }, 'topDirectory'],
    [{ key: { final_name: 'other.tar.gz' } }, 'key.final_name'],
    [{ metadata: { when: new Date(Number.NaN) } }, 'metadata.when'],
  ])('refuses %j, naming the field, before anything is read or written', (overrides, field) => {
    const error = errorOf(() => planCreate(aRequest(overrides)));
    expect(isPackyardError(error) && error.code).toBe('ARCHIVE_INVALID');
    expect((error as { field?: string }).field).toBe(field);
  });

  it('keeps a float key a float', () => {
    expect(planCreate(aRequest({ key: { v: new Double(2) } })).key['v']).toBeInstanceOf(Double);
  });
});

describe('planGarbage', () => {
  const a = 'a'.repeat(128);
  const b = 'b'.repeat(128);
  const c = 'c'.repeat(128);
  it('removes what no record points at, keeps the rest, and counts the bytes', () => {
    const plan = planGarbage(
      {
        blobs: [
          { sha512: a, size: 10 },
          { sha512: b, size: 20 },
          { sha512: c, size: 5 },
        ],
        referenced: new Set([b]),
        unreadable: ['/store/dynamic/local/x'],
        staleWork: ['archive-x.tmp-99999-ab'],
      },
      true,
    );
    expect(plan).toEqual({
      dryRun: true,
      remove: [
        { sha512: a, size: 10 },
        { sha512: c, size: 5 },
      ],
      kept: 1,
      bytes: 15,
      staleWork: ['archive-x.tmp-99999-ab'],
      unreadable: ['/store/dynamic/local/x'],
    });
  });
});

describe('runCreate', () => {
  const root = useTempRoot('packyard-plan-');

  it('runs the five steps, then on a second run finds the archive and skips the rest with the reason', async () => {
    const from = await mkdtemp(join(root.path, 'from-'));
    await writeFile(join(from, 'README'), 'HELLO');
    const request = aRequest({ from, storeDir: join(root.path, 'store'), distfilesDir: false });
    const run = async () => {
      const events: StepEvent[] = [];
      const report = await runCreate(planCreate(request), { onEvent: (event) => events.push(event) });
      const ends = events.flatMap((e) =>
        e.type === 'step-end' ? [[e.step, 'done']] : e.type === 'step-skip' ? [[e.step, e.reason]] : [],
      );
      return { report, ends };
    };
    const first = await run();
    expect(first.report.status).toBe('created');
    expect(first.ends).toEqual([
      ['find', 'done'],
      ['walk', 'done'],
      ['write', 'done'],
      ['record', 'done'],
      ['distfiles', 'distfiles copy turned off'],
    ]);
    const second = await run();
    expect(second.report).toEqual({
      status: 'found',
      archive: expect.objectContaining({ size: first.report.archive.size }),
    });
    expect(second.report.archive.digests).toEqual(first.report.archive.digests);
    const stored = 'already stored under this name and key';
    expect(second.ends).toEqual([
      ['find', 'done'],
      ['walk', stored],
      ['write', stored],
      ['record', stored],
      ['distfiles', stored],
    ]);
  });
});
