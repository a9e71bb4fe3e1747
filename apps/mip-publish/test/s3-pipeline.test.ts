import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createS3Store } from '@packyard/mip-pipeline';
import { fixturePath } from '@packyard/core/testing';
import { startS3Server, type S3Server } from '@packyard/s3-server';
import { aWorkspace, runCli, SETUP_OCTAVE, SHIPPED } from './helpers.js';

// One real versitygw for the file; each test uses its own key prefix.
let server: S3Server;
beforeAll(async () => {
  await execa('bash', [SETUP_OCTAVE], { stdio: 'inherit' });
  server = await startS3Server({
    dir: await mkdtemp(join(tmpdir(), 'packyard-mip-s3-')),
    bucket: 'mip-packages',
    // Built by `nx run s3-server:fixtures` (the test target depends on it).
    binary: await fixturePath('s3-server', 'versitygw'),
  });
  // The first run on a machine installs Octave (minutes); far above that.
}, 1_800_000);
afterAll(async () => {
  await server?.stop();
});

const MHLS = [
  'hello_mip-1.0.0-any-none-any',
  'string-tools-0.3.1-any-none-any',
  'timestwo-1.2.0-any-none-linux_x86_64',
];

/** Every PUT request under `prefix`, whatever its answer. */
async function allPuts(prefix: string): Promise<number> {
  const log = await readFile(server.logFile, 'utf8');
  return log
    .split('\n')
    .filter((line) => line.includes('| PUT |') && line.includes(`/mip-packages/${prefix}`)).length;
}

/** Successful PUT requests under `prefix`, from the server's request log (refused conditional PUTs are 412). */
async function putCount(prefix: string): Promise<number> {
  const log = await readFile(server.logFile, 'utf8');
  return log
    .split('\n')
    .filter((line) => / \| 200 \| .*\| PUT \| /.test(line) && line.includes(`/mip-packages/${prefix}`))
    .length;
}

function s3Args(prefix: string): string[] {
  return [
    '--store',
    's3://mip-packages',
    '--prefix',
    prefix,
    '--base-url',
    `https://mip.example.org/${prefix}`,
  ];
}

async function keys(prefix: string): Promise<string[]> {
  const store = createS3Store({
    bucket: 'mip-packages',
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
  const out: string[] = [];
  for await (const object of store.list(prefix)) out.push(object.key);
  return out;
}

describe('mip-publish against a real S3 server (AWS_* variables)', () => {
  it('publishes every bundle and its metadata, indexes them, uploads nothing on a second run, and two clones build identical .mhl files', async () => {
    const prefix = 'core/packages/';
    const first = await aWorkspace();
    const run = await runCli(first, ['run', ...s3Args(prefix)], server.env);
    expect(run.err).not.toMatch(/^(error|warning)/m);
    expect(run.code).toBe(0);
    const index = JSON.parse(await readFile(join(first, 'build', 'gh-pages', 'index.json'), 'utf8'));
    const digests = index.packages.map((p: { sha256: string }) => p.sha256) as string[];
    expect((await keys(prefix)).sort()).toEqual(
      [
        ...MHLS.map((m) => `${prefix}${m}.mhl.mip.json`),
        ...MHLS.map((m, i) => `${prefix}sha256/${digests[i]}/${m}.mhl`),
      ].sort(),
    );
    expect(index.packages.map((p: { mhl_url: string }) => p.mhl_url)).toEqual(
      MHLS.map((m, i) => `https://mip.example.org/${prefix}sha256/${digests[i]}/${m}.mhl`),
    );
    expect(index.total_packages).toBe(3);

    const puts = await putCount(prefix);
    expect(puts).toBe(6);
    const requests = await allPuts(prefix);
    const again = await runCli(first, ['run', ...s3Args(prefix)], server.env);
    expect(again.code).toBe(0);
    expect(again.out).toContain('prepare: 0 done, 3 skipped, 0 failed');
    expect(await allPuts(prefix)).toBe(requests);

    // A second clone rebuilds from scratch: the same bytes, so its upload writes nothing either.
    const second = await aWorkspace();
    const rebuilt = await runCli(second, ['run', '--force', ...s3Args(prefix)], server.env);
    expect(rebuilt.err).not.toMatch(/^(error|warning)/m);
    expect(rebuilt.code).toBe(0);
    for (const mhl of MHLS) {
      expect(await readFile(join(second, 'build', 'bundled', `${mhl}.mhl`))).toEqual(
        await readFile(join(first, 'build', 'bundled', `${mhl}.mhl`)),
      );
    }
    expect(rebuilt.out).toContain('upload: 0 done, 3 skipped, 0 failed');
    expect(await putCount(prefix)).toBe(puts);
  });

  it('lets two bundle + upload runs at once on the same packages both finish, writing each object once', async () => {
    const prefix = 'race/';
    const root = await aWorkspace();
    expect((await runCli(root, ['prepare', ...s3Args(prefix)], server.env)).code).toBe(0);
    expect((await runCli(root, ['compile', ...s3Args(prefix)], server.env)).code).toBe(0);
    const both = await Promise.all(
      [0, 1].map(async () => {
        const bundled = await runCli(root, ['bundle', ...s3Args(prefix)], server.env);
        const uploaded = await runCli(root, ['upload', ...s3Args(prefix)], server.env);
        // Log lines go to stderr; neither run may report an error or a warning there.
        const complaints = uploaded.err.split('\n').filter((line) => /^(error|warning)|error\[/.test(line));
        return [bundled.code, uploaded.code, complaints];
      }),
    );
    expect(both).toEqual([
      [0, 0, []],
      [0, 0, []],
    ]);
    expect(await putCount(prefix)).toBe(6);
    expect(await keys(prefix)).toHaveLength(6);
  });

  it('refuses other bytes under a published name unless --replace', async () => {
    const prefix = 'conflict/';
    const root = await aWorkspace();
    expect((await runCli(root, ['run', ...s3Args(prefix)], server.env)).code).toBe(0);
    const changed = await aWorkspace();
    await execa('bash', [
      '-c',
      `echo "% changed" >> ${join(changed, 'mip-packages', 'hello_mip', 'src', 'hello_mip.m')}`,
    ]);
    await execa('bash', [
      '-c',
      `rm -rf ${join(changed, 'mip-packages', 'timestwo')} ${join(changed, 'mip-packages', 'string-tools')}`,
    ]);
    // The source changed but the version did not: prepare rebuilds, upload refuses to overwrite.
    const refused = await runCli(changed, ['run', ...s3Args(prefix)], server.env);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      `${prefix}hello_mip-1.0.0-any-none-any.mhl.mip.json already exists in s3://mip-packages with other bytes`,
    );
    const replaced = await runCli(changed, ['upload', '--replace', ...s3Args(prefix)], server.env);
    expect(replaced.code).toBe(0);
    expect(replaced.err).toContain(
      `replaced s3://mip-packages/${prefix}hello_mip-1.0.0-any-none-any.mhl.mip.json`,
    );
    // Both bundles stay: each under its own digest, so a reader of the old index still gets its bytes.
    expect((await keys(prefix)).filter((k) => k.endsWith('/hello_mip-1.0.0-any-none-any.mhl'))).toHaveLength(
      2,
    );
  });

  it('aborts the multipart uploads a killed uploader left under its prefix, and only there', async () => {
    const client = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    });
    // An uploader that died after its first part: the upload stays open on the bucket.
    const leave = async (key: string): Promise<void> => {
      const created = await client.send(
        new CreateMultipartUploadCommand({ Bucket: 'mip-packages', Key: key }),
      );
      await client.send(
        new UploadPartCommand({
          Bucket: 'mip-packages',
          Key: key,
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: Buffer.alloc(5 * 1024 * 1024, 1),
        }),
      );
    };
    const open = async (prefix: string): Promise<string[]> =>
      (
        (await client.send(new ListMultipartUploadsCommand({ Bucket: 'mip-packages', Prefix: prefix })))
          .Uploads ?? []
      )
        .map((u) => u.Key ?? '')
        .sort();
    await leave('stale/hello_mip-1.0.0-any-none-any.mhl');
    await leave('stale/sub/other.mhl');
    await leave('elsewhere/keep.mhl');
    expect(await open('stale/')).toEqual(['stale/hello_mip-1.0.0-any-none-any.mhl', 'stale/sub/other.mhl']);

    const root = await aWorkspace({}, false);
    await execa('cp', ['-r', join(SHIPPED, 'hello_mip'), join(root, 'mip-packages')]);
    const run = await runCli(root, ['run', ...s3Args('stale/')], server.env);
    expect(run.err).not.toMatch(/^(error|warning)/m);
    expect(run.code).toBe(0);
    expect(run.err).toContain('aborted an unfinished multipart upload of stale/sub/other.mhl');
    expect(await open('stale/')).toEqual([]);
    expect(await open('elsewhere/')).toEqual(['elsewhere/keep.mhl']);
    const stored = await keys('stale/');
    expect(stored).toHaveLength(2);
    expect(stored[0]).toBe('stale/hello_mip-1.0.0-any-none-any.mhl.mip.json');
    expect(stored[1]).toMatch(/^stale\/sha256\/[0-9a-f]{64}\/hello_mip-1\.0\.0-any-none-any\.mhl$/);
    client.destroy();
  });

  it('a reader polling index.json and downloading what it names sees no digest mismatch during 20 concurrent republishes', async () => {
    const prefix = 'flip/';
    // Two builds of one package name and version with different bytes: each republish flips between them.
    const builds = await Promise.all(
      ['A', 'B'].map(async (variant) => {
        const root = await aWorkspace(
          {
            'flip/mip.yaml': 'name: flip\ndescription: flips\nversion: "1.0"\nsource:\n  folder: src\n',
            'flip/src/flip.m': `function v = flip()\nv = '${variant}';\nend\n`,
          },
          false,
        );
        expect((await runCli(root, ['prepare', '--force', ...s3Args(prefix)], server.env)).code).toBe(0);
        expect((await runCli(root, ['bundle', ...s3Args(prefix)], server.env)).code).toBe(0);
        return root;
      }),
    );
    const pages = await mkdtemp(join(tmpdir(), 'packyard-flip-pages-'));
    const store = createS3Store({
      bucket: 'mip-packages',
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    });
    let done = false;
    let reads = 0;
    const mismatches: string[] = [];
    const reader = (async () => {
      const base = `https://mip.example.org/`;
      while (!done) {
        const text = await readFile(join(pages, 'index.json'), 'utf8').catch(() => undefined);
        if (text !== undefined) {
          for (const p of (JSON.parse(text) as { packages: Array<{ mhl_url: string; mhl_sha256: string }> })
            .packages) {
            const bytes = await store.get(p.mhl_url.slice(base.length));
            const actual = bytes === undefined ? 'missing' : createHash('sha256').update(bytes).digest('hex');
            if (actual !== p.mhl_sha256) mismatches.push(`${p.mhl_url}: ${actual} != ${p.mhl_sha256}`);
            reads++;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const runs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const root = builds[i % 2]!;
        const uploaded = await runCli(root, ['upload', '--replace', ...s3Args(prefix)], server.env);
        const indexed = await runCli(root, ['index', '--pages-dir', pages, ...s3Args(prefix)], server.env);
        return { upload: uploaded.code, index: indexed.code, err: uploaded.err + indexed.err };
      }),
    );
    // Let the reader see the final index too.
    const finalReads = reads;
    while (reads === finalReads) await new Promise((resolve) => setTimeout(resolve, 20));
    done = true;
    await reader;
    expect(mismatches).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    // Racing --replace writers may lose a conditional write (and say so); nobody overwrites a bundle.
    for (const r of runs) {
      if (r.upload !== 0) expect(r.err).toMatch(/was replaced by another run|kept changing|already exists/);
    }
    expect(runs.filter((r) => r.upload === 0).length).toBeGreaterThan(0);
    expect((await keys(prefix)).filter((k) => k.endsWith('/flip-1.0-any-none-any.mhl'))).toHaveLength(2);
  });
});
