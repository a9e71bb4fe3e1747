// `pkg-index publish` to a real S3 server (versitygw), read back by pip and uv straight from the
// bucket's website endpoint: no packyard process between the installers and the bucket.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { fixturePath } from '@packyard/core/testing';
import { allowPublicReads, startS3Server, type S3Server } from '@packyard/s3-server';
import { addFilesToIndex, yankFile } from '@packyard/wheel-index';
import { aTempDir, realDistribution, runCli, snapshot, theTools } from './helpers.js';

// The website endpoint takes the bucket from the Host header, so the bucket is named after the
// host the installers are given.
const BUCKET = 'localhost';
// Real wheels from PyPI, each given its own upload time so --exclude-newer has something to cut.
const RELEASES = [
  { requirement: 'six==1.14.0', uploaded: '2020-01-15T18:10:00.000000Z' },
  { requirement: 'six==1.15.0', uploaded: '2020-05-21T07:20:00.000000Z' },
  { requirement: 'six==1.16.0', uploaded: '2021-05-05T17:18:19.000000Z' },
];

let server: S3Server;
let indexDir: string;
let work: string;
let indexUrl: string;
let firstRun: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  work = await aTempDir('pkg-index-publish-');
  indexDir = join(work, 'index');
  for (const release of RELEASES) {
    const wheel = await realDistribution(release.requirement);
    await addFilesToIndex(indexDir, [wheel], { uploadTime: new Date(release.uploaded) });
  }
  server = await startS3Server({
    dir: join(work, 's3'),
    bucket: BUCKET,
    website: true,
    // Built once by `nx run s3-server:fixtures`, which this project's test target depends on.
    binary: await fixturePath('s3-server', 'versitygw'),
  });
  // Anyone may read (an R2 public bucket's equivalent); `simple/<p>/` is served from
  // `simple/<p>/index.json`, the JSON page, with the Content-Type it was stored with.
  await allowPublicReads(server, BUCKET, { indexDocument: 'index.json' });
  indexUrl = `http://${BUCKET}:${server.websitePort}/simple/`;
  firstRun = await runCli(['publish', '--index-dir', indexDir, '--to', `s3://${BUCKET}`], {
    env: server.env,
  });
});

afterAll(async () => {
  await server?.stop();
});

describe('pkg-index publish to versitygw', () => {
  it('uploads every file, metadata file and page', async () => {
    // stderr holds only the progress: one [n/13] line per object and the closing one.
    expect(firstRun.stderr.trim().split('\n')).toEqual(
      Array.from({ length: 14 }, () => expect.stringMatching(/^\[\s*\d+\/13\] /)),
    );
    expect(firstRun.code).toBe(0);
    // 3 wheels + 3 metadata files; simple/six/index.{json,html}, project/six/index.html;
    // simple/index.{json,html}, project/projects.json, index.html.
    expect(firstRun.stdout).toMatch(/: 13 uploaded, 0 replaced, 0 unchanged\n$/);
  });

  it('serves each object with its Content-Type from the bucket website', async () => {
    const project = await fetch(`${indexUrl}six/`);
    expect(project.status).toBe(200);
    expect(project.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    const page = (await project.json()) as {
      versions: string[];
      files: { filename: string; url: string; size: number; 'upload-time': string }[];
    };
    expect(page.versions).toEqual(['1.14.0', '1.15.0', '1.16.0']);
    expect(page.files.map((file) => file['upload-time'])).toEqual(RELEASES.map((r) => r.uploaded));
    const wheel = page.files[2] as (typeof page.files)[number];
    const fileUrl = new URL(wheel.url, `${indexUrl}six/`);
    const file = await fetch(fileUrl);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect((await file.arrayBuffer()).byteLength).toBe(wheel.size);
    const metadata = await fetch(`${fileUrl}.metadata`);
    expect(metadata.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await metadata.text()).toMatch(/^Name: six$/m);
    const root = await fetch(indexUrl);
    expect(root.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    expect(await root.json()).toMatchObject({ projects: [{ name: 'six' }] });
    const people = await fetch(`http://${BUCKET}:${server.websitePort}/index.html`);
    expect(people.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('a second run changes nothing', async () => {
    const again = await runCli(['publish', '--index-dir', indexDir, '--to', `s3://${BUCKET}`], {
      env: server.env,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/: 0 uploaded, 0 replaced, 13 unchanged\n$/);
  });

  it('pip reads the JSON pages and installs from the bucket', async () => {
    const tools = await theTools();
    const target = join(work, 'pip-target');
    const run = await execa(
      tools.python,
      [
        '-m',
        'pip',
        'install',
        '-vv',
        '--no-color',
        '--no-cache-dir',
        '--disable-pip-version-check',
        '--target',
        target,
        '--index-url',
        indexUrl,
        'six',
      ],
      // No configuration file: the index URL given is the only source.
      { all: true, reject: false, env: { PIP_CONFIG_FILE: '/dev/null' } },
    );
    expect(run.exitCode).toBe(0);
    expect(run.all).toContain(`Fetched page ${indexUrl}six/ as application/vnd.pypi.simple.v1+json`);
    expect(run.all).toContain('Successfully installed six-1.16.0');
  });

  it('uv reads the JSON pages and installs from the bucket', async () => {
    const tools = await theTools();
    const target = join(work, 'uv-target');
    const run = await execa(
      tools.uv,
      // uv names no media type in its log, but only the JSON pages carry upload times: a
      // page without them makes uv warn "is missing an upload date" under --exclude-newer.
      [
        'pip',
        'install',
        '-vv',
        '--no-config',
        '--color',
        'never',
        '--no-cache',
        '--python',
        tools.python,
        '--target',
        target,
        '--index-url',
        indexUrl,
        '--exclude-newer',
        '2100-01-01T00:00:00Z',
        'six',
      ],
      { all: true, reject: false },
    );
    expect(run.exitCode).toBe(0);
    expect(run.all).toContain(`Received response for fresh request with status 200 OK for: ${indexUrl}six/`);
    expect(run.all).toContain('Selecting candidate for six with range * with 3 remote versions');
    expect(run.all).not.toContain('missing an upload date');
    expect(run.all).toMatch(/\+ six==1\.16\.0/);
  });

  it('uv pip compile --exclude-newer leaves out exactly the files uploaded after the cut-off', async () => {
    const tools = await theTools();
    const requirements = join(work, 'requirements.in');
    await writeFile(requirements, 'six\n');
    const compile = (excludeNewer: string) =>
      execa(
        tools.uv,
        [
          'pip',
          'compile',
          '--no-config',
          '--color',
          'never',
          '--no-cache',
          '--quiet',
          '--python',
          tools.python,
          '--no-header',
          '--no-annotate',
          '--index-url',
          indexUrl,
          '--exclude-newer',
          excludeNewer,
          requirements,
        ],
        { all: true, reject: false },
      );
    const pinned = async (excludeNewer: string): Promise<string> => {
      const run = await compile(excludeNewer);
      if (run.exitCode === 0) return String(run.stdout).trim();
      return /no versions of six/.test(String(run.all)) ? 'none' : String(run.all);
    };
    // uv keeps files uploaded before the cut-off: one uploaded at that very instant is left out.
    expect(await pinned('2020-01-15T18:09:59Z')).toBe('none');
    expect(await pinned('2020-01-15T18:10:00Z')).toBe('none');
    expect(await pinned('2020-01-15T18:10:01Z')).toBe('six==1.14.0');
    expect(await pinned('2020-05-21T07:20:00Z')).toBe('six==1.14.0');
    expect(await pinned('2020-05-21T07:20:01Z')).toBe('six==1.15.0');
    expect(await pinned('2021-05-05T17:18:19Z')).toBe('six==1.15.0');
    expect(await pinned('2021-05-05T17:18:20Z')).toBe('six==1.16.0');
  });
});

describe('pkg-index publish to a directory', () => {
  it('refuses a file the destination holds with other bytes, before writing anything', async () => {
    const dest = join(work, 'dest');
    expect((await runCli(['publish', '--index-dir', indexDir, '--to', dest])).code).toBe(0);
    const wheel = basename(await realDistribution('six==1.15.0'));
    await writeFile(join(dest, 'files/six', wheel), 'other bytes');
    // A change to the pages too: the refused run must not publish it either.
    await yankFile(indexDir, wheel, { reason: 'broken' });
    const before = await snapshot(dest);
    const refused = await runCli(['publish', '--index-dir', indexDir, '--to', dest]);
    expect(refused.code).toBe(7); // CONFLICT: docs/exit-codes.md
    expect(refused.stderr).toContain(`files/six/${wheel}`);
    expect(await snapshot(dest)).toEqual(before);
    const replaced = await runCli(['publish', '--index-dir', indexDir, '--to', dest, '--replace']);
    expect(replaced.code).toBe(0);
    expect(await readFile(join(dest, 'files/six', wheel))).toEqual(
      await readFile(join(indexDir, 'files/six', wheel)),
    );
    expect(await readFile(join(dest, 'simple/six/index.json'), 'utf8')).toContain('"yanked":"broken"');
  });

  it('publishes a PEP 792 status mark with the pages', async () => {
    const dest = join(work, 'dest-status');
    const marked = await runCli([
      'status',
      'Six',
      '--index-dir',
      indexDir,
      '--set',
      'deprecated',
      '--reason',
      'use the stdlib',
    ]);
    expect(marked).toMatchObject({ code: 0, stdout: 'set six: deprecated\n' });
    expect((await runCli(['publish', '--index-dir', indexDir, '--to', dest])).code).toBe(0);
    const page = JSON.parse(await readFile(join(dest, 'simple/six/index.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(page['meta']).toEqual({ 'api-version': '1.4' });
    expect(page['project-status']).toEqual({ status: 'deprecated', reason: 'use the stdlib' });
    expect(await readFile(join(dest, 'simple/six/index.html'), 'utf8')).toContain(
      `<meta name='pypi:project-status' content='deprecated' />`,
    );
    const unknown = await runCli(['status', 'six', '--index-dir', indexDir, '--set', 'gone']);
    expect(unknown.code).toBe(6);
  });
});
