// Push mode end to end: `pkg-index serve` (the built CLI, as a child process) takes uploads from a
// pinned twine, serves PEP 691 pages and PEP 658 metadata, refuses bad and unauthenticated uploads
// without touching the index, and keeps the index consistent with several writers at once.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { renderUvEnv } from '@packyard/pkg-index-pipeline';
import { EXIT } from '@packyard/core';
import { verifyBasicAuth } from '@packyard/index-server';
import { hashPassword } from '@packyard/pkg-index-pipeline';
import {
  aTempDir,
  aWheel,
  damageMember,
  realDistribution,
  runCli,
  sha256Of,
  spawnServe,
  snapshot,
  theTools,
  treeSnapshot,
  writeFiles,
} from './helpers.js';

const TWINE = 'twine==6.2.0';
// A sound wheel with 8 MB of incompressible data, far more than the socket buffers hold.
const LARGE_WHEEL = `
import base64, hashlib, os, sys, zipfile
files = {
    "large_pkg/__init__.py": b"",
    "large_pkg/data.bin": os.urandom(8_000_000),
    "large_pkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: large-pkg\\nVersion: 1.0\\n",
    "large_pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
rows = ["%s,sha256=%s,%d" % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for n, d in files.items()]
files["large_pkg-1.0.dist-info/RECORD"] = ("\\n".join(rows + ["large_pkg-1.0.dist-info/RECORD,,"]) + "\\n").encode()
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n, d in files.items():
        z.writestr(zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0)), d)
`;
const USER = 'alice';
const PASSWORD = 'wonderland';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

let base: string;
let indexDir: string;
let serverUrl: string;
let server: ChildProcessWithoutNullStreams;
let serverLog: () => string = () => '';
const dists: Record<string, string> = {};

async function buildProject(name: string, version: string, code: string, outDir: string): Promise<string[]> {
  const tools = await theTools();
  const src = await aTempDir('pkg-index-src-');
  await writeFiles(src, {
    'pyproject.toml': [
      '[build-system]',
      'requires = ["hatchling==1.27.0"]',
      'build-backend = "hatchling.build"',
      '[project]',
      `name = "${name}"`,
      `version = "${version}"`,
      'requires-python = ">=3.8"',
      '[tool.hatch.build.targets.wheel]',
      'packages = ["alpha_pkg"]',
      '',
    ].join('\n'),
    'alpha_pkg/__init__.py': code,
  });
  await execa(tools.uv, ['build', '--out-dir', outDir, '--python', tools.python, src], {
    env: renderUvEnv(tools),
  });
  return (await readdir(outDir))
    .filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz'))
    .map((f) => join(outDir, f));
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

async function twine(files: string[], credentials: [string, string] = [USER, PASSWORD]) {
  const tools = await theTools();
  return execa(
    tools.uv,
    [
      'tool',
      'run',
      '--from',
      TWINE,
      'twine',
      'upload',
      '--non-interactive',
      '--disable-progress-bar',
      '--repository-url',
      `${serverUrl}/`,
      '-u',
      credentials[0],
      '-p',
      credentials[1],
      ...files,
    ],
    {
      env: {
        ...renderUvEnv(tools),
        TWINE_USERNAME: undefined,
        TWINE_PASSWORD: undefined,
        TWINE_REPOSITORY_URL: undefined,
      },
      reject: false,
      all: true,
    },
  );
}

/** A legacy-API upload made by hand, for what twine would never send. */
async function upload(
  file: { name: string; bytes: Buffer },
  fields: Record<string, string> = {},
  headers: Record<string, string> = { authorization: AUTH },
): Promise<{ status: number; text: string; headers: Headers }> {
  const form = new FormData();
  const all = { ':action': 'file_upload', protocol_version: '1', ...fields };
  for (const [key, value] of Object.entries(all)) form.append(key, value);
  if (!('sha256_digest' in fields)) {
    const { createHash } = await import('node:crypto');
    form.append('sha256_digest', createHash('sha256').update(file.bytes).digest('hex'));
  }
  form.append('content', new Blob([file.bytes]), file.name);
  const response = await fetch(`${serverUrl}/`, { method: 'POST', body: form, headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

interface ProjectJson {
  name: string;
  versions: string[];
  files: Array<{ filename: string; url: string; hashes: { sha256: string }; 'core-metadata'?: unknown }>;
}

async function projectJson(project: string): Promise<ProjectJson> {
  const response = await fetch(`${serverUrl}/simple/${project}/`, {
    headers: { accept: 'application/vnd.pypi.simple.v1+json' },
  });
  expect(response.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
  return (await response.json()) as ProjectJson;
}

beforeAll(async () => {
  base = await aTempDir('pkg-index-serve-');
  indexDir = join(base, 'index');
  for (const file of await buildProject('Alpha_Pkg', '1.0.0', 'VALUE = 1\n', join(base, 'dist-1.0.0'))) {
    dists[file.endsWith('.whl') ? 'wheel' : 'sdist'] = file;
  }
  const conflicting = await buildProject(
    'Alpha_Pkg',
    '1.0.0',
    'VALUE = "other"\n',
    join(base, 'dist-conflict'),
  );
  dists['conflicting'] = conflicting.find((f) => f.endsWith('.whl'))!;
  const config = join(base, 'serve.yaml');
  await writeFile(config, `# who may upload\nusers:\n  ${USER}: "${await hashPassword(PASSWORD, 4)}"\n`);
  await mkdir(indexDir);
  ({
    child: server,
    url: serverUrl,
    log: serverLog,
  } = await spawnServe(['--index-dir', indexDir, '--config', config]));
});

afterAll(async () => {
  if (server.exitCode === null) await stop(server);
  await rm(base, { recursive: true, force: true });
});

describe('pkg-index serve (push mode)', () => {
  test('twine uploads a wheel and an sdist; the pages list them with hashes and metadata', async () => {
    const run = await twine([dists['wheel']!, dists['sdist']!]);
    expect(run.all).not.toMatch(/error/i);
    expect(run.exitCode).toBe(0);

    const page = await projectJson('alpha-pkg');
    expect(page.name).toBe('alpha-pkg');
    expect(page.versions).toEqual(['1.0.0']);
    expect(page.files.map((f) => f.filename).sort()).toEqual(
      [basename(dists['sdist']!), basename(dists['wheel']!)].sort(),
    );
    for (const file of page.files) {
      const local = file.filename.endsWith('.whl') ? dists['wheel']! : dists['sdist']!;
      expect(file.hashes.sha256).toBe(await sha256Of(local));
      // The link resolves against the page URL, as pip resolves it.
      const bytes = Buffer.from(
        await (await fetch(new URL(file.url, `${serverUrl}/simple/alpha-pkg/`))).arrayBuffer(),
      );
      expect(bytes.equals(await readFile(local))).toBe(true);
    }
    const wheelUrl = new URL(
      page.files.find((f) => f.filename.endsWith('.whl'))!.url,
      `${serverUrl}/simple/alpha-pkg/`,
    );
    wheelUrl.hash = '';
    const metadata = await fetch(`${wheelUrl.href}.metadata`);
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toMatch(/^Name: Alpha_Pkg$/m);
  });

  test('an identical re-upload is accepted and changes nothing', async () => {
    const before = await snapshot(indexDir);
    const run = await twine([dists['wheel']!]);
    expect(run.exitCode).toBe(0);
    expect(await snapshot(indexDir)).toEqual(before);
  });

  test('a conflicting re-upload is refused with 409 and the index is unchanged', async () => {
    const before = await snapshot(indexDir);
    const run = await twine([dists['conflicting']!]);
    expect(run.exitCode).not.toBe(0);
    expect(run.all).toContain('409');
    expect(await snapshot(indexDir)).toEqual(before);
    expect(
      (await projectJson('alpha-pkg')).files.find((f) => f.filename.endsWith('.whl'))!.hashes.sha256,
    ).toBe(await sha256Of(dists['wheel']!));
  });

  test('unauthenticated and wrongly authenticated uploads are refused and change nothing', async () => {
    const before = await snapshot(indexDir);
    const bytes = await readFile(dists['conflicting']!);
    const anonymous = await upload({ name: basename(dists['conflicting']!), bytes }, {}, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="pkg-index"');
    const wrong = await twine([dists['conflicting']!], [USER, 'not-the-password']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.all).toContain('403');
    const stranger = await upload(
      { name: basename(dists['conflicting']!), bytes },
      {},
      { authorization: `Basic ${Buffer.from(`mallory:${PASSWORD}`).toString('base64')}` },
    );
    expect(stranger.status).toBe(403);
    expect(await snapshot(indexDir)).toEqual(before);
  });

  test('hostile and broken uploads get 400 with a reason and change nothing', async () => {
    const dir = await aTempDir('pkg-index-hostile-');
    const valid = await readFile(await aWheel(dir, { name: 'beta-pkg', version: '1.0' }));
    const cases: Array<{ name: string; bytes: Buffer; fields?: Record<string, string>; reason: RegExp }> = [
      {
        name: '<script>alert(1)</script>-1.0-py3-none-any.whl',
        bytes: valid,
        reason: /cannot be indexed: it has characters a distribution file name cannot hold/,
      },
      {
        name: '../beta_pkg-1.0-py3-none-any.whl',
        bytes: valid,
        reason: /cannot be indexed: it has characters a distribution file name cannot hold/,
      },
      {
        name: 'beta_pkg-1.0"onload="x-py3-none-any.whl',
        bytes: valid,
        reason: /cannot be indexed: it has characters a distribution file name cannot hold/,
      },
      {
        name: 'beta_pkg-1.0-py3-none-any.whl',
        bytes: Buffer.from('this is not a zip file'),
        reason: /zip|archive/i,
      },
      {
        name: 'beta_pkg-1.0-py3-none-any.whl',
        bytes: await readFile(
          await aWheel(join(dir, 'name'), { name: 'beta-pkg', version: '1.0', metaName: 'evil-pkg' }),
        ),
        reason: /evil-pkg/,
      },
      {
        name: 'beta_pkg-1.0-py3-none-any.whl',
        bytes: await readFile(
          await aWheel(join(dir, 'version'), { name: 'beta-pkg', version: '1.0', metaVersion: '6.6.6' }),
        ),
        reason: /6\.6\.6/,
      },
      {
        name: 'beta_pkg-1.0-py3-none-any.whl',
        bytes: valid,
        fields: { sha256_digest: '0'.repeat(64) },
        reason: /sha256_digest does not match/,
      },
      {
        name: 'beta_pkg-1.0-py3-none-any.whl',
        bytes: valid,
        fields: { ':action': 'submit' },
        reason: /unsupported :action/,
      },
      {
        name: 'beta_pkg-1.0-py3-none-any.whl',
        bytes: valid,
        fields: { name: 'alpha-pkg' },
        reason: /is not the project of/,
      },
    ];
    const before = await snapshot(indexDir);
    for (const hostile of cases) {
      const response = await upload({ name: hostile.name, bytes: hostile.bytes }, hostile.fields);
      expect({ name: hostile.name, status: response.status }).toEqual({ name: hostile.name, status: 400 });
      expect(response.text).toMatch(hostile.reason);
      expect(response.text).not.toContain('<script>');
    }
    expect(await snapshot(indexDir)).toEqual(before);
    expect((await fetch(`${serverUrl}/simple/beta-pkg/`)).status).toBe(404);
  });

  test('PEP 691 content negotiation, PEP 503 redirects, and no way out of the index directory', async () => {
    const pip = await fetch(`${serverUrl}/simple/`, {
      headers: {
        accept:
          'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01',
      },
    });
    expect(pip.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    expect(pip.headers.get('vary')).toBe('Accept');
    expect(((await pip.json()) as { meta: { 'api-version': string } }).meta['api-version']).toMatch(/^1\./);
    const browser = await fetch(`${serverUrl}/simple/alpha-pkg/`);
    expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await browser.text()).toContain('alpha_pkg-1.0.0');
    const latest = await fetch(`${serverUrl}/simple/alpha-pkg/`, {
      headers: { accept: 'application/vnd.pypi.simple.latest+html' },
    });
    expect(latest.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+html');
    const format = await fetch(`${serverUrl}/simple/alpha-pkg/?format=application/vnd.pypi.simple.v1+json`);
    expect(format.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    expect((await fetch(`${serverUrl}/simple/`, { headers: { accept: 'application/xml' } })).status).toBe(
      406,
    );

    const redirected = await fetch(`${serverUrl}/simple/Alpha_Pkg`, { redirect: 'manual' });
    expect(redirected.status).toBe(301);
    expect(redirected.headers.get('location')).toBe('/simple/alpha-pkg/');

    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        request(`${serverUrl}${path}`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    // Dot segments are resolved by the URL parser first: this is /etc/passwd, outside the routes.
    expect(await raw('/files/../../../../etc/passwd')).toBe(404);
    expect(await raw('/files/alpha-pkg/..%2F..%2Fserve.yaml')).toBe(400);
    expect(await raw('/files/alpha-pkg/%2e%2e%5Cserve.yaml')).toBe(400);
    expect(await raw('/files/%00/x.whl')).toBe(400);
    expect(await raw('/files/alpha-pkg/no-such-file.whl')).toBe(404);
  });

  test('several writers at once: concurrent uploads and a concurrent `pkg-index add` all land, consistently', async () => {
    const dir = await aTempDir('pkg-index-writers-');
    const [newer] = (await buildProject('Alpha_Pkg', '1.1.0', 'VALUE = 2\n', join(dir, 'alpha'))).filter(
      (f) => f.endsWith('.whl'),
    );
    const others = await Promise.all(
      ['gamma-pkg', 'delta-pkg', 'epsilon-pkg'].map((name) =>
        aWheel(join(dir, name), { name, version: '0.1' }),
      ),
    );
    const viaHttp = [newer!, others[0]!, others[1]!];
    const results = await Promise.all([
      ...viaHttp.map(async (file) => upload({ name: basename(file), bytes: await readFile(file) })),
      runCli(['add', others[2]!, '--index-dir', indexDir]),
    ]);
    expect(results.slice(0, 3).map((r) => (r as { status: number }).status)).toEqual([200, 200, 200]);
    expect((results[3] as { code: number }).code).toBe(EXIT.ok);

    const root = (await (
      await fetch(`${serverUrl}/simple/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })
    ).json()) as { projects: Array<{ name: string }> };
    expect(root.projects.map((p) => p.name).sort()).toEqual([
      'alpha-pkg',
      'delta-pkg',
      'epsilon-pkg',
      'gamma-pkg',
    ]);
    expect((await projectJson('alpha-pkg')).versions).toEqual(['1.0.0', '1.1.0']);
    // Every listed file exists with the listed hash.
    for (const project of root.projects) {
      for (const file of (await projectJson(project.name)).files) {
        const bytes = Buffer.from(
          await (await fetch(new URL(file.url, `${serverUrl}/simple/${project.name}/`))).arrayBuffer(),
        );
        const { createHash } = await import('node:crypto');
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.hashes.sha256);
      }
    }
  });

  test('a real wheel from PyPI with one member damaged: twine gets 400 naming the member, the index is unchanged', async () => {
    const six = await realDistribution('six==1.16.0');
    const dir = await aTempDir('pkg-index-damaged-');
    const bad = await damageMember(six, 'six.py', join(dir, basename(six)));
    const before = await treeSnapshot(indexDir);
    const run = await twine([bad]);
    expect(run.exitCode).not.toBe(0);
    expect(run.all).toContain('400');
    expect(run.all).toContain('is damaged: member six.py');
    // twine retries 5xx answers; a 400 is final, so the server saw the file once.
    expect(serverLog().split(`${basename(six)}: refused (400)`).length - 1).toBe(1);
    expect(await treeSnapshot(indexDir)).toEqual(before);
    expect((await fetch(`${serverUrl}/simple/six/`)).status).toBe(404);
  });

  test('a name too long for the index: 400 with the index’s own reason, no directory left behind', async () => {
    const six = await realDistribution('six==1.16.0');
    const before = await treeSnapshot(indexDir);
    for (const length of [247, 250, 255]) {
      const tag = `1${'a'.repeat(length - 'six-1.16.0--py2.py3-none-any.whl'.length - 1)}`;
      const name = `six-1.16.0-${tag}-py2.py3-none-any.whl`;
      expect(name).toHaveLength(length);
      const response = await upload({ name, bytes: await readFile(six) });
      expect({ length, status: response.status }).toEqual({ length, status: 400 });
      expect(response.text).toContain("a wheel's name may have at most 246 characters");
    }
    expect(await treeSnapshot(indexDir)).toEqual(before);
  });

  test('files answer Range requests with 206, and If-Range with another validator gets the whole file', async () => {
    const page = await projectJson('alpha-pkg');
    const url = new URL(
      page.files.find((f) => f.filename.endsWith('.whl'))!.url,
      `${serverUrl}/simple/alpha-pkg/`,
    );
    url.hash = '';
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    const part = async (range: string, extra: Record<string, string> = {}) => {
      const response = await fetch(url, { headers: { range, ...extra } });
      return {
        status: response.status,
        contentRange: response.headers.get('content-range'),
        bytes: Buffer.from(await response.arrayBuffer()),
      };
    };
    const size = whole.length;
    expect(await part('bytes=0-99')).toEqual({
      status: 206,
      contentRange: `bytes 0-99/${size}`,
      bytes: whole.subarray(0, 100),
    });
    expect(await part('bytes=-22')).toEqual({
      status: 206,
      contentRange: `bytes ${size - 22}-${size - 1}/${size}`,
      bytes: whole.subarray(size - 22),
    });
    expect(await part(`bytes=100-${size + 1000}`)).toEqual({
      status: 206,
      contentRange: `bytes 100-${size - 1}/${size}`,
      bytes: whole.subarray(100),
    });
    expect(await part(`bytes=${size}-`)).toMatchObject({ status: 416, contentRange: `bytes */${size}` });
    expect(await part('bytes=0-1,5-6')).toMatchObject({ status: 200, bytes: whole });
    expect(await part('bytes=0-9', { 'if-range': '"not-this-one"' })).toMatchObject({
      status: 200,
      bytes: whole,
    });
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    const etag = head.headers.get('etag')!;
    expect(await part('bytes=0-9', { 'if-range': etag })).toMatchObject({
      status: 206,
      bytes: whole.subarray(0, 10),
    });
  });

  test('clients that hang up, mid-file or right after the last byte, are not logged as errors', async () => {
    // A file far larger than the socket buffers, so a client can hang up while it is being sent.
    const dir = await aTempDir('pkg-index-large-');
    const large = join(dir, 'large_pkg-1.0-py3-none-any.whl');
    await execa('python3', ['-c', LARGE_WHEEL, large]);
    expect((await runCli(['add', large, '--index-dir', indexDir])).code).toBe(EXIT.ok);
    const path = `/files/large-pkg/${basename(large)}`;
    const size = (await readFile(large)).length;
    const logBefore = serverLog().length;
    const { connect } = await import('node:net');
    const port = Number(new URL(serverUrl).port);
    const hangUp = (after: number) =>
      new Promise<number>((resolve, reject) => {
        let received = 0;
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
        });
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= after) {
            socket.destroy();
            resolve(received);
          }
        });
        socket.on('error', reject);
      });
    await hangUp(64 * 1024);
    await hangUp(size);
    for (let i = 0; i < 3; i += 1) await hangUp(64 * 1024);
    // The server still answers, and a request after the hang-ups is served whole.
    expect(Buffer.from(await (await fetch(`${serverUrl}${path}`)).arrayBuffer()).length).toBe(size);
    expect(serverLog().slice(logBefore)).not.toMatch(/error|Premature close/i);
  });

  test('a missing index directory is refused (exit 6) and not created', async () => {
    const missing = join(base, 'no-such-index');
    const run = await runCli(['serve', '--index-dir', missing, '--port', '0']);
    expect(run.code).toBe(EXIT.config);
    expect(run.stderr).toContain(`the index directory ${missing} does not exist`);
    await expect(readdir(missing)).rejects.toThrow(/ENOENT/);
  });

  test('SIGTERM stops the server with exit 0', async () => {
    const other = await spawnServe(['--index-dir', indexDir]);
    // Without a config, uploads are refused outright.
    const response = await fetch(`${other.url}/`, { method: 'POST', headers: { authorization: AUTH } });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('uploads are disabled');
    expect(await stop(other.child)).toBe(0);
  });
});

describe('pkg-index add and hash-password', () => {
  test('add: added, then unchanged; other bytes → 14; not a distribution → 15; the index untouched by refusals', async () => {
    const dir = await aTempDir('pkg-index-add-');
    const index = join(dir, 'index');
    const wheel = await aWheel(join(dir, 'a'), { name: 'zeta-pkg', version: '1.0' });
    expect(await runCli(['add', wheel, '--index-dir', index])).toMatchObject({
      code: EXIT.ok,
      stdout: 'added zeta_pkg-1.0-py3-none-any.whl\n',
    });
    expect(await runCli(['add', wheel, '--index-dir', index])).toMatchObject({
      code: EXIT.ok,
      stdout: 'unchanged zeta_pkg-1.0-py3-none-any.whl\n',
    });
    const before = await snapshot(index);
    const other = await aWheel(join(dir, 'b'), { name: 'zeta-pkg', version: '1.0', code: 'VALUE = 2\n' });
    const conflict = await runCli(['add', other, '--index-dir', index]);
    expect(conflict.stderr).toContain('already in the index with other bytes');
    expect(conflict.code).toBe(EXIT.conflict);
    const broken = join(dir, 'zeta_pkg-2.0-py3-none-any.whl');
    await writeFile(broken, 'not a zip');
    const invalid = await runCli(['add', broken, '--index-dir', index]);
    expect(invalid.code).toBe(EXIT.invalidFile);
    expect(invalid.stderr).toContain('zeta_pkg-2.0-py3-none-any.whl');
    expect(await snapshot(index)).toEqual(before);
    expect(await runCli(['add', other, '--index-dir', index, '--replace'])).toMatchObject({
      code: EXIT.ok,
      stdout: 'replaced zeta_pkg-1.0-py3-none-any.whl\n',
    });
  });

  test('hash-password prints a bcrypt hash the server accepts, and never the password', async () => {
    const run = await runCli(['hash-password', '--cost', '4'], {
      readStdin: async () => 's3cret: with colon\n',
    });
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).not.toContain('s3cret');
    const hash = run.stdout.trim();
    const users = new Map([['bob', hash]]);
    const header = (password: string) => `Basic ${Buffer.from(`bob:${password}`).toString('base64')}`;
    expect(await verifyBasicAuth(header('s3cret: with colon'), users)).toEqual({ kind: 'ok', user: 'bob' });
    expect(await verifyBasicAuth(header('s3cret'), users)).toEqual({ kind: 'invalid' });
    expect((await runCli(['hash-password'], { readStdin: async () => '' })).code).toBe(EXIT.config);
  });
});
