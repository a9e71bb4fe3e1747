import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically, type Step } from '@packyard/core';
import type { PackageContext, VersionWork } from '../types.js';
import { forEachVersion, planned } from '../versions.js';

const toLock = (v: VersionWork) => !v.error && planned(v, 'lock') && v.resolved !== undefined;

/** `lock`: writes each lock the plan resolved (into a temporary directory) into `packages/<name>/<version>/`. */
export const requirementsStep: Step<PackageContext> = {
  name: 'requirements',
  skip: ({ pkg }) => (pkg.versions.some(toLock) ? undefined : 'no lock to write'),
  run: async ({ options, pkg }) => {
    // The lock was resolved before planning (resolveMissingLocks); `lock` writes it in place.
    await forEachVersion(options, pkg, toLock, async (v) => {
      await mkdir(v.lockDir, { recursive: true });
      for (const name of (await readdir(v.resolved!)).sort()) {
        await writeFileAtomically(join(v.lockDir, name), await readFile(join(v.resolved!, name)));
      }
      v.locked = true;
      v.performed.push('lock');
    });
  },
};
