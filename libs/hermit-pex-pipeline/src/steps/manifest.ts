import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically, type Step } from '@packyard/core';
import { mergeManifests, parseManifest, renderManifest } from '@packyard/hermit-render';
import { planManifest } from '../plan.js';
import type { PackageContext } from '../types.js';
import { fetchReleases } from '../versions.js';

/** `<package>.hcl` from the store's published releases, merged with the manifest already there. */
export const manifestStep: Step<PackageContext> = {
  name: 'manifest',
  run: async ({ options, pkg }) => {
    const releases = await fetchReleases(options.store);
    const file = join(options.manifestDir, `${pkg.name}.hcl`);
    const next = planManifest(options, pkg, [...releases.values()]);
    const existing = existsSync(file) ? await parseManifest(await readFile(file, 'utf8'), file) : undefined;
    if (next.versions.length === 0 && !existing) {
      options.log.info(`${pkg.name}: no complete release yet; manifest not written`);
      return;
    }
    const text = renderManifest(mergeManifests(existing, next));
    const before = existsSync(file) ? await readFile(file, 'utf8') : undefined;
    if (text !== before) {
      await writeFileAtomically(file, text);
      const count = next.versions.length;
      options.log.info(`${pkg.name}: wrote ${file} (${count} published version${count === 1 ? '' : 's'})`);
    }
  },
};
