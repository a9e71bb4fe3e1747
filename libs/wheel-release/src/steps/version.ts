import type { Step } from '@packyard/core';
import { syncRelease, writeBump } from '../release.js';
import { actionsOf, type ReleaseContext } from './context.js';

/** `bump`: writes the planned version into release.yaml, then into every place (refuses a dirty tree). */
export const bumpStep: Step<ReleaseContext> = {
  name: 'bump',
  run: async (ctx) => {
    ctx.outcome.changed = await writeBump(ctx.plan.config, ctx.plan.version);
  },
};

/** `sync`: writes release.yaml's version into the places the plan found disagreeing. */
export const syncStep: Step<ReleaseContext> = {
  name: 'sync',
  skip: (ctx) =>
    actionsOf(ctx, 'write-place').length === 0 ? 'every place already has the version' : undefined,
  run: async (ctx) => {
    ctx.outcome.changed = await syncRelease(ctx.plan.config);
  },
};
