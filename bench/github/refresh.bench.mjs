#!/usr/bin/env node
// No-op refresh of release state against packyard's GitHub emulator: 100 releases × 4 assets.
// Compares packyard's GitHub store (one listing with embedded assets, ETag-cached between runs) with
// the usual way (octokit.paginate over releases, then each release's assets), in the same run.
// Needs the compiled packages: npx nx run-many -t compile -p github-releases github-emulator
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Octokit } from '@octokit/rest';
import { startGitHubEmulator } from '@packyard/github-emulator';
import { createGithubReleaseStore } from '@packyard/github-releases';

const { values } = parseArgs({
  options: { releases: { type: 'string', default: '100' }, rounds: { type: 'string', default: '5' } },
});
const RELEASES = Number(values.releases);
const ROUNDS = Number(values.rounds);
const TOKEN = 'ghp_benchtoken000000000000000000000000000';
const PLATFORMS = ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64'];

const emulator = await startGitHubEmulator();
emulator.addToken(TOKEN);
emulator.createRepo('bench', 'hermit');
const dir = await mkdtemp(join(tmpdir(), 'packyard-bench-gh-'));
const options = {
  repository: 'bench/hermit',
  token: TOKEN,
  apiUrl: emulator.apiUrl,
  writeIntervalMs: 0,
  retryBaseMs: 5,
};

// Seed: releases with four small tarballs each.
const seed = await createGithubReleaseStore(options);
for (let i = 0; i < RELEASES; i += 1) {
  const release = await seed.createRelease({
    tag: `tool-v1.${i}.0`,
    body: '',
    draft: false,
    prerelease: false,
  });
  for (const platform of PLATFORMS) {
    const content = `tool 1.${i}.0 ${platform}`;
    const path = join(dir, `asset-${i}-${platform}`);
    await writeFile(path, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    await seed.uploadAsset(release, { name: `tool-${platform}.tar.gz`, path, sha256, size: content.length });
  }
}

async function measure(label, action) {
  const times = [];
  let requests = 0;
  let charged = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    emulator.resetLog();
    const start = process.hrtime.bigint();
    const count = await action(round);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (count !== RELEASES * PLATFORMS.length) throw new Error(`${label}: saw ${count} assets`);
    const log = emulator.requests();
    requests = log.length;
    // A 304 to a conditional request does not count against GitHub's rate limit.
    charged = log.filter((r) => r.status !== 304).length;
  }
  times.sort((a, b) => a - b);
  return { label, medianMs: times[Math.floor(times.length / 2)], requests, charged };
}

const cacheDir = join(dir, 'cache');
await (await createGithubReleaseStore({ ...options, cacheDir })).listReleases(); // the run before: fills the ETag cache
const packyard = await measure('packyard (ETag-cached listing)', async () => {
  const store = await createGithubReleaseStore({ ...options, cacheDir });
  return (await store.listReleases()).reduce((n, r) => n + r.assets.length, 0);
});
const packyardCold = await measure('packyard (no cache)', async () => {
  const store = await createGithubReleaseStore(options);
  return (await store.listReleases()).reduce((n, r) => n + r.assets.length, 0);
});
const peer = await measure('octokit.paginate releases + assets', async () => {
  const octokit = new Octokit({ auth: TOKEN, baseUrl: emulator.apiUrl });
  await octokit.rest.repos.get({ owner: 'bench', repo: 'hermit' });
  const releases = await octokit.paginate(octokit.rest.repos.listReleases, {
    owner: 'bench',
    repo: 'hermit',
    per_page: 100,
  });
  let count = 0;
  for (const release of releases) {
    count += (
      await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
        owner: 'bench',
        repo: 'hermit',
        release_id: release.id,
        per_page: 100,
      })
    ).length;
  }
  return count;
});

await emulator.close();
await rm(dir, { recursive: true, force: true });
const result = {
  releases: RELEASES,
  assets: RELEASES * PLATFORMS.length,
  rounds: ROUNDS,
  packyard,
  packyardCold,
  peer,
  requestRatio: packyard.requests / peer.requests,
  chargedRatio: packyard.charged / peer.charged,
  timeRatio: packyard.medianMs / peer.medianMs,
};
console.log(JSON.stringify(result));
for (const r of [packyard, packyardCold, peer]) {
  console.log(
    `${r.label.padEnd(38)} ${r.medianMs.toFixed(1).padStart(8)} ms  ${String(r.requests).padStart(4)} requests  ${String(r.charged).padStart(4)} against the rate limit`,
  );
}
console.log(
  `ratio packyard/peer: time ${result.timeRatio.toFixed(3)}, requests ${result.requestRatio.toFixed(3)}, rate-limited requests ${result.chargedRatio.toFixed(3)} (lower is better)`,
);
