/**
 * The pipeline against GitHub (packyard's emulator on loopback), the way CI runs it: four platform
 * runners, each its own process and checkout, started at once; then one finalising step.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { startGitHubEmulator, type GitHubEmulator } from '@packyard/github-emulator';
import { parseBodyBlock } from '@packyard/github-releases';
import { ALL_PLATFORMS, formatPlatform } from '@packyard/hermit-pex-pipeline';
import { aWorkspace } from './helpers.js';

const MAIN = join(import.meta.dirname, '../dist/main.js');
const TOKEN = 'ghp_e2etoken0123456789abcdefghijklmnopqr';
const PLATFORMS = ALL_PLATFORMS.map(formatPlatform);
const CONFIG = `package: wait-for-it
binaries: [wait-for-it]
versions:
  - version: "2.3.0"
    python: "3.11"
`;

let emulator: GitHubEmulator;
beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npx nx run hermit-pex:compile" first`);
  emulator = await startGitHubEmulator();
  emulator.addToken(TOKEN);
});
afterAll(async () => emulator.close());

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}

function hermitPex(
  root: string,
  args: string[],
  options: { env?: Record<string, string>; onSpawn?: (kill: () => void) => void } = {},
): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args, '--root', root, '--api-url', emulator.apiUrl], {
      env: { ...process.env, GITHUB_TOKEN: '', GH_TOKEN: '', ...(options.env ?? { GITHUB_TOKEN: TOKEN }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    options.onSpawn?.(() => child.kill('SIGKILL'));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 137 : -1), stdout, stderr }));
  });
}

/** Fails with the process's own words when it did not succeed: a runner failure is never a later riddle. */
function expectSucceeded(proc: Proc, what: string): void {
  if (proc.code !== 0) {
    throw new Error(
      `${what} exited with code ${proc.code}; its stderr:\n${proc.stderr}\nits stdout:\n${proc.stdout}`,
    );
  }
}

/** Every runner succeeded; otherwise fails naming the platform and showing the runner's stderr. */
function expectRunnersSucceeded(runners: readonly Proc[]): void {
  runners.forEach((runner, i) => expectSucceeded(runner, `the ${PLATFORMS[i]} runner`));
}

let repoCount = 0;
function aRepo(immutable = false): string {
  repoCount += 1;
  emulator.createRepo('octo', `hermit${repoCount}`, { immutableReleases: immutable });
  return `octo/hermit${repoCount}`;
}

/** Four runners, each in its own checkout, each building one platform, all at once. */
async function runFourRunners(repo: string, extra: string[] = []): Promise<Proc[]> {
  const roots = await Promise.all(PLATFORMS.map(() => aWorkspace({ 'wait-for-it': CONFIG })));
  return Promise.all(
    PLATFORMS.map((platform, i) =>
      hermitPex(roots[i]!, ['build', '--repo', repo, '--build-platforms', platform, ...extra]),
    ),
  );
}

async function fetchJson(path: string): Promise<unknown> {
  const response = await fetch(`${emulator.apiUrl}${path}`, { headers: { authorization: `token ${TOKEN}` } });
  return response.json();
}

interface GhRelease {
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  body: string;
  assets: Array<{ name: string; state: string; digest: string; browser_download_url: string }>;
}

async function releasesOf(repo: string): Promise<GhRelease[]> {
  return (await fetchJson(`/repos/${repo}/releases?per_page=100`)) as GhRelease[];
}

function digests(release: GhRelease): Record<string, string> {
  return Object.fromEntries(release.assets.map((a) => [a.name, a.digest.replace(/^sha256:/, '')]));
}

async function expectOneCompleteRelease(repo: string): Promise<GhRelease> {
  const releases = await releasesOf(repo);
  expect(releases.map((r) => [r.tag_name, r.draft, r.prerelease])).toEqual([
    ['wait-for-it-v2.3.0', false, false],
  ]);
  const release = releases[0]!;
  expect(release.assets.map((a) => [a.name, a.state]).sort()).toEqual(
    [...PLATFORMS.map((p) => [`wait-for-it-${p}.tar.gz`, 'uploaded']), ['checksums.txt', 'uploaded']].sort(),
  );
  // checksums.txt lists exactly the four tarballs, with the digests GitHub computed.
  const checksums = release.assets.find((a) => a.name === 'checksums.txt')!;
  const text = await (await fetch(checksums.browser_download_url)).text();
  expect(text).toBe(
    release.assets
      .filter((a) => a.name.endsWith('.tar.gz'))
      .map((a) => `${a.digest.replace(/^sha256:/, '')}  ${a.name}\n`)
      .sort((a, b) => (a.split('  ')[1]! < b.split('  ')[1]! ? -1 : 1))
      .join(''),
  );
  return release;
}

describe('hermit-pex on GitHub', () => {
  let repo: string;
  let finaliseRoot: string;

  beforeAll(async () => {
    repo = aRepo();
    expectRunnersSucceeded(await runFourRunners(repo));
    finaliseRoot = await aWorkspace({ 'wait-for-it': CONFIG });
    const finalise = await hermitPex(finaliseRoot, ['finalise', '--repo', repo]);
    expectSucceeded(finalise, 'finalise');
    expect(finalise.stderr).not.toMatch(/error:|warning:/);
  });

  it('ends with one full release holding exactly the four platform tarballs and checksums.txt', async () => {
    await expectOneCompleteRelease(repo);
  });

  it('records the real digests in the body and in the manifest', async () => {
    const release = (await releasesOf(repo))[0]!;
    const body = parseBodyBlock<{ asset_info: Record<string, string>; build_info: { version: string } }>(
      release.body,
    );
    expect(body.data?.asset_info).toEqual(digests(release));
    expect(body.data?.build_info.version).toBe('2.3.0');

    const hcl = (await parseHcl(
      'm.hcl',
      await readFile(join(finaliseRoot, 'dist/hermit/wait-for-it.hcl'), 'utf8'),
    )) as Record<string, unknown>;
    const web = `${emulator.webUrl}/${repo}`;
    expect(hcl.repository).toBe(web);
    expect(hcl.source).toBe(
      `${web}/releases/download/wait-for-it-v\${version}/wait-for-it-\${os}-\${arch}.tar.gz`,
    );
    expect(hcl.sha256sums).toEqual(
      Object.fromEntries(
        release.assets
          .filter((a) => a.name.endsWith('.tar.gz'))
          .map((a) => [a.browser_download_url, a.digest.replace(/^sha256:/, '')]),
      ),
    );
  });

  it('makes zero write calls on a second full run', async () => {
    emulator.resetLog();
    expectRunnersSucceeded(await runFourRunners(repo));
    expectSucceeded(await hermitPex(finaliseRoot, ['finalise', '--repo', repo]), 'finalise');
    expect(emulator.requests().filter((r) => r.write)).toEqual([]);
    expect(emulator.writeCount()).toBe(0);
  });
});

describe('hermit-pex on GitHub under faults', () => {
  it('converges after retries and re-runs, with no duplicate release or asset', async () => {
    const repo = aRepo();
    // One fault of every kind, on every kind of call.
    emulator.injectFault({ method: 'POST', path: /\/releases$/, kind: 'status', status: 502, times: 2 });
    emulator.injectFault({ method: 'GET', path: /\/releases/, kind: 'status', status: 503, times: 3 });
    emulator.injectFault({
      method: 'GET',
      path: /\/releases/,
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      times: 2,
    });
    emulator.injectFault({ host: 'uploads', kind: 'reset', afterBytes: 4096, times: 2 });
    emulator.injectFault({ host: 'uploads', kind: 'status', status: 502, times: 1 });
    emulator.injectFault({
      method: 'PATCH',
      kind: 'status',
      status: 403,
      secondaryRateLimit: true,
      retryAfterSeconds: 1,
      times: 1,
    });
    emulator.injectFault({ method: 'DELETE', kind: 'status', status: 500, times: 1 });
    emulator.injectFault({ kind: 'delay', delayMs: 300, times: 5 });
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const runners = await runFourRunners(repo);
      const root = await aWorkspace({ 'wait-for-it': CONFIG });
      const finalise = await hermitPex(root, ['finalise', '--repo', repo]);
      if (runners.every((r) => r.code === 0) && finalise.code === 0) break;
      if (attempts === 3) {
        // Three rounds ride out every fault above; a failure now is real: show it.
        expectRunnersSucceeded(runners);
        expectSucceeded(finalise, 'finalise');
      }
    }
    emulator.clearFaults();
    const release = await expectOneCompleteRelease(repo);
    const body = parseBodyBlock<{ asset_info: Record<string, string> }>(release.body);
    expect(body.data?.asset_info).toEqual(digests(release));
  });

  it('recovers from a runner killed in the middle of an upload', async () => {
    const repo = aRepo();
    emulator.resetLog();
    // The uploads host holds the first upload, so the kill lands while it is in flight.
    emulator.injectFault({ host: 'uploads', kind: 'delay', delayMs: 3000, times: 1 });
    const root = await aWorkspace({ 'wait-for-it': CONFIG });
    let kill = (): void => undefined;
    const running = hermitPex(root, ['build', '--repo', repo, '--build-platforms', 'linux-amd64'], {
      onSpawn: (k) => (kill = k),
    });
    await waitUntil(
      () => emulator.requests().some((r) => r.host === 'uploads' && r.method === 'POST' && r.status === 0),
      running,
      'the linux-amd64 runner to start its upload',
    );
    kill();
    expect((await running).code).toBe(137);
    emulator.clearFaults();
    // Nothing is complete yet: finalise says what each pending version lacks, with its own exit code.
    // The upload in flight at the kill may still have landed (the server had its whole body), so
    // linux-amd64's tarball may or may not be there; the other three never are.
    const early = await hermitPex(root, ['finalise', '--repo', repo]);
    expect(early.code).toBe(5);
    const landed = (await releasesOf(repo)).some((r) =>
      r.assets.some((a) => a.name === 'wait-for-it-linux-amd64.tar.gz' && a.state === 'uploaded'),
    );
    const lacking = PLATFORMS.filter((p) => p !== 'linux-amd64' || !landed);
    expect(early.stdout).toBe(
      `wait-for-it 2.3.0: pending (lacks ${lacking.map((p) => `${p} tarball`).join(', ')})\n`,
    );
    expectRunnersSucceeded(await runFourRunners(repo));
    expectSucceeded(await hermitPex(root, ['finalise', '--repo', repo]), 'finalise');
    await expectOneCompleteRelease(repo);
  });
});

/**
 * Polls `condition` while `process` runs, however long that takes on a busy machine; fails, with the
 * process's stderr, if it ends before the condition holds.
 */
async function waitUntil(condition: () => boolean, running: Promise<Proc>, what: string): Promise<void> {
  let ended: Proc | undefined;
  void running.then((proc) => (ended = proc));
  while (!condition()) {
    if (ended)
      throw new Error(`waiting for ${what}, but it exited with code ${ended.code}:\n${ended.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('hermit-pex on GitHub with immutable releases', () => {
  it('publishes complete releases in draft mode, chosen automatically', async () => {
    const repo = aRepo(true);
    const runners = await runFourRunners(repo);
    expectRunnersSucceeded(runners);
    for (const runner of runners) expect(runner.stderr).toContain('mode draft');
    const root = await aWorkspace({ 'wait-for-it': CONFIG });
    expectSucceeded(await hermitPex(root, ['finalise', '--repo', repo]), 'finalise');
    await expectOneCompleteRelease(repo);
  });

  it('refuses prerelease mode with an explanation, before writing anything', async () => {
    const repo = aRepo(true);
    emulator.resetLog();
    const root = await aWorkspace({ 'wait-for-it': CONFIG });
    const result = await hermitPex(root, ['run', '--repo', repo, '--mode', 'prerelease']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(
      'hermit-pex: error[CONFIG_INVALID]: --mode: prerelease mode cannot work with immutable releases\n  hint: a published prerelease takes no more assets once releases are immutable; use --mode draft',
    );
    expect(emulator.writeCount()).toBe(0);
    expect(await releasesOf(repo)).toEqual([]);
  });
});

describe('hermit-pex on GitHub without a token', () => {
  it('fails at once with exit code 3 and writes nothing', async () => {
    const repo = aRepo();
    emulator.resetLog();
    const root = await aWorkspace({ 'wait-for-it': CONFIG });
    const result = await hermitPex(root, ['run', '--repo', repo], { env: {} });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `hermit-pex: error[AUTH_MISSING]: publishing to GitHub repository ${repo} needs a token\n  hint: set GITHUB_TOKEN or GH_TOKEN (with contents: write), or drop --repo to use the local release store\n`,
    );
    expect(emulator.requests()).toEqual([]);
    expect(await readdir(join(root, 'packages/wait-for-it'))).toEqual(['config.yaml']);
  });
});
