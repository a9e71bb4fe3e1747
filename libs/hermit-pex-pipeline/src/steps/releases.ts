import { type Step } from '@packyard/core';
import { renderBodyBlock } from '@packyard/github-releases';
import { planBuildInfo, readBuildInfo } from '@packyard/pex-builder';
import type { PackageContext } from '../types.js';
import { forEachVersion, planned } from '../versions.js';

/** `create-release`, `recreate-release`, `rebuild`: the release each locked version needs, as planned. */
export const releasesStep: Step<PackageContext> = {
  name: 'releases',
  skip: ({ pkg }) => (pkg.versions.some((v) => !v.error && v.locked) ? undefined : 'no version has a lock'),
  run: async ({ options, pkg }) => {
    await forEachVersion(
      options,
      pkg,
      (v) => v.locked,
      async (v) => {
        const wanted = planBuildInfo(pkg.config, v.version, v.python);
        if (v.release) {
          const recorded = readBuildInfo(v.release);
          if (recorded.warning) options.log.warn(`${pkg.name} ${v.version}: ${recorded.warning}`);
        }
        if (planned(v, 'rebuild-needed')) {
          options.log.info(
            `${pkg.name} ${v.version}: rebuild needed: ${v.plan!.note}; ${v.tag} is left as it is`,
          );
        } else if (planned(v, 'rebuild')) {
          // Published work is never deleted: the pex step rebuilds it in place.
          options.log.info(
            `${pkg.name} ${v.version}: rebuilding published ${v.tag} in place (${v.plan!.note})`,
          );
          v.rebuild = wanted;
        } else if (planned(v, 'recreate-release') || planned(v, 'create-release')) {
          if (planned(v, 'recreate-release') && v.release) {
            options.log.warn(
              `${pkg.name} ${v.version}: build_info changed; deleting and recreating unpublished release ${v.tag}`,
            );
            await options.store.deleteRelease(v.release);
            v.release = undefined;
          }
          options.log.info(`${pkg.name} ${v.version}: creating ${options.mode} release ${v.tag}`);
          v.release = await options.store.createRelease({
            tag: v.tag,
            name: `${pkg.name} ${v.version}`,
            body: renderBodyBlock('', { build_info: wanted, asset_info: {} }),
            draft: options.mode === 'draft',
            prerelease: options.mode === 'prerelease',
          });
          v.performed.push(planned(v, 'recreate-release') ? 'recreate-release' : 'create-release');
        }
      },
    );
  },
};
