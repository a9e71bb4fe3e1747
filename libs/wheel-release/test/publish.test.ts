import { appendFile, copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { isPackyardError, type PackyardError } from '@packyard/core';
import { provisionPythonTools, provisionTools } from '@packyard/python-tools';
import {
  startPypiServer,
  startTrustedPublishing,
  type PypiServer,
  type TrustedPublishing,
} from '@packyard/pypi-server';
import { publishRelease, uploadFailure, uploadWithTwine } from '../src/index.js';
import { FIXTURE_SHA, exampleReleaseDir } from './fixture-paths.js';

const WHEEL = 'yd_core-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl';
const SDIST = 'ydemo-0.1.0.tar.gz';
const PASSWORD = 'alice-upload-password-0f3a9c';
const PUBLISHER = { repository: 'acme/yd', workflow: 'release.yml', environment: 'release' };
// Setuptools for building the ydemo sdist at install time: the test index holds only our files.
const SETUPTOOLS = 'setuptools==80.9.0';

let dir: string;
let files: string[];
let pypi: PypiServer;
let front: TrustedPublishing;
// Every line publishRelease logged and every error message: grepped for secrets at the end.
const output: string[] = [];
const log = (line: string): void => {
  output.push(line);
};

async function failure(run: Promise<unknown>): Promise<PackyardError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isPackyardError(error)) throw new Error(`expected a PackyardError, got ${String(error)}`);
  output.push(error.format());
  return error;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wheel-release-publish-'));
  const dist = join(dir, 'dist');
  // The example's linux-amd64 wheel and sdist, built once by `nx run wheel-release-lib:fixtures`.
  await mkdir(dist);
  for (const name of [WHEEL, SDIST]) await copyFile(join(exampleReleaseDir(), name), join(dist, name));
  files = [join(dist, WHEEL), join(dist, SDIST)];
  pypi = await startPypiServer({ dir: join(dir, 'pypi'), users: { alice: PASSWORD } });
  front = await startTrustedPublishing({ pypi, publisher: PUBLISHER });
});

afterAll(async () => {
  await front?.stop();
  await pypi?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('publishRelease to pypiserver', () => {
  it('refuses without credentials before any request, and a dry run uploads nothing', async () => {
    const missing = await failure(
      publishRelease({ files, destination: { repositoryUrl: pypi.repositoryUrl }, env: {}, log }),
    );
    expect(missing.code).toBe('AUTH_MISSING');
    const dry = await publishRelease({
      files,
      destination: { repositoryUrl: pypi.repositoryUrl },
      env: {},
      dryRun: true,
      log,
    });
    expect(dry).toEqual({
      destination: pypi.repositoryUrl,
      uploaded: [WHEEL, SDIST],
      skipped: [],
      checked: [],
      dryRun: true,
      auth: 'none',
    });
    expect(await readdir(pypi.packagesDir)).toEqual([]);
  });

  it('passes a 403 through, naming the file, with the password nowhere in it', async () => {
    const refused = await failure(
      publishRelease({
        files,
        destination: { repositoryUrl: pypi.repositoryUrl },
        credentials: { username: 'alice', password: `${PASSWORD}-wrong` },
        env: {},
        log,
      }),
    );
    expect(refused.code).toBe('AUTH_FAILED');
    expect(refused.file).toBe(files[0]);
    expect(refused.message).toContain(`refused ${WHEEL} with HTTP 403`);
    expect(await readdir(pypi.packagesDir)).toEqual([]);
  });

  it('trusted publishing: refuses a job that is not the trusted publisher, before any upload', async () => {
    front.setJob({ ...PUBLISHER, workflow: 'ci.yml' });
    const refused = await failure(
      publishRelease({
        files,
        destination: { repositoryUrl: front.repositoryUrl },
        env: front.actionsEnv,
        log,
      }),
    );
    front.setJob(PUBLISHER);
    expect(refused.code).toBe('AUTH_FAILED');
    expect(refused.message).toContain('(HTTP 422): invalid-publisher');
    expect(await readdir(pypi.packagesDir)).toEqual([]);
  });

  it('trusted publishing: the index dies after the first file; the re-run uploads only the rest', async () => {
    let restarted: Promise<PypiServer> | undefined;
    const killing = (line: string): void => {
      log(line);
      if (line === `${WHEEL}: uploaded` && restarted === undefined) {
        restarted = pypi.kill().then(() => pypi);
      }
    };
    const down = await failure(
      publishRelease({
        files,
        destination: { repositoryUrl: front.repositoryUrl },
        env: front.actionsEnv,
        log: killing,
      }),
    );
    expect(down.code).toBe('INDEX_UNREACHABLE');
    expect(down.file).toBe(files[1]);
    await restarted;
    expect(await readdir(pypi.packagesDir)).toEqual([WHEEL]);

    // Same port and directory: the front passes uploads to the server that came back.
    pypi = await startPypiServer({ dir: join(dir, 'pypi'), port: pypi.port, users: pypi.users });
    const rerun = await publishRelease({
      files,
      destination: { repositoryUrl: front.repositoryUrl },
      env: front.actionsEnv,
      log,
    });
    expect(rerun).toEqual({
      destination: front.repositoryUrl,
      uploaded: [SDIST],
      skipped: [WHEEL],
      checked: [SDIST, WHEEL].sort(),
      dryRun: false,
      auth: 'trusted-publishing',
    });
    expect(await pypi.storedUploads()).toEqual([WHEEL, SDIST]);
    expect(front.mintStatuses).toEqual([422, 200, 200]);
  });

  it('re-publishing is a no-op; the same name with other bytes is refused with nothing uploaded', async () => {
    const again = await publishRelease({
      files,
      destination: { repositoryUrl: pypi.repositoryUrl },
      env: { TWINE_USERNAME: 'alice', TWINE_PASSWORD: PASSWORD },
      log,
    });
    expect(again).toMatchObject({
      uploaded: [],
      skipped: [SDIST, WHEEL].sort(),
      checked: [SDIST, WHEEL].sort(),
    });

    const other = join(dir, 'other');
    await mkdir(other);
    await copyFile(files[0]!, join(other, WHEEL));
    await appendFile(join(other, WHEEL), 'changed');
    const conflict = await failure(
      publishRelease({
        files: [join(other, WHEEL), files[1]!],
        destination: { repositoryUrl: pypi.repositoryUrl },
        env: { PYPI_TOKEN: 'pypi-unused-token' },
        log,
      }),
    );
    expect(conflict.code).toBe('STORE_CONFLICT');
    expect(conflict.file).toBe(join(other, WHEEL));
    expect(conflict.message).toContain('nothing was uploaded');
    expect(await pypi.storedUploads()).toEqual([WHEEL, SDIST]);
  });

  it("passes the index's 400 message through when an upload is refused", async () => {
    const { commands } = await provisionPythonTools({ tools: ['twine'] });
    const refused = await failure(
      uploadWithTwine({
        twine: commands.twine!.file,
        file: { filename: WHEEL, path: files[0]!, project: 'yd-core', sha256: '' },
        repositoryUrl: pypi.repositoryUrl,
        credentials: { username: 'alice', password: PASSWORD },
      }),
    );
    expect(refused.code).toBe('STORE_FAILED');
    expect(refused.message).toContain(`HTTP 400: Package '${WHEEL}' already exists!`);
    // PyPI puts its reason on the status line, which twine prints under the error.
    const pypiText =
      'ERROR    HTTPError: 400 Bad Request from https://upload.pypi.org/legacy/\n' +
      "         File already exists ('yd_core-0.1.0.tar.gz', with blake2_256 hash 'ab'). See https://pypi.org/help/#file-name-reuse\n";
    expect(
      uploadFailure({ filename: SDIST, path: '/x' }, 'https://upload.pypi.org/legacy/', pypiText).message,
    ).toBe(
      "https://upload.pypi.org/legacy/ refused ydemo-0.1.0.tar.gz with HTTP 400: File already exists ('yd_core-0.1.0.tar.gz', with blake2_256 hash 'ab'). See https://pypi.org/help/#file-name-reuse",
    );
    const missing = uploadFailure(
      { filename: SDIST, path: '/x' },
      'https://upload.pypi.org/legacy/',
      'ERROR    HTTPError: 401 Unauthorized from https://upload.pypi.org/legacy/\n         Unauthorized\n',
    );
    expect([missing.code, missing.message]).toEqual([
      'AUTH_FAILED',
      'https://upload.pypi.org/legacy/ refused ydemo-0.1.0.tar.gz with HTTP 401: Unauthorized',
    ]);
  });

  it('installs back with pip and with uv, and both programs print the version and the sha', async () => {
    const env = { PIP_FIND_LINKS: '', PIP_INDEX_URL: undefined, PIP_EXTRA_INDEX_URL: undefined };
    const pipVenv = join(dir, 'pip-venv');
    await execa('python3', ['-m', 'venv', pipVenv]);
    const pip = join(pipVenv, 'bin', 'pip');
    await execa(pip, ['install', '--no-input', SETUPTOOLS], { env });
    await execa(
      pip,
      ['install', '--no-input', '--no-build-isolation', '--index-url', pypi.indexUrl, 'ydemo==0.1.0'],
      {
        env,
      },
    );

    const { uv } = await provisionTools();
    const uvVenv = join(dir, 'uv-venv');
    const uvEnv = {
      ...env,
      UV_CACHE_DIR: join(dir, 'uv-cache'),
      UV_INDEX_URL: undefined,
      UV_FIND_LINKS: undefined,
    };
    await execa(uv, ['venv', '--python', 'python3', uvVenv], { env: uvEnv });
    const python = join(uvVenv, 'bin', 'python');
    await execa(uv, ['pip', 'install', '--python', python, SETUPTOOLS], { env: uvEnv });
    await execa(
      uv,
      [
        'pip',
        'install',
        '--python',
        python,
        '--no-build-isolation',
        '--index-url',
        pypi.indexUrl,
        'ydemo==0.1.0',
      ],
      { env: uvEnv },
    );

    for (const venv of [pipVenv, uvVenv]) {
      expect((await execa(join(venv, 'bin', 'ydemo'), ['--version'])).stdout).toBe(
        `ydemo 0.1.0 (${FIXTURE_SHA.slice(0, 8)})`,
      );
      expect((await execa(join(venv, 'bin', 'yd'), ['--version'])).stdout).toBe(
        `yd 0.1.0 (${FIXTURE_SHA.slice(0, 8)})`,
      );
    }
  });

  it('never prints a password or token', () => {
    expect(front.mintedTokens).toHaveLength(2);
    const text = output.join('\n');
    expect(text).toContain('trusted publishing: exchanged');
    for (const secret of [PASSWORD, front.actionsEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN, ...front.mintedTokens])
      expect(text).not.toContain(secret);
  });
});

describe('publishRelease to a local directory (no account, no token)', () => {
  it('writes a PEP 503/691 index, skips identical files on a re-run, and refuses other bytes', async () => {
    const index = join(dir, 'index');
    const first = await publishRelease({ files, destination: { directory: index }, env: {}, log });
    expect(first).toEqual({
      destination: index,
      uploaded: [WHEEL, SDIST].sort(),
      skipped: [],
      checked: [WHEEL, SDIST].sort(),
      dryRun: false,
      auth: 'none',
    });
    expect((await readdir(join(index, 'simple'))).sort()).toEqual([
      'index.html',
      'index.json',
      'yd-core',
      'ydemo',
    ]);
    const again = await publishRelease({ files, destination: { directory: index }, env: {}, log });
    expect(again).toMatchObject({ uploaded: [], skipped: [WHEEL, SDIST].sort() });
    const changed = join(dir, 'other', WHEEL);
    const conflict = await failure(
      publishRelease({ files: [changed], destination: { directory: index }, log }),
    );
    expect(conflict.code).toBe('STORE_CONFLICT');
  });
});
