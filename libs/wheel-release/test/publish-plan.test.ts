import { isPackyardError } from '@packyard/core';
import {
  deriveIndexUrl,
  pickCredentialSource,
  planPublish,
  publishRelease,
  type LocalFile,
} from '../src/index.js';

const file = (filename: string, sha256: string): LocalFile => ({
  filename,
  path: `/dist/${filename}`,
  project: filename.split('-')[0]!.replace(/_/g, '-'),
  sha256,
});

describe('planPublish', () => {
  it('skips identical files, uploads missing ones wheels first, and reports other bytes as conflicts', () => {
    const sdist = file('ydemo-0.1.0.tar.gz', 'aa');
    const amd64 = file('yd_core-0.1.0-py3-none-manylinux_2_17_x86_64.whl', 'bb');
    const arm64 = file('yd_core-0.1.0-py3-none-manylinux_2_17_aarch64.whl', 'cc');
    const plan = planPublish([sdist, amd64, arm64], new Map([[arm64.filename, 'cc']]));
    expect(plan.upload.map((f) => f.filename)).toEqual([amd64.filename, sdist.filename]);
    expect(plan.skip).toEqual([arm64]);
    expect(plan.conflicts).toEqual([]);
    const clash = planPublish([sdist], new Map([[sdist.filename, 'ff']]));
    expect(clash.conflicts).toEqual([{ file: sdist, remoteSha256: 'ff' }]);
    // An index that lists the name without a digest cannot prove the bytes equal: a conflict too.
    expect(planPublish([sdist], new Map([[sdist.filename, undefined]])).conflicts).toHaveLength(1);
  });
});

describe('deriveIndexUrl', () => {
  it('reads PyPI and TestPyPI back from their simple indexes, any other index from <url>/simple/', () => {
    expect(deriveIndexUrl('https://upload.pypi.org/legacy/')).toBe('https://pypi.org/simple/');
    expect(deriveIndexUrl('https://test.pypi.org/legacy/')).toBe('https://test.pypi.org/simple/');
    expect(deriveIndexUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/simple/');
    expect(deriveIndexUrl('https://devpi.example/root/prod/legacy')).toBe(
      'https://devpi.example/root/prod/simple/',
    );
  });
});

describe('pickCredentialSource', () => {
  it('prefers explicit credentials, then PYPI_TOKEN, TWINE_PASSWORD, then the Actions OIDC variables', () => {
    const oidc = { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' };
    const url = 'https://upload.pypi.org/legacy/';
    expect(pickCredentialSource({ token: 'x' }, { PYPI_TOKEN: 'y' }, url)).toBe('explicit');
    expect(pickCredentialSource(undefined, { ...oidc, PYPI_TOKEN: 'y' }, url)).toBe('PYPI_TOKEN');
    expect(pickCredentialSource(undefined, { ...oidc, TWINE_PASSWORD: 'y' }, url)).toBe('TWINE_PASSWORD');
    expect(pickCredentialSource(undefined, oidc, url)).toBe('trusted-publishing');
    // One of the two Actions variables is not enough (the job lacks `id-token: write`).
    expect(() =>
      pickCredentialSource(undefined, { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', PYPI_TOKEN: '' }, url),
    ).toThrow(expect.objectContaining({ code: 'AUTH_MISSING' }));
  });
});

describe('publishRelease input checks', () => {
  it('names a file that is not a distribution, and a missing one, before any request', async () => {
    const run = (files: string[]) =>
      publishRelease({
        files,
        destination: { repositoryUrl: 'http://127.0.0.1:9/' },
        env: { PYPI_TOKEN: 'x' },
      }).catch((error: unknown) => error);
    const bad = await run(['/tmp/not-a-wheel.txt']);
    expect(isPackyardError(bad, 'CONFIG_INVALID') && bad.file).toBe('/tmp/not-a-wheel.txt');
    const missing = await run(['/nonexistent/ydemo-0.1.0.tar.gz']);
    expect(isPackyardError(missing, 'CONFIG_INVALID') && missing.file).toBe(
      '/nonexistent/ydemo-0.1.0.tar.gz',
    );
  });
});
