import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startPypiServer,
  startTrustedPublishing,
  type PypiServer,
  type TrustedPublishing,
} from '../src/index.js';

// pypiserver checks only the file name of an upload; the bytes need not be a real wheel here.
const FILE = 'demo_pkg-0.1.0-py3-none-any.whl';
const BYTES = Buffer.from('not really a wheel, but pypiserver stores what it is given\n');

function upload(
  url: string,
  auth: string | undefined,
  options: { name?: string; bytes?: Buffer; userAgent?: string } = {},
): Promise<Response> {
  const form = new FormData();
  form.set(':action', 'file_upload');
  form.set('name', 'demo-pkg');
  form.set('version', '0.1.0');
  form.set('content', new Blob([options.bytes ?? BYTES]), options.name ?? FILE);
  const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'twine/7.0.0' };
  if (auth !== undefined) headers['authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
  return fetch(url, { method: 'POST', body: form, headers });
}

describe('pypiserver on loopback, with trusted publishing in front', () => {
  let pypi: PypiServer;
  let front: TrustedPublishing;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-pypi-server-'));
    pypi = await startPypiServer({ dir, users: { alice: 's3cret' } });
    front = await startTrustedPublishing({
      pypi,
      publisher: { repository: 'acme/yd', workflow: 'release.yml', environment: 'release' },
      job: { repository: 'acme/yd', workflow: 'release.yml', environment: 'release' },
    });
  });
  afterAll(async () => {
    await front?.stop();
    await pypi?.stop();
  });

  it('answers a missing password 401, a wrong one 403, a re-upload from twine 400, and lists sha256', async () => {
    // pypiserver answers before reading the body, so these carry none (a body could meet EPIPE).
    const bare = (auth?: string) =>
      fetch(pypi.repositoryUrl, {
        method: 'POST',
        headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
      });
    expect((await bare()).status).toBe(401);
    expect((await bare('alice:wrong')).status).toBe(403);
    expect(await readdir(pypi.packagesDir)).toEqual([]);

    expect((await upload(pypi.repositoryUrl, 'alice:s3cret')).status).toBe(200);
    const again = await upload(pypi.repositoryUrl, 'alice:s3cret', { bytes: Buffer.from('other') });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain(`Package &#039;${FILE}&#039; already exists!`);
    // Other clients get 409 for the same refusal.
    expect((await upload(pypi.repositoryUrl, 'alice:s3cret', { userAgent: 'curl/8' })).status).toBe(409);
    expect(await pypi.storedUploads()).toEqual([FILE]);

    const page = await (await fetch(`${pypi.indexUrl}demo-pkg/`)).text();
    const sha = createHash('sha256').update(BYTES).digest('hex');
    expect(page).toContain(`${FILE}#sha256=${sha}`);
    // No fallback to pypi.org: a project it does not hold is a 404.
    expect((await fetch(`${pypi.indexUrl}requests/`, { redirect: 'manual' })).status).toBe(404);
  });

  it('exchanges a GitHub OIDC token for an upload token, and refuses a job that is not the publisher', async () => {
    const { ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken } =
      front.actionsEnv;
    const { audience } = (await (await fetch(new URL('/_/oidc/audience', front.repositoryUrl))).json()) as {
      audience: string;
    };
    expect(audience).toBe('pypi');
    expect((await fetch(`${tokenUrl}&audience=${audience}`)).status).toBe(401);

    const idToken = async (): Promise<string> => {
      const answer = await fetch(`${tokenUrl}&audience=${audience}`, {
        headers: { authorization: `bearer ${requestToken}` },
      });
      return ((await answer.json()) as { value: string }).value;
    };
    const jwt = await idToken();
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      iss: 'https://token.actions.githubusercontent.com',
      aud: 'pypi',
      repository: 'acme/yd',
      environment: 'release',
      sub: 'repo:acme/yd:environment:release',
      job_workflow_ref: 'acme/yd/.github/workflows/release.yml@refs/tags/v0.1.0',
    });

    const mint = (token: string) =>
      fetch(new URL('/_/oidc/mint-token', front.repositoryUrl), {
        method: 'POST',
        body: JSON.stringify({ token }),
      });
    const minted = (await (await mint(jwt)).json()) as { success: boolean; token: string };
    expect(minted.success).toBe(true);
    expect(minted.token).toMatch(/^pypi-/);
    const name = 'demo_pkg-0.2.0-py3-none-any.whl';
    expect((await upload(front.repositoryUrl, `__token__:${minted.token}`, { name })).status).toBe(200);

    // A forged signature and another workflow are both refused with PyPI's error shape.
    const forged = `${jwt.slice(0, jwt.lastIndexOf('.'))}.${Buffer.from('x').toString('base64url')}`;
    const refusedForged = await mint(forged);
    expect(refusedForged.status).toBe(422);
    expect(await refusedForged.json()).toMatchObject({ errors: [{ code: 'invalid-token' }] });
    front.setJob({ repository: 'acme/yd', workflow: 'ci.yml', environment: 'release' });
    const refused = await mint(await idToken());
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      message: 'Token request failed',
      errors: [{ code: 'invalid-publisher' }],
    });
    expect(front.mintedTokens).toHaveLength(1);
    expect(await pypi.storedUploads()).toEqual([FILE, name]);
  });
});
