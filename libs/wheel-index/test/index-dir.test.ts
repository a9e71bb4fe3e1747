import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, type PackyardError } from '@packyard/core';
import { addFilesToIndex, setProjectStatus, writeIndex } from '@packyard/wheel-index';
import { aWheel, anSdist, fileIdentity, removeDir, tempDir, treeDigests, treeHash } from './support.js';

let work: string;
let index: string;
let src: string;

beforeEach(async () => {
  work = await tempDir('dir');
  index = join(work, 'index');
  src = join(work, 'src');
});
afterEach(async () => {
  await removeDir(work);
});

async function expectRefused(promise: Promise<unknown>): Promise<PackyardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPackyardError(error)) throw new Error(`expected a PackyardError, got ${String(error)}`);
  return error;
}

async function json(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

describe('addFilesToIndex', () => {
  it('lays out files, metadata and pages under the normalised project name', async () => {
    const wheel = await aWheel(src, { name: 'My_Pkg', version: '1.0', requiresPython: '>=3.8' });
    const sdist = await anSdist(src, { name: 'My_Pkg', version: '1.0', requiresPython: '>=3.8' });
    const result = await addFilesToIndex(index, [wheel, sdist], {
      uploadTime: new Date('2024-05-06T07:08:09.123Z'),
    });
    expect(result).toEqual({
      added: ['My_Pkg-1.0-py3-none-any.whl', 'My_Pkg-1.0.tar.gz'],
      unchanged: [],
      replaced: [],
      projects: ['my-pkg'],
    });
    expect(Object.keys(await treeDigests(index)).sort()).toEqual([
      'files/my-pkg/My_Pkg-1.0-py3-none-any.whl',
      'files/my-pkg/My_Pkg-1.0-py3-none-any.whl.metadata',
      'files/my-pkg/My_Pkg-1.0.tar.gz',
      'index.html',
      'project/my-pkg/index.html',
      'project/projects.json',
      'simple/index.html',
      'simple/index.json',
      'simple/my-pkg/index.html',
      'simple/my-pkg/index.json',
    ]);
    const page = await json(join(index, 'simple/my-pkg/index.json'));
    const wheelBytes = await readFile(wheel);
    const metadataBytes = await readFile(join(index, 'files/my-pkg/My_Pkg-1.0-py3-none-any.whl.metadata'));
    expect(metadataBytes.toString()).toContain('Name: My_Pkg\nVersion: 1.0\n');
    const { createHash } = await import('node:crypto');
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(page).toEqual({
      meta: { 'api-version': '1.1' },
      name: 'my-pkg',
      versions: ['1.0'],
      files: [
        {
          filename: 'My_Pkg-1.0-py3-none-any.whl',
          url: '../../files/my-pkg/My_Pkg-1.0-py3-none-any.whl',
          hashes: { sha256: sha(wheelBytes) },
          'requires-python': '>=3.8',
          'core-metadata': { sha256: sha(metadataBytes) },
          'dist-info-metadata': { sha256: sha(metadataBytes) },
          yanked: false,
          size: wheelBytes.length,
          'upload-time': '2024-05-06T07:08:09.123000Z',
        },
        {
          filename: 'My_Pkg-1.0.tar.gz',
          url: '../../files/my-pkg/My_Pkg-1.0.tar.gz',
          hashes: { sha256: sha(await readFile(sdist)) },
          'requires-python': '>=3.8',
          'core-metadata': false,
          'dist-info-metadata': false,
          yanked: false,
          size: (await readFile(sdist)).length,
          'upload-time': '2024-05-06T07:08:09.123000Z',
        },
      ],
    });
    expect(await json(join(index, 'simple/index.json'))).toEqual({
      meta: { 'api-version': '1.1' },
      projects: [{ name: 'my-pkg' }],
    });
    const html = await readFile(join(index, 'simple/my-pkg/index.html'), 'utf8');
    expect(html).toContain(
      `<a href="../../files/my-pkg/My_Pkg-1.0-py3-none-any.whl#sha256=${sha(wheelBytes)}" data-requires-python="&gt;=3.8" data-core-metadata="sha256=${sha(metadataBytes)}" data-dist-info-metadata="sha256=${sha(metadataBytes)}">My_Pkg-1.0-py3-none-any.whl</a>`,
    );
  });

  it('reads PKG-INFO from a legacy .zip sdist, and not a nested one', async () => {
    const zip = await anSdist(src, {
      name: 'Old.Style',
      version: '0.9',
      filename: 'Old.Style-0.9.zip',
      requiresPython: '>=2.7',
    });
    expect((await addFilesToIndex(index, [zip])).projects).toEqual(['old-style']);
    const page = await json(join(index, 'simple/old-style/index.json'));
    expect(page['files']).toEqual([
      expect.objectContaining({
        filename: 'Old.Style-0.9.zip',
        'requires-python': '>=2.7',
        'core-metadata': false,
      }),
    ]);
  });

  it('orders files by PEP 440 version, not as strings', async () => {
    const versions = ['1.10.0', '1.9.0', '1.0.0rc1', '1.0.0', '1.0.0.post1', '1.0.0.dev3', '2.0a1', '1!0.1'];
    const files = [];
    for (const version of versions) files.push(await aWheel(src, { name: 'order', version }));
    await addFilesToIndex(index, files);
    const page = await json(join(index, 'simple/order/index.json'));
    expect(page['versions']).toEqual([
      '1.0.0.dev3',
      '1.0.0rc1',
      '1.0.0',
      '1.0.0.post1',
      '1.9.0',
      '1.10.0',
      '2.0a1',
      '1!0.1',
    ]);
    const html = await readFile(join(index, 'simple/order/index.html'), 'utf8');
    const order = [...html.matchAll(/>(order-[^<]+)</g)].map((m) => m[1]);
    expect(order).toEqual((page['files'] as { filename: string }[]).map((f) => f.filename));
  });

  it('rewrites only the touched project pages, and the root pages only for a new project', async () => {
    await addFilesToIndex(index, [
      await aWheel(src, { name: 'alpha', version: '1.0' }),
      await aWheel(src, { name: 'beta', version: '1.0' }),
    ]);
    const paths = [
      'simple/index.html',
      'simple/index.json',
      'simple/alpha/index.html',
      'simple/alpha/index.json',
      'simple/beta/index.html',
      'simple/beta/index.json',
    ];
    const identity = async (): Promise<Record<string, string>> =>
      Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await fileIdentity(join(index, p))])));

    const before = await identity();
    await addFilesToIndex(index, [await aWheel(src, { name: 'alpha', version: '2.0' })]);
    const afterAlpha = await identity();
    const changed = paths.filter((p) => before[p] !== afterAlpha[p]);
    expect(changed).toEqual(['simple/alpha/index.html', 'simple/alpha/index.json']);

    await addFilesToIndex(index, [await aWheel(src, { name: 'gamma', version: '1.0' })]);
    const afterGamma = await identity();
    expect(paths.filter((p) => afterAlpha[p] !== afterGamma[p])).toEqual([
      'simple/index.html',
      'simple/index.json',
    ]);
    expect((await json(join(index, 'simple/index.json')))['projects']).toEqual([
      { name: 'alpha' },
      { name: 'beta' },
      { name: 'gamma' },
    ]);
  });

  it('treats the same bytes as a no-op, refuses other bytes, and replaces only when asked', async () => {
    const first = await aWheel(join(src, 'a'), { name: 'same', version: '1.0', extra: 'first' });
    await addFilesToIndex(index, [first], { uploadTime: new Date('2024-01-01T00:00:00Z') });
    const pageBefore = await fileIdentity(join(index, 'simple/same/index.json'));
    const hashBefore = await treeHash(index);

    expect(await addFilesToIndex(index, [first])).toEqual({
      added: [],
      unchanged: ['same-1.0-py3-none-any.whl'],
      replaced: [],
      projects: ['same'],
    });
    expect(await fileIdentity(join(index, 'simple/same/index.json'))).toBe(pageBefore);

    const other = await aWheel(join(src, 'b'), { name: 'same', version: '1.0', extra: 'second' });
    const error = await expectRefused(addFilesToIndex(index, [other]));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('same-1.0-py3-none-any.whl is already in the index with other bytes');
    expect(error.file).toBe(other);
    expect(error.field).toBe('sha256');
    expect(await treeHash(index)).toBe(hashBefore);

    const replaced = await addFilesToIndex(index, [other], {
      replace: true,
      uploadTime: new Date('2024-02-02T00:00:00Z'),
    });
    expect(replaced.replaced).toEqual(['same-1.0-py3-none-any.whl']);
    expect(await readFile(join(index, 'files/same/same-1.0-py3-none-any.whl'))).toEqual(
      await readFile(other),
    );
    const page = await json(join(index, 'simple/same/index.json'));
    expect((page['files'] as Record<string, unknown>[])[0]?.['upload-time']).toBe(
      '2024-02-02T00:00:00.000000Z',
    );
    // Nothing is left aside once the replacement is in.
    expect((await readdir(join(index, 'files/same'))).sort()).toEqual([
      'same-1.0-py3-none-any.whl',
      'same-1.0-py3-none-any.whl.metadata',
    ]);
  });

  it('refuses a whole batch when one file is bad, leaving the index unchanged', async () => {
    await addFilesToIndex(index, [await aWheel(src, { name: 'keep', version: '1.0' })]);
    const before = await treeHash(index);
    const good = await aWheel(src, { name: 'keep', version: '2.0' });
    const bad = await aWheel(src, { name: 'other', version: '1.0', filename: 'keep-3.0-py3-none-any.whl' });
    const error = await expectRefused(addFilesToIndex(index, [good, bad]));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(await treeHash(index)).toBe(before);
  });

  it('keeps every file when many writers add to the same project at once', async () => {
    const files = [];
    for (let i = 0; i < 8; i += 1) files.push(await aWheel(src, { name: 'busy', version: `1.${i}` }));
    await Promise.all(files.map((file) => addFilesToIndex(index, [file])));
    const page = await json(join(index, 'simple/busy/index.json'));
    expect(page['versions']).toEqual(['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);
    expect((await readdir(join(index, 'files/busy'))).length).toBe(16);
    expect(await readdir(index)).toEqual(expect.not.arrayContaining(['.packyard-index.lock']));
  });
});

describe('hostile input', () => {
  const cases: [string, string][] = [
    ['<script>alert(1)-1.0-py3-none-any.whl', 'has characters a distribution file name cannot hold'],
    ['evil"onmouseover="x-1.0.tar.gz', 'has characters a distribution file name cannot hold'],
    ["it's-1.0.tar.gz", 'has characters a distribution file name cannot hold'],
    ['..-1.0-py3-none-any.whl', 'has characters a distribution file name cannot hold'],
    ['pkg-1.0-py3-none-any.exe', 'neither a wheel'],
    ['pkg-one-1.0-py3-none-any.whl', 'its version "one" is not a PEP 440 version'],
    ['a-b-c-1.0-py3-none-any.whl', 'has 7'],
    ['pkg-notaversion.tar.gz', 'is not a PEP 440 version'],
  ];

  it.each(cases)('refuses the file name %s without touching the index', async (filename, why) => {
    await addFilesToIndex(index, [await aWheel(src, { name: 'base', version: '1.0' })]);
    const before = await treeHash(index);
    const dir = join(src, 'hostile');
    await mkdir(dir, { recursive: true });
    const path = join(dir, filename);
    await writeFile(path, 'not a distribution');
    const error = await expectRefused(addFilesToIndex(index, [path]));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe('filename');
    expect(error.value).toBe(filename);
    expect(error.message).toContain(why);
    expect(await treeHash(index)).toBe(before);
  });

  it('refuses a file name that climbs out of its directory', async () => {
    const error = await expectRefused(addFilesToIndex(index, [join(src, '../../etc/passwd')]));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.value).toBe('passwd');
    expect(await treeHash(index)).toBe(await treeHash(join(work, 'nothing-here')));
  });

  it('refuses a .whl that is not a zip', async () => {
    await mkdir(src, { recursive: true });
    const path = join(src, 'broken-1.0-py3-none-any.whl');
    await writeFile(path, 'PK but not really a zip file');
    const before = await treeHash(index);
    const error = await expectRefused(addFilesToIndex(index, [path]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.file).toBe(path);
    expect(error.message).toContain('is not a readable zip archive');
    expect(await treeHash(index)).toBe(before);
  });

  it('refuses a .tar.gz that is not gzip', async () => {
    await mkdir(src, { recursive: true });
    const path = join(src, 'broken-1.0.tar.gz');
    await writeFile(path, 'plain text');
    const error = await expectRefused(addFilesToIndex(index, [path]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toContain('is not a readable gzip-compressed tar archive');
  });

  it('refuses a wheel without METADATA', async () => {
    const path = await aWheel(src, {
      name: 'nometa',
      version: '1.0',
      distInfo: 'nometa-1.0.dist-info/deeper',
    });
    const error = await expectRefused(addFilesToIndex(index, [path]));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toContain('holds no *.dist-info/METADATA');
  });

  it('refuses METADATA with the wrong name, naming the field and value', async () => {
    const path = await aWheel(src, {
      name: 'impostor',
      version: '1.0',
      filename: 'victim-1.0-py3-none-any.whl',
    });
    const error = await expectRefused(addFilesToIndex(index, [path]));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe('METADATA Name');
    expect(error.value).toBe('impostor');
    expect(error.message).toBe(
      'victim-1.0-py3-none-any.whl: METADATA names the project "impostor", but the file name says "victim"',
    );
  });

  it('refuses PKG-INFO with the wrong version, and accepts a PEP 440-equal spelling', async () => {
    const wrong = await anSdist(join(src, 'a'), { name: 'ver', version: '1.1', filename: 'ver-1.0.tar.gz' });
    const error = await expectRefused(addFilesToIndex(index, [wrong]));
    expect(error.field).toBe('PKG-INFO Version');
    expect(error.value).toBe('1.1');
    expect(error.message).toContain('PKG-INFO says version "1.1", but the file name says "1.0"');
    const equal = await anSdist(join(src, 'b'), {
      name: 'ver',
      version: '1.0.0',
      filename: 'ver-1.0.tar.gz',
    });
    expect((await addFilesToIndex(index, [equal])).added).toEqual(['ver-1.0.tar.gz']);
  });

  it('refuses two different files of one name in one batch', async () => {
    const a = await aWheel(join(src, 'a'), { name: 'twin', version: '1.0', extra: 'a' });
    const b = await aWheel(join(src, 'b'), { name: 'twin', version: '1.0', extra: 'b' });
    const error = await expectRefused(addFilesToIndex(index, [a, b]));
    expect(error.code).toBe('CONFLICT');
    expect(await treeHash(index)).toBe(await treeHash(join(work, 'nothing-here')));
  });
});

describe('writeIndex', () => {
  it('rebuilds every page from the files, and drops debris', async () => {
    await addFilesToIndex(
      index,
      [
        await aWheel(src, { name: 'one', version: '1.0' }),
        await anSdist(src, { name: 'two', version: '2.0' }),
      ],
      { uploadTime: new Date('2023-03-03T03:03:03Z') },
    );
    const pages = await treeDigests(join(index, 'simple'));
    // A writer killed mid-copy leaves a temporary file; a lost page is rebuilt from the files.
    await writeFile(join(index, 'files/one/one-1.0-py3-none-any.whl.tmp-123-abcdef01'), 'partial');
    await rm(join(index, 'simple/two'), { recursive: true });
    // A file copied in by hand is picked up.
    const three = await aWheel(join(index, 'files/three'), { name: 'three', version: '3.0' });

    const result = await writeIndex(index, { uploadTime: new Date('2023-04-04T00:00:00Z') });
    expect(result).toEqual({ projects: ['one', 'three', 'two'], files: 3 });
    const after = await treeDigests(join(index, 'simple'));
    expect(after['one/index.json']).toBe(pages['one/index.json']);
    expect(after['one/index.html']).toBe(pages['one/index.html']);
    expect(await readdir(join(index, 'files/one'))).toEqual([
      'one-1.0-py3-none-any.whl',
      'one-1.0-py3-none-any.whl.metadata',
    ]);
    expect(await readFile(`${three}.metadata`, 'utf8')).toContain('Name: three');
    for (const project of ['two', 'three']) {
      const page = await json(join(index, `simple/${project}/index.json`));
      expect((page['files'] as Record<string, unknown>[])[0]?.['upload-time']).toBe(
        '2023-04-04T00:00:00.000000Z',
      );
    }
    expect((await json(join(index, 'simple/index.json')))['projects']).toEqual([
      { name: 'one' },
      { name: 'three' },
      { name: 'two' },
    ]);
  });

  it('keeps the upload time recorded for unchanged files', async () => {
    await addFilesToIndex(index, [await aWheel(src, { name: 'kept', version: '1.0' })], {
      uploadTime: new Date('2022-02-02T02:02:02Z'),
    });
    const before = await treeDigests(join(index, 'simple'));
    await writeIndex(index, { uploadTime: new Date('2030-01-01T00:00:00Z') });
    expect(await treeDigests(join(index, 'simple'))).toEqual(before);
  });

  it('refuses a file in the wrong project directory and changes nothing', async () => {
    await addFilesToIndex(index, [await aWheel(src, { name: 'right', version: '1.0' })]);
    await aWheel(join(index, 'files/right'), { name: 'wrong', version: '1.0' });
    const before = await treeHash(index);
    const error = await expectRefused(writeIndex(index));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('it belongs in files/wrong/, not files/right/');
    expect(await treeHash(index)).toBe(before);
  });
});

describe('setProjectStatus (PEP 792)', () => {
  it('archives a project: its pages say so, it takes no new file, and rebuilds keep the mark', async () => {
    await addFilesToIndex(index, [await aWheel(src, { name: 'demo', version: '1.0' })]);
    const archived = await setProjectStatus(index, 'Demo', 'archived', { reason: 'see demo2' });
    expect(archived).toEqual({ project: 'demo', status: 'archived', reason: 'see demo2', changed: true });
    const page = await json(join(index, 'simple/demo/index.json'));
    expect(page['project-status']).toEqual({ status: 'archived', reason: 'see demo2' });
    expect(await readFile(join(index, 'project/demo/index.html'), 'utf8')).toContain(
      'This project is archived.',
    );
    expect((await setProjectStatus(index, 'demo', 'archived', { reason: 'see demo2' })).changed).toBe(false);
    const before = await treeHash(index);
    const refused = await expectRefused(
      addFilesToIndex(index, [await aWheel(join(src, 'new'), { name: 'demo', version: '1.1' })]),
    );
    expect(refused.code).toBe('CONFIG_INVALID');
    expect(refused.message).toContain('demo is archived');
    expect(await treeHash(index)).toBe(before);
    await writeIndex(index);
    expect((await json(join(index, 'simple/demo/index.json')))['project-status']).toEqual({
      status: 'archived',
      reason: 'see demo2',
    });
    await setProjectStatus(index, 'demo', 'active');
    expect(await json(join(index, 'simple/demo/index.json'))).not.toHaveProperty('project-status');
    await addFilesToIndex(index, [await aWheel(join(src, 'new'), { name: 'demo', version: '1.1' })]);
  });

  it('keeps a deprecated mark when files are added, and refuses an unknown project or status', async () => {
    await addFilesToIndex(index, [await aWheel(src, { name: 'demo', version: '1.0' })]);
    await setProjectStatus(index, 'demo', 'deprecated');
    await addFilesToIndex(index, [await aWheel(join(src, 'new'), { name: 'demo', version: '1.1' })]);
    expect((await json(join(index, 'simple/demo/index.json')))['project-status']).toEqual({
      status: 'deprecated',
    });
    expect((await expectRefused(setProjectStatus(index, 'nope', 'archived'))).value).toBe('nope');
    const badStatus = await expectRefused(setProjectStatus(index, 'demo', 'quarantined' as 'archived'));
    expect(badStatus.field).toBe('status');
  });
});
