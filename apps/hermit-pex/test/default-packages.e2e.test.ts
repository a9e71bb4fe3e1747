/**
 * The shipped packages/ (the main job's data) built end to end: every binary of every version must
 * run from its extracted tarball. This is what the README's first line promises.
 */
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ALL_PLATFORMS, formatPlatform, hostPlatform } from '@packyard/hermit-pex-pipeline';
import { aWorkspace, extract, run, runCli, sha256Of, storeAsset } from './helpers.js';

const host = formatPlatform(hostPlatform());
const shipped = join(import.meta.dirname, '../../../packages');
// 16 versions × 4 platforms take about 6 minutes on an idle 2-core machine and several times that
// under load; only a hang gets near this guard, and it then says what hung.
const HANG_GUARD_MS = 4 * 60 * 60 * 1000;

describe('the default packages', () => {
  it(
    'build for all four platforms, publish, and every binary of every version runs',
    async () => {
      const root = await aWorkspace({});
      await cp(shipped, join(root, 'packages'), {
        recursive: true,
        filter: (source) => !/state\.yaml$|\/\d[^/]*$/.test(source),
      });
      const result = await runCli(root, ['run'], {
        hangGuard: { ms: HANG_GUARD_MS, what: 'hermit-pex run of the default packages' },
      });
      expect(result.stderr).not.toMatch(/error:/);
      expect(result.code).toBe(0);

      const names = (await readdir(join(root, 'packages'))).sort();
      expect(names).toEqual(['black', 'wait-for-it']);
      let checked = 0;
      for (const name of names) {
        const config = parseYaml(await readFile(join(root, 'packages', name, 'config.yaml'), 'utf8'));
        const state = parseYaml(await readFile(join(root, 'packages', name, 'state.yaml'), 'utf8'));
        expect(state.versions.length).toBeGreaterThan(0);
        for (const entry of state.versions) {
          expect(entry.published).toBe(true);
          // All four platforms, from this one machine: the default packages cross-build everywhere.
          const assets: Record<string, string> = {};
          for (const asset of [
            ...ALL_PLATFORMS.map((p) => `${name}-${formatPlatform(p)}.tar.gz`),
            'checksums.txt',
          ].sort()) {
            assets[asset] = await sha256Of(storeAsset(root, `${name}-v${entry.version}`, asset));
          }
          expect(entry.assets).toEqual(assets);
          const tarball = storeAsset(root, `${name}-v${entry.version}`, `${name}-${host}.tar.gz`);
          const dir = await extract(tarball);
          for (const binary of config.binaries as string[]) {
            const { stdout } = await run(join(dir, binary), ['--help']);
            expect(stdout).toMatch(/usage/i);
            checked += 1;
          }
        }
      }
      // wait-for-it from 1.0.0 (14 versions when this was written) and black from 26.10.0, two binaries each.
      expect(checked).toBeGreaterThanOrEqual(14 + 2 * 2);
    },
    HANG_GUARD_MS + 10 * 60 * 1000,
  );
});
