import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  PackyardError,
  isPackyardError,
  planByDigest,
  redactSecrets,
  registerSecret,
  sha256File,
  sleep,
  type RetryPolicy,
} from '@packyard/core';
import { createPypiClient, type IndexFile } from '@packyard/pypi-client';
import { provisionPythonTools } from '@packyard/python-tools';
import { addFilesToIndex, explainDistributionFilename, parseProjectJson } from '@packyard/wheel-index';

/** PyPI's upload endpoint: the default `repositoryUrl`. */
export const PYPI_UPLOAD_URL = 'https://upload.pypi.org/legacy/';

/** Where `publishRelease` publishes: an index twine speaks, or a local directory index. */
export type PublishDestination =
  | {
      /** Upload URL (`twine upload --repository-url`); default PYPI_UPLOAD_URL. */
      repositoryUrl?: string;
      /** The simple index read before and after uploading; default derived by `deriveIndexUrl`. */
      indexUrl?: string;
    }
  | {
      /** A PEP 503/691 static index written with @packyard/wheel-index: needs no account or token. */
      directory: string;
    };

/** Explicit credentials; otherwise they come from the environment (see `resolvePublishCredentials`). */
export type PublishCredentials = { token: string } | { username: string; password: string };

/** What `publishRelease` publishes, where, and how. */
export interface PublishReleaseInput {
  /** Paths of the wheels and sdists; all of them or none are uploaded when any conflicts. */
  files: readonly string[];
  destination: PublishDestination;
  credentials?: PublishCredentials;
  /** Read for credentials (PYPI_TOKEN, TWINE_USERNAME/TWINE_PASSWORD, ACTIONS_ID_TOKEN_*); default process.env. */
  env?: Record<string, string | undefined>;
  /** Everything but the upload: files checked, index asked, plan returned; no credentials resolved. */
  dryRun?: boolean;
  /** Directory destinations only: replace a file whose bytes differ (an index never allows it). */
  replace?: boolean;
  /** packyard's home, for the pinned twine; default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  log?: (line: string) => void;
  fetch?: typeof fetch;
  /** Retries of index reads; default core's policy. */
  retry?: RetryPolicy;
  /** How often the read-back asks again for files the index does not list yet (PyPI's CDN); default 5. */
  readBackAttempts?: number;
}

/** What `publishRelease` did, by file name (sorted). */
export interface PublishResult {
  /** Upload URL, or the directory. */
  destination: string;
  /** Uploaded by this run (in a dry run: would be uploaded). */
  uploaded: string[];
  /** Already there with the same sha256: nothing sent. */
  skipped: string[];
  /** Read back from the destination after publishing with a matching sha256 (empty in a dry run). */
  checked: string[];
  dryRun: boolean;
  /** Where the credentials came from; `none` for directories and dry runs. */
  auth: CredentialSource | 'none';
}

/** How `publishRelease` authenticates to an index. */
export type CredentialSource = 'explicit' | 'PYPI_TOKEN' | 'TWINE_PASSWORD' | 'trusted-publishing';

/** One local file: its name, path and sha256. */
export interface LocalFile {
  filename: string;
  path: string;
  project: string;
  sha256: string;
}

/** What the destination holds under a file's name: its sha256, if it says. */
export type RemoteHashes = ReadonlyMap<string, string | undefined>;

/** The plan: which files to upload, which to skip, which conflict. Pure data. */
export interface PublishPlan {
  upload: LocalFile[];
  skip: LocalFile[];
  conflicts: Array<{ file: LocalFile; remoteSha256: string | undefined }>;
}

/**
 * Compares local files with what the destination holds, by name and sha256. Pure. Wheels are
 * uploaded before sdists, so an sdist that pins a wheel's version never lands before the wheel.
 */
export function planPublish(files: readonly LocalFile[], remote: RemoteHashes): PublishPlan {
  const plan: PublishPlan = { upload: [], skip: [], conflicts: [] };
  for (const file of files) {
    const stored = remote.has(file.filename) ? { sha256: remote.get(file.filename) } : undefined;
    const byDigest = planByDigest(stored, file.sha256);
    if (byDigest.action === 'upload') plan.upload.push(file);
    else if (byDigest.action === 'skip') plan.skip.push(file);
    else plan.conflicts.push({ file, remoteSha256: stored?.sha256 });
  }
  plan.upload.sort((a, b) => uploadOrder(a) - uploadOrder(b) || compare(a.filename, b.filename));
  return plan;
}

/** The simple index an upload URL is read back from: PyPI's and TestPyPI's, else `<url>/simple/`. Pure. */
export function deriveIndexUrl(repositoryUrl: string): string {
  const url = new URL(repositoryUrl);
  if (url.host === 'upload.pypi.org') return 'https://pypi.org/simple/';
  if (url.host === 'test.pypi.org') return 'https://test.pypi.org/simple/';
  const base = url.pathname.replace(/legacy\/?$/, '').replace(/\/?$/, '/');
  return new URL(`${base}simple/`, url).href;
}

/**
 * Publishes distribution files idempotently by sha256, read from the destination itself:
 * 1. checks every file (it exists, its name is a valid wheel or sdist name, no two share a name);
 * 2. asks the destination what it holds: identical → skipped; same name with other bytes → nothing
 *    is uploaded at all (STORE_CONFLICT, naming every such file); missing → to upload;
 * 3. (not in a dry run) resolves credentials and uploads the missing files one by one with the
 *    pinned twine, wheels first; a failure names the file and what the index said, and a re-run
 *    picks up where it stopped;
 * 4. reads the destination back and compares every file's sha256 (VERIFY_FAILED on a mismatch).
 * A directory destination goes through addFilesToIndex (atomic, locked) and is read back from its
 * PEP 691 pages and the stored files. Tokens never appear in any log line or error.
 */
export async function publishRelease(input: PublishReleaseInput): Promise<PublishResult> {
  const log = (line: string): void => input.log?.(redactSecrets(line));
  const dryRun = input.dryRun === true;
  const files = await readLocalFiles(input.files);
  if ('directory' in input.destination) {
    return publishToDirectory(resolve(input.destination.directory), files, input, dryRun, log);
  }
  const repositoryUrl = input.destination.repositoryUrl ?? PYPI_UPLOAD_URL;
  if (!URL.canParse(repositoryUrl)) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `the repository URL ${JSON.stringify(repositoryUrl)} is not a URL`,
      {
        field: 'repositoryUrl',
        value: redactSecrets(repositoryUrl),
      },
    );
  }
  if (input.replace === true) {
    throw new PackyardError('CONFIG_INVALID', 'a package index never lets a published file be replaced', {
      field: 'replace',
      value: true,
      hint: 'release a new version (or a post release) instead',
    });
  }
  const env = input.env ?? process.env;
  // Whether there is any credential is known without a request: refuse before the first one.
  if (!dryRun) pickCredentialSource(input.credentials, env, repositoryUrl);
  const indexUrl = input.destination.indexUrl ?? deriveIndexUrl(repositoryUrl);
  const readIndex = indexReader(indexUrl, input);
  const remote = await readIndex(files);
  const plan = planPublish(files, remote);
  refuseConflicts(plan, indexUrl);
  for (const file of plan.skip) log(`${file.filename}: already on ${indexUrl} with the same sha256, skipped`);
  if (dryRun) {
    for (const file of plan.upload) log(`${file.filename}: would upload to ${repositoryUrl} (dry run)`);
    return result(repositoryUrl, plan, [], true, 'none');
  }

  if (plan.upload.length === 0) {
    const checked = await readBack(files, readIndex, indexUrl, 1, log);
    return result(
      repositoryUrl,
      plan,
      checked,
      false,
      pickCredentialSource(input.credentials, env, repositoryUrl),
    );
  }
  const credentials = await resolvePublishCredentials({
    repositoryUrl,
    env,
    ...(input.credentials ? { credentials: input.credentials } : {}),
    ...(input.fetch ? { fetch: input.fetch } : {}),
    log,
  });
  const twine = await provisionPythonTools({
    tools: ['twine'],
    ...(input.home ? { home: input.home } : {}),
    log,
  });
  for (const [n, file] of plan.upload.entries()) {
    log(`[${n + 1}/${plan.upload.length}] uploading ${file.filename} to ${repositoryUrl}`);
    await uploadWithTwine({ twine: twine.commands.twine!.file, file, repositoryUrl, credentials });
    log(`${file.filename}: uploaded`);
  }
  const checked = await readBack(files, readIndex, indexUrl, input.readBackAttempts ?? 5, log);
  return result(repositoryUrl, plan, checked, false, credentials.source);
}

/** Credentials ready for twine: the user name, the password or token, and where they came from. */
export interface ResolvedCredentials {
  username: string;
  password: string;
  source: CredentialSource;
}

/** Inputs of `resolvePublishCredentials`. */
export interface ResolveCredentialsInput {
  repositoryUrl: string;
  credentials?: PublishCredentials;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

/**
 * Picks the credentials, first match wins: explicit ones; `PYPI_TOKEN` (user `__token__`);
 * `TWINE_PASSWORD` with `TWINE_USERNAME` (default `__token__`); on GitHub Actions
 * (`ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` set) the trusted-publishing
 * exchange against the index's `/_/oidc/audience` and `/_/oidc/mint-token`. Else AUTH_MISSING,
 * before any request. Every secret is registered so no message prints it.
 */
export async function resolvePublishCredentials(
  input: ResolveCredentialsInput,
): Promise<ResolvedCredentials> {
  const { env } = input;
  pickCredentialSource(input.credentials, env, input.repositoryUrl);
  const nonEmpty = (value: string | undefined): string | undefined =>
    value !== undefined && value !== '' ? value : undefined;
  if (input.credentials !== undefined) {
    const creds =
      'token' in input.credentials
        ? { username: '__token__', password: input.credentials.token }
        : input.credentials;
    registerSecret(creds.password);
    return { ...creds, source: 'explicit' };
  }
  const token = nonEmpty(env['PYPI_TOKEN']);
  if (token !== undefined) {
    registerSecret(token);
    return { username: '__token__', password: token, source: 'PYPI_TOKEN' };
  }
  const password = nonEmpty(env['TWINE_PASSWORD']);
  if (password !== undefined) {
    registerSecret(password);
    return { username: nonEmpty(env['TWINE_USERNAME']) ?? '__token__', password, source: 'TWINE_PASSWORD' };
  }
  const requestUrl = nonEmpty(env['ACTIONS_ID_TOKEN_REQUEST_URL']);
  const requestToken = nonEmpty(env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
  if (requestUrl !== undefined && requestToken !== undefined) {
    registerSecret(requestToken);
    const minted = await exchangeTrustedPublishingToken({
      repositoryUrl: input.repositoryUrl,
      requestUrl,
      requestToken,
      fetch: input.fetch ?? globalThis.fetch,
      log: input.log ?? (() => {}),
    });
    return { username: '__token__', password: minted, source: 'trusted-publishing' };
  }
  throw missingCredentials(input.repositoryUrl);
}

/** Which credential source `resolvePublishCredentials` would use, from the inputs alone; AUTH_MISSING if none. Pure. */
export function pickCredentialSource(
  credentials: PublishCredentials | undefined,
  env: Record<string, string | undefined>,
  repositoryUrl: string,
): CredentialSource {
  const set = (name: string): boolean => (env[name] ?? '') !== '';
  if (credentials !== undefined) return 'explicit';
  if (set('PYPI_TOKEN')) return 'PYPI_TOKEN';
  if (set('TWINE_PASSWORD')) return 'TWINE_PASSWORD';
  if (set('ACTIONS_ID_TOKEN_REQUEST_URL') && set('ACTIONS_ID_TOKEN_REQUEST_TOKEN'))
    return 'trusted-publishing';
  throw missingCredentials(repositoryUrl);
}

function missingCredentials(repositoryUrl: string): PackyardError {
  return new PackyardError('AUTH_MISSING', `no credentials to upload to ${redactSecrets(repositoryUrl)}`, {
    field: 'PYPI_TOKEN',
    hint: 'set PYPI_TOKEN (or TWINE_USERNAME and TWINE_PASSWORD), or run on GitHub Actions with `permissions: id-token: write` and a trusted publisher configured on the index',
  });
}

/**
 * Trusted publishing (https://docs.pypi.org/trusted-publishers/using-a-publisher/): asks the index
 * for its audience, gets a GitHub Actions OIDC token for it, and exchanges that for a short-lived
 * API token. The OIDC endpoints live on the upload URL's host, as pypa's publish action finds them.
 */
async function exchangeTrustedPublishingToken(input: {
  repositoryUrl: string;
  requestUrl: string;
  requestToken: string;
  fetch: typeof fetch;
  log: (line: string) => void;
}): Promise<string> {
  const origin = new URL(input.repositoryUrl).origin;
  const audienceUrl = `${origin}/_/oidc/audience`;
  const audienceBody = await requestJson(input.fetch, audienceUrl, {}, 'the trusted-publishing audience');
  const audience = (audienceBody.json as { audience?: unknown } | undefined)?.audience;
  if (!audienceBody.ok || typeof audience !== 'string') {
    throw new PackyardError(
      'AUTH_FAILED',
      `${audienceUrl} answered HTTP ${audienceBody.status} without an audience: the index may not support trusted publishing`,
      { value: audienceUrl, hint: 'give a token (PYPI_TOKEN) for this index instead' },
    );
  }
  const separator = input.requestUrl.includes('?') ? '&' : '?';
  const oidcUrl = `${input.requestUrl}${separator}audience=${encodeURIComponent(audience)}`;
  const oidc = await requestJson(
    input.fetch,
    oidcUrl,
    { headers: { Authorization: `bearer ${input.requestToken}` } },
    'the GitHub Actions OIDC token',
  );
  const idToken = (oidc.json as { value?: unknown } | undefined)?.value;
  if (!oidc.ok || typeof idToken !== 'string') {
    throw new PackyardError('AUTH_FAILED', `GitHub Actions refused an OIDC token (HTTP ${oidc.status})`, {
      field: 'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      hint: 'give the publishing job `permissions: id-token: write`',
    });
  }
  registerSecret(idToken);
  const mintUrl = `${origin}/_/oidc/mint-token`;
  const mint = await requestJson(
    input.fetch,
    mintUrl,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: idToken }),
    },
    'a trusted-publishing token',
  );
  const body = mint.json as { token?: unknown; message?: unknown; errors?: unknown } | undefined;
  if (!mint.ok || typeof body?.token !== 'string') {
    const reasons = Array.isArray(body?.errors)
      ? (body.errors as Array<{ code?: unknown; description?: unknown }>)
          .map((error) => `${String(error.code)}: ${String(error.description)}`)
          .join('; ')
      : '';
    throw new PackyardError(
      'AUTH_FAILED',
      `${mintUrl} refused the trusted-publishing exchange (HTTP ${mint.status})${reasons ? `: ${reasons}` : ''}`,
      {
        value: mintUrl,
        hint: 'the trusted publisher on the index must name this repository, workflow file and environment',
      },
    );
  }
  registerSecret(body.token);
  input.log(`trusted publishing: exchanged the job's OIDC token for a short-lived upload token`);
  return body.token;
}

async function requestJson(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  what: string,
): Promise<{ ok: boolean; status: number; json: unknown }> {
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new PackyardError('INDEX_UNREACHABLE', `cannot ask ${redactSecrets(url)} for ${what}`, {
      value: redactSecrets(url),
      cause: error,
    });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { ok: response.ok, status: response.status, json };
}

/** Inputs of one twine upload. */
export interface TwineUpload {
  twine: string;
  file: LocalFile;
  repositoryUrl: string;
  credentials: Pick<ResolvedCredentials, 'username' | 'password'>;
  /** Added to process.env for twine (e.g. TWINE_CERT); credentials always come from `credentials`. */
  env?: Record<string, string | undefined>;
}

/**
 * Uploads one file with `twine upload --repository-url … --non-interactive`, credentials in
 * TWINE_USERNAME/TWINE_PASSWORD (never in argv), no keyring, no ~/.pypirc. A refusal becomes
 * AUTH_FAILED (401, 403) or STORE_FAILED (400 and others) naming the file and passing the index's
 * message through; a dropped connection is INDEX_UNREACHABLE.
 */
export async function uploadWithTwine(upload: TwineUpload): Promise<void> {
  const { execa } = await import('execa');
  const run = await execa(
    upload.twine,
    [
      '--no-color',
      'upload',
      '--repository-url',
      upload.repositoryUrl,
      '--non-interactive',
      '--disable-progress-bar',
      '--verbose',
      upload.file.path,
    ],
    {
      env: {
        ...process.env,
        ...upload.env,
        TWINE_USERNAME: upload.credentials.username,
        TWINE_PASSWORD: upload.credentials.password,
        TWINE_REPOSITORY: undefined,
        TWINE_REPOSITORY_URL: undefined,
        PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
        COLUMNS: '200',
        NO_COLOR: '1',
      },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      all: true,
    },
  );
  if (run.exitCode === 0) return;
  throw uploadFailure(upload.file, upload.repositoryUrl, String(run.all ?? ''));
}

/** Turns twine's output for a failed upload into a typed error naming the file. Pure. */
export function uploadFailure(
  file: Pick<LocalFile, 'filename' | 'path'>,
  repositoryUrl: string,
  output: string,
): PackyardError {
  const text = redactSecrets(output);
  const http = /HTTPError:\s+(\d{3})\s+([^\n]*?)\s+from\s+\S+\s*\n\s*([^\n]*)/.exec(text);
  const where = redactSecrets(repositoryUrl);
  if (http !== null) {
    const status = Number(http[1]);
    const reason = indexMessage(text) ?? (http[3]?.trim() || http[2]?.trim() || '');
    if (status === 401 || status === 403) {
      return new PackyardError(
        'AUTH_FAILED',
        `${where} refused ${file.filename} with HTTP ${status}: ${reason}`,
        {
          file: file.path,
          value: status,
          hint: 'check the token or password (PYPI_TOKEN, TWINE_USERNAME/TWINE_PASSWORD) and that it may upload this project',
        },
      );
    }
    return new PackyardError(
      'STORE_FAILED',
      `${where} refused ${file.filename} with HTTP ${status}: ${reason}`,
      {
        file: file.path,
        value: status,
        hint:
          status === 400
            ? 'the index rejected the file itself; fix what it says, and release a new version if the name was used before'
            : 'try again; a re-run uploads only what the index does not have',
      },
    );
  }
  if (
    /ConnectionError|Connection refused|Connection aborted|RemoteDisconnected|Max retries exceeded/.test(text)
  ) {
    return new PackyardError(
      'INDEX_UNREACHABLE',
      `the connection to ${where} failed while uploading ${file.filename}`,
      {
        file: file.path,
        hint: 'try again once the index is back; a re-run uploads only what the index does not have',
      },
    );
  }
  const tail = text.trim().split('\n').slice(-8).join('\n');
  return new PackyardError('STORE_FAILED', `twine could not upload ${file.filename} to ${where}:\n${tail}`, {
    file: file.path,
  });
}

// pypiserver (bottle) puts its reason in the HTML error page's <pre>; PyPI puts it in the status line.
function indexMessage(output: string): string | undefined {
  const pre = /<pre>([\s\S]*?)<\/pre>/.exec(output);
  if (pre === null) return undefined;
  return (pre[1] ?? '')
    .replace(/&#0?39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

async function readLocalFiles(paths: readonly string[]): Promise<LocalFile[]> {
  if (paths.length === 0) {
    throw new PackyardError('CONFIG_INVALID', 'no files to publish', { field: 'files', value: '[]' });
  }
  const files: LocalFile[] = [];
  const byName = new Map<string, string>();
  for (const given of paths) {
    const path = resolve(given);
    const filename = basename(path);
    const parsed = explainDistributionFilename(filename);
    if (typeof parsed === 'string') {
      throw new PackyardError('CONFIG_INVALID', `${filename} is not a wheel or sdist name: ${parsed}`, {
        file: path,
        value: filename,
      });
    }
    const twin = byName.get(filename);
    if (twin !== undefined) {
      throw new PackyardError('CONFIG_INVALID', `two files are named ${filename} (${twin} and ${path})`, {
        file: path,
        value: filename,
      });
    }
    byName.set(filename, path);
    let sha256: string;
    try {
      sha256 = await sha256File(path);
    } catch (error) {
      throw new PackyardError('CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`, {
        file: path,
        cause: error,
      });
    }
    files.push({ filename, path, project: parsed.normalizedName, sha256 });
  }
  return files;
}

function indexReader(
  indexUrl: string,
  input: PublishReleaseInput,
): (files: readonly LocalFile[]) => Promise<Map<string, string | undefined>> {
  const client = createPypiClient({
    indexUrl,
    ...(input.fetch ? { fetch: input.fetch } : {}),
    ...(input.retry ? { retry: input.retry } : {}),
    userAgent: 'packyard-wheel-release/0.1.0',
  });
  return async (files) => {
    const remote = new Map<string, string | undefined>();
    for (const project of new Set(files.map((file) => file.project))) {
      let listed: IndexFile[];
      try {
        listed = (await client.listVersions(project, { includePrereleases: true })).files;
      } catch (error) {
        if (isPackyardError(error, 'INDEX_NOT_FOUND')) continue;
        throw error;
      }
      for (const file of listed) remote.set(file.filename, file.sha256);
    }
    return remote;
  };
}

function refuseConflicts(plan: PublishPlan, where: string): void {
  if (plan.conflicts.length === 0) return;
  const names = plan.conflicts.map(({ file, remoteSha256 }) =>
    remoteSha256 === undefined
      ? `${file.filename} (listed without a sha256, so it cannot be compared)`
      : `${file.filename} (index sha256 ${remoteSha256}, this file ${file.sha256})`,
  );
  const first = plan.conflicts[0]!.file;
  throw new PackyardError(
    'STORE_CONFLICT',
    `${where} already has ${names.join(', ')} with other bytes; nothing was uploaded`,
    {
      file: first.path,
      field: 'sha256',
      value: first.sha256,
      hint: 'a published file never changes: bump the version and build again',
    },
  );
}

async function readBack(
  files: readonly LocalFile[],
  readIndex: (files: readonly LocalFile[]) => Promise<Map<string, string | undefined>>,
  where: string,
  attempts: number,
  log: (line: string) => void,
): Promise<string[]> {
  // PyPI serves simple pages through a CDN: a page can lag an upload briefly, so a missing file is
  // asked for again; a listed file with other bytes is final.
  for (let attempt = 1; ; attempt++) {
    const remote = await readIndex(files);
    const wrong = files.filter(
      (file) => remote.has(file.filename) && remote.get(file.filename) !== file.sha256,
    );
    if (wrong.length > 0) {
      throw new PackyardError(
        'VERIFY_FAILED',
        `${where} lists ${wrong.map((file) => `${file.filename} with sha256 ${remote.get(file.filename) ?? 'none'} (this file ${file.sha256})`).join(', ')}`,
        { file: wrong[0]!.path, field: 'sha256', value: wrong[0]!.sha256 },
      );
    }
    const missing = files.filter((file) => !remote.has(file.filename));
    if (missing.length === 0) {
      log(`read back ${files.length} file(s) from ${where}: every sha256 matches`);
      return files.map((file) => file.filename).sort(compare);
    }
    if (attempt >= attempts) {
      throw new PackyardError(
        'VERIFY_FAILED',
        `${where} does not list ${missing.map((file) => file.filename).join(', ')} after the upload`,
        { file: missing[0]!.path, hint: 'publish again: a re-run uploads only what is missing' },
      );
    }
    await sleep(Math.min(1000 * 2 ** (attempt - 1), 15_000));
  }
}

async function publishToDirectory(
  directory: string,
  files: LocalFile[],
  input: PublishReleaseInput,
  dryRun: boolean,
  log: (line: string) => void,
): Promise<PublishResult> {
  const remote = await readDirectoryIndex(directory, files);
  const plan = planPublish(files, new Map([...remote].map(([name, entry]) => [name, entry.sha256])));
  if (input.replace !== true) refuseConflicts(plan, directory);
  if (dryRun) {
    for (const file of plan.upload) log(`${file.filename}: would add to ${directory} (dry run)`);
    return result(directory, plan, [], true, 'none');
  }
  const added = await addFilesToIndex(
    directory,
    [...plan.upload, ...(input.replace === true ? plan.conflicts.map((c) => c.file) : [])].map((f) => f.path),
    input.replace === true ? { replace: true } : {},
  ).catch((error: unknown) => {
    if (isPackyardError(error, 'CONFLICT')) {
      throw new PackyardError('STORE_CONFLICT', error.message, {
        file: error.file,
        field: error.field,
        value: error.value,
        hint: error.hint,
        cause: error,
      });
    }
    throw error;
  });
  for (const name of [...added.added, ...added.replaced]) log(`${name}: added to ${directory}`);
  // Read back what the index now lists, and hash the stored files themselves.
  const after = await readDirectoryIndex(directory, files);
  for (const file of files) {
    const entry = after.get(file.filename);
    const stored =
      entry?.path === undefined ? undefined : await sha256File(entry.path).catch(() => undefined);
    if (entry?.sha256 !== file.sha256 || stored !== file.sha256) {
      throw new PackyardError(
        'VERIFY_FAILED',
        `${directory} does not hold ${file.filename} with sha256 ${file.sha256} (page says ${entry?.sha256 ?? 'nothing'}, stored file ${stored ?? 'missing'})`,
        { file: file.path, field: 'sha256', value: file.sha256 },
      );
    }
  }
  const uploaded = {
    ...plan,
    upload: [...plan.upload, ...(input.replace === true ? plan.conflicts.map((c) => c.file) : [])],
  };
  return result(directory, uploaded, files.map((f) => f.filename).sort(compare), false, 'none');
}

async function readDirectoryIndex(
  directory: string,
  files: readonly LocalFile[],
): Promise<Map<string, { sha256: string | undefined; path: string | undefined }>> {
  const remote = new Map<string, { sha256: string | undefined; path: string | undefined }>();
  for (const project of new Set(files.map((file) => file.project))) {
    const pageDir = join(directory, 'simple', project);
    const pagePath = join(pageDir, 'index.json');
    let text: string;
    try {
      text = await readFile(pagePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const entry of parseProjectJson(text, pagePath).files) {
      const local = URL.canParse(entry.url) ? undefined : resolve(pageDir, decodeURIComponent(entry.url));
      remote.set(entry.filename, { sha256: entry.hashes['sha256'], path: local });
    }
  }
  return remote;
}

function result(
  destination: string,
  plan: Pick<PublishPlan, 'upload' | 'skip'>,
  checked: string[],
  dryRun: boolean,
  auth: PublishResult['auth'],
): PublishResult {
  return {
    destination: redactSecrets(destination),
    uploaded: plan.upload.map((file) => file.filename).sort(compare),
    skipped: plan.skip.map((file) => file.filename).sort(compare),
    checked,
    dryRun,
    auth,
  };
}

function uploadOrder(file: LocalFile): number {
  return file.filename.endsWith('.whl') ? 0 : 1;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
