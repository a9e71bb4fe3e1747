// The upload server against clients that go wrong and a process that is killed: `pkg-index serve`
// (the built CLI, a child process) takes 1,000+ malformed and truncated multipart bodies over
// loopback without exiting or leaving anything behind, and after kill -9 at each step of an upload
// a restart recovers the index so that `pkg-index verify` passes and only listed files are served.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { EXIT } from '@packyard/core';
import { hashPassword } from '@packyard/pkg-index-pipeline';
import { aTempDir, aWheel, runCli, spawnServe, type ServeProcess } from './helpers.js';

const USER = 'alice';
const PASSWORD = 'wonderland';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

let base: string;
let config: string;
const children = new Set<ChildProcessWithoutNullStreams>();

async function startServe(
  indexDir: string,
  tmp: string,
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const serve = await spawnServe(['--index-dir', indexDir, '--config', config], {
    ...process.env,
    TMPDIR: tmp,
    ...env,
  });
  children.add(serve.child);
  serve.child.once('exit', () => children.delete(serve.child));
  return serve;
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** A multipart upload body for `bytes` named `filename`, as twine sends it. */
function uploadBody(filename: string, bytes: Buffer, boundary: string): Buffer {
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head =
    field(':action', 'file_upload') +
    field('protocol_version', '1') +
    field('sha256_digest', createHash('sha256').update(bytes).digest('hex')) +
    `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${filename}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  return Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
}

/**
 * Sends raw bytes as one HTTP request over loopback and resolves with the status (0: the server
 * closed the connection without one). `hangUp`: the client goes away after sending.
 */
function rawRequest(port: number, head: string, body: Buffer, hangUp: boolean): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(match?.[1] ? Number(match[1]) : 0);
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (/\r\n\r\n/.test(received)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(head);
    // Either the client goes away once it has sent, or it waits for the answer (the body is
    // complete as declared, however broken inside, so the server owes one).
    socket.write(body, () => {
      if (hangUp) finish();
    });
  });
}

// A small deterministic generator, so every run sends the same bodies.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One malformed request: its head and body, and whether the client hangs up after sending. */
function malformed(
  index: number,
  good: Buffer,
  boundary: string,
): { head: string; body: Buffer; hangUp: boolean } {
  const random = prng(index + 1);
  const at = (n: number) => Math.floor(random() * n);
  const headFor = (
    body: Buffer,
    extra = '',
    declared = body.length,
    type = `multipart/form-data; boundary=${boundary}`,
  ) =>
    `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${declared}\r\nConnection: close\r\n${extra}\r\n`;
  const closing = good.lastIndexOf(Buffer.from(`--${boundary}--`));
  switch (index % 10) {
    case 0: {
      // Cut anywhere, declared as cut.
      const body = good.subarray(0, at(good.length));
      return { head: headFor(body), body, hangUp: false };
    }
    case 1: {
      // Cut anywhere, declared whole: the client goes away mid-body.
      const body = good.subarray(0, at(good.length));
      return { head: headFor(body, '', good.length), body, hangUp: true };
    }
    case 2: {
      // No closing boundary (a Ctrl-C'd twine).
      const body = good.subarray(0, closing);
      return { head: headFor(body), body, hangUp: false };
    }
    case 3: {
      // Random bytes over a random stretch.
      const body = Buffer.from(good);
      const start = at(body.length);
      for (let i = start; i < Math.min(body.length, start + 1 + at(512)); i += 1) body[i] = at(256);
      return { head: headFor(body), body, hangUp: false };
    }
    case 4: {
      // Another boundary in the header than in the body.
      return {
        head: headFor(good, '', good.length, 'multipart/form-data; boundary=not-the-one'),
        body: good,
        hangUp: false,
      };
    }
    case 5: {
      // No boundary at all, or not multipart.
      const type = random() < 0.5 ? 'multipart/form-data' : 'multipart/form-data; boundary=';
      return { head: headFor(good, '', good.length, type), body: good, hangUp: false };
    }
    case 6: {
      // Chunked, cut inside a chunk.
      const cut = good.subarray(0, 1 + at(good.length - 1));
      const body = Buffer.concat([Buffer.from(`${good.length.toString(16)}\r\n`), cut]);
      const head =
        `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
      return { head, body, hangUp: true };
    }
    case 7: {
      // A part header broken: no blank line, or a disposition without a name.
      const text = good.toString('latin1');
      const body = Buffer.from(
        random() < 0.5 ? text.replace('\r\n\r\n', '\r\n') : text.replace('name="content"; ', ''),
        'latin1',
      );
      return { head: headFor(body), body, hangUp: false };
    }
    case 8: {
      // Two files, or a file field under another name, then cut.
      const text = good.toString('latin1');
      const doubled = Buffer.from(
        text.replace(
          `--${boundary}--`,
          text.slice(text.indexOf(`--${boundary}\r\nContent-Disposition: form-data; name="content"`)),
        ),
        'latin1',
      );
      const body = doubled.subarray(0, doubled.length - at(64));
      return { head: headFor(body), body, hangUp: false };
    }
    default: {
      // A body longer than declared, or a declared length the body never reaches, cut short.
      const body = Buffer.concat([good, Buffer.alloc(at(4096), 0x2d)]);
      return {
        head: headFor(body, '', Math.max(1, good.length - at(good.length)), undefined),
        body,
        hangUp: true,
      };
    }
  }
}

/** A GET on a connection of its own (no pooled keep-alive socket the server may have just closed). */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

async function stagingLeft(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((name) => name.startsWith('pkg-index-upload-'));
}

async function listing(
  url: string,
  project: string,
): Promise<Array<{ filename: string; hashes: { sha256: string } }>> {
  const response = await fetch(`${url}/simple/${project}/`, {
    headers: { accept: 'application/vnd.pypi.simple.v1+json' },
  });
  if (response.status === 404) return [];
  return ((await response.json()) as { files: Array<{ filename: string; hashes: { sha256: string } }> })
    .files;
}

async function upload(url: string, path: string, name: string): Promise<number> {
  const bytes = await readFile(path);
  const form = new FormData();
  form.append(':action', 'file_upload');
  form.append('protocol_version', '1');
  form.append('sha256_digest', createHash('sha256').update(bytes).digest('hex'));
  form.append('content', new Blob([bytes]), name);
  const response = await fetch(`${url}/`, { method: 'POST', body: form, headers: { authorization: AUTH } });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  base = await aTempDir('pkg-index-resilience-');
  config = join(base, 'serve.yaml');
  // A generous login rate: this file tests bodies, not the rate limit.
  await writeFile(
    config,
    `users:\n  ${USER}: "${await hashPassword(PASSWORD, 4)}"\nloginRate: { burst: 100000, perMinute: 100000 }\n`,
  );
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(base, { recursive: true, force: true });
});

describe('pkg-index serve: no client can take it down', () => {
  test('1,000+ malformed and truncated multipart bodies: 0 exits, the next good request answered every time, 0 leftovers', async () => {
    const indexDir = join(base, 'fuzz-index');
    const tmp = join(base, 'fuzz-tmp');
    await mkdir(indexDir);
    await mkdir(tmp);
    const wheel = await aWheel(join(base, 'fuzz-src'), { name: 'fuzz-pkg', version: '1.0' });
    const bytes = await readFile(wheel);
    const boundary = 'packyard-fuzz-boundary';
    const good = uploadBody('fuzz_pkg-1.0-py3-none-any.whl', bytes, boundary);
    // Something to read between the bodies: another project already in the index.
    const other = await aWheel(join(base, 'fuzz-other'), { name: 'other-pkg', version: '1.0' });
    expect((await runCli(['add', other, '--index-dir', indexDir])).code).toBe(EXIT.ok);
    const serve = await startServe(indexDir, tmp);
    const total = 1000;
    const statuses = new Map<number, number>();
    let goodAnswers = 0;
    let next = 0;
    const worker = async () => {
      for (;;) {
        const index = next++;
        if (index >= total) return;
        const request = malformed(index, good, boundary);
        const status = await rawRequest(serve.port, request.head, request.body, request.hangUp);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // The next good request is answered, whatever the last one did.
        if ((await freshGet(`${serve.url}/simple/`)) === 200) goodAnswers += 1;
        expect(serve.child.exitCode).toBeNull();
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(goodAnswers).toBe(total);
    expect(serve.child.exitCode).toBeNull();
    // Every malformed body got an answer or a closed socket; none got a server error.
    expect([...statuses.keys()].filter((status) => status !== 0 && (status < 200 || status >= 500))).toEqual(
      [],
    );
    // A good upload after all of it works.
    expect(await upload(serve.url, wheel, 'fuzz_pkg-1.0-py3-none-any.whl')).toBe(200);
    expect(serve.log()).not.toMatch(/^error/m);
    serve.child.kill('SIGTERM');
    expect(await exited(serve.child)).toBe(0);
    expect(await stagingLeft(tmp)).toEqual([]);
    const verify = await runCli(['verify', '--index-dir', indexDir]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(EXIT.ok);
  });
});

describe('pkg-index serve: kill -9 at each step of an upload, then a restart', () => {
  const steps: Array<{ step: string; recovery: RegExp | undefined }> = [
    { step: 'upload-receiving', recovery: /recovery: removed .*pkg-index-upload-\d+-.*staging directory/ },
    { step: 'upload-staged', recovery: /recovery: removed .*pkg-index-upload-\d+-.*staging directory/ },
    { step: 'index-locked', recovery: /recovery: removed a stale lock \(its holder, process \d+, is gone\)/ },
    {
      step: 'file-copied',
      recovery: /recovery: removed files\/kill-pkg\/\.tmp-\d+-[0-9a-f]+: a temporary file/,
    },
    {
      step: 'file-placed',
      recovery: /recovery: set aside files\/kill-pkg\/kill_pkg-2\.0-py3-none-any\.whl: a file no page lists/,
    },
    {
      step: 'metadata-written',
      recovery: /recovery: set aside files\/kill-pkg\/kill_pkg-2\.0-py3-none-any\.whl\.metadata/,
    },
    { step: 'json-written', recovery: /recovery: rewrote the pages of 1 projects from 2 files/ },
    { step: 'pages-written', recovery: /recovery: rewrote the pages of 1 projects from 2 files/ },
    { step: 'indexed', recovery: /recovery: removed a stale lock/ },
  ];
  let older: string;
  let newer: string;
  const newerName = 'kill_pkg-2.0-py3-none-any.whl';

  beforeAll(async () => {
    older = await aWheel(join(base, 'kill-src-1'), { name: 'kill-pkg', version: '1.0' });
    // Large enough to arrive in many chunks, so an upload can be held while it is received.
    const filler = createHash('sha512');
    const lines: string[] = [];
    for (let i = 0; i < 900; i += 1) lines.push(`# ${filler.update(String(i)).copy().digest('hex')}`);
    newer = await aWheel(join(base, 'kill-src-2'), {
      name: 'kill-pkg',
      version: '2.0',
      code: `${lines.join('\n')}\nVALUE = 2\n`,
    });
  });

  test.each(steps)(
    'killed at $step: recovered, verified, only listed files served, a re-upload lands',
    async ({ step, recovery }) => {
      const indexDir = join(base, `kill-${step}`);
      const tmp = join(base, `kill-${step}-tmp`);
      await mkdir(indexDir);
      await mkdir(tmp);
      expect((await runCli(['add', older, '--index-dir', indexDir])).code).toBe(EXIT.ok);
      const signal = join(base, `kill-${step}.signal`);
      const first = await startServe(indexDir, tmp, {
        PACKYARD_PAUSE_AT: step,
        PACKYARD_PAUSE_SIGNAL: signal,
      });
      const pending = upload(first.url, newer, newerName).catch(() => 0);
      // Held at the step; then killed there.
      for (;;) {
        const text = await readFile(signal, 'utf8').catch(() => '');
        if (text.trim() === step) break;
        expect(first.child.exitCode).toBeNull();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      first.child.kill('SIGKILL');
      await exited(first.child);
      await pending;

      const second = await startServe(indexDir, tmp);
      try {
        if (recovery !== undefined) expect(second.log()).toMatch(recovery);
        expect(await stagingLeft(tmp)).toEqual([]);
        const verify = await runCli(['verify', '--index-dir', indexDir]);
        expect(verify.stderr).toBe('');
        expect(verify.code).toBe(EXIT.ok);
        // Every listed file is served whole; the new file is served only if it is listed.
        const listed = await listing(second.url, 'kill-pkg');
        expect(listed.map((file) => file.filename)).toContain('kill_pkg-1.0-py3-none-any.whl');
        for (const file of listed) {
          const response = await fetch(`${second.url}/files/kill-pkg/${file.filename}`);
          expect(response.status).toBe(200);
          expect(
            createHash('sha256')
              .update(Buffer.from(await response.arrayBuffer()))
              .digest('hex'),
          ).toBe(file.hashes.sha256);
        }
        const direct = await fetch(`${second.url}/files/kill-pkg/${newerName}`);
        await direct.arrayBuffer();
        expect(direct.status).toBe(listed.some((file) => file.filename === newerName) ? 200 : 404);
        // Running the upload again finishes the work.
        expect(await upload(second.url, newer, newerName)).toBe(200);
        expect((await listing(second.url, 'kill-pkg')).map((file) => file.filename).sort()).toEqual([
          'kill_pkg-1.0-py3-none-any.whl',
          newerName,
        ]);
        expect((await runCli(['verify', '--index-dir', indexDir])).code).toBe(EXIT.ok);
      } finally {
        second.child.kill('SIGTERM');
        await exited(second.child);
      }
    },
  );
});
