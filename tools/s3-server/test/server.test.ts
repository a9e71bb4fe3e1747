import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { canConnect, isProcessAlive } from '@packyard/core';
import { fixturePath } from '@packyard/core/testing';
import {
  allowPublicReads,
  provisionVersitygw,
  publicReadPolicy,
  startS3Server,
  VERSITYGW_VERSION,
} from '../src/index.js';

describe('startS3Server', () => {
  it('finds the pinned versitygw built once, serves a bucket on loopback, and stops by pid', async () => {
    // Built by `nx run s3-server:fixtures` with provisionVersitygw, into a packyard home of its own.
    const binary = await fixturePath('s3-server', 'versitygw');
    const home = dirname(dirname(dirname(binary)));
    expect(binary).toBe(join(home, 'tools', `versitygw-${VERSITYGW_VERSION}`, 'versitygw'));
    // Ready: found, not built again (a build would need Go; this one has none).
    expect(await provisionVersitygw({ home, go: join(home, 'no-such-go') })).toBe(binary);

    const dir = await mkdtemp(join(tmpdir(), 'packyard-s3-server-'));
    const server = await startS3Server({ dir, bucket: 'mip-packages', binary });
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.env).toEqual({
      AWS_ACCESS_KEY_ID: server.accessKey,
      AWS_SECRET_ACCESS_KEY: server.secretKey,
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_REGION: 'us-east-1',
    });
    expect(await readdir(join(dir, 'data'))).toEqual(['mip-packages']);
    expect(await canConnect(server.port)).toBe(true);
    await server.stop();
    expect(isProcessAlive(server.pid)).toBe(false);
    expect(await canConnect(server.port)).toBe(false);

    // Brought back on the same port, over the same data.
    const again = await startS3Server({ dir, port: server.port, bucket: 'mip-packages', binary });
    expect(again.port).toBe(server.port);
    await again.kill();
    expect(isProcessAlive(again.pid)).toBe(false);
  });
});

describe('allowPublicReads', () => {
  it('builds a policy that grants s3:GetObject on every object of the bucket, and nothing else', () => {
    expect(JSON.parse(publicReadPolicy('cdn'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::cdn/*'] },
      ],
    });
  });

  it('opens a bucket to anonymous reads, and serves its index documents on the website endpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-s3-policy-'));
    const server = await startS3Server({
      dir,
      bucket: 'localhost',
      website: true,
      binary: await fixturePath('s3-server', 'versitygw'),
    });
    try {
      // The posix backend serves the files under the bucket's directory as its objects.
      await mkdir(join(dir, 'data', 'localhost', 'simple'), { recursive: true });
      await writeFile(join(dir, 'data', 'localhost', 'simple', 'index.json'), '{"projects":[]}');
      const object = `${server.endpoint}/localhost/simple/index.json`;
      expect((await fetch(object)).status).toBe(403);

      await allowPublicReads(server, 'localhost', { indexDocument: 'index.json' });
      const read = await fetch(object);
      expect(read.status).toBe(200);
      expect(await read.text()).toBe('{"projects":[]}');
      const page = await fetch(`http://localhost:${server.websitePort}/simple/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('{"projects":[]}');
      // Reads only: an anonymous write is still refused.
      expect((await fetch(object, { method: 'PUT', body: 'x' })).status).toBe(403);
    } finally {
      await server.stop();
    }
  });
});
