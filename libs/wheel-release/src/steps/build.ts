import { join } from 'node:path';
import type { Step } from '@packyard/core';
import { actionsOf, withHome, type ReleaseContext } from './context.js';

/** `wheels`: builds the planned platforms' wheels here (maturin, `--zig`), with a nested `[n/N]`. */
export const wheelsStep: Step<ReleaseContext> = {
  name: 'wheels',
  skip: (ctx) =>
    actionsOf(ctx, 'build-wheel').length === 0 ? 'no platform is built on this machine' : undefined,
  run: async (ctx) => {
    const { plan } = ctx;
    const platforms = actionsOf(ctx, 'build-wheel').map((a) => a.platform);
    const task = ctx.progress?.start('wheels', platforms.length);
    try {
      ctx.outcome.wheels = await ctx.services.buildWheels({
        crateDir: join(plan.config.root, plan.config.wheels!.project),
        platforms,
        outDir: plan.request.out,
        gitSha: plan.gitSha!,
        ...(plan.host === undefined ? {} : { host: plan.host }),
        ...(task === undefined ? {} : { progress: task }),
        ...withHome(ctx),
        log: ctx.log,
      });
    } finally {
      task?.finish();
    }
  },
};

/** `sdist`: builds the pure-Python sdist with the commit baked into its build-info module. */
export const sdistStep: Step<ReleaseContext> = {
  name: 'sdist',
  skip: (ctx) => (actionsOf(ctx, 'build-sdist').length === 0 ? 'the wheels only (--no-sdist)' : undefined),
  run: async (ctx) => {
    const { plan } = ctx;
    for (const action of actionsOf(ctx, 'build-sdist')) {
      ctx.outcome.sdist = await ctx.services.buildSdist({
        projectDir: join(plan.config.root, action.project),
        outDir: plan.request.out,
        gitSha: plan.gitSha!,
        buildInfoFile: action.buildInfo,
        ...withHome(ctx),
        log: ctx.log,
      });
    }
  },
};
