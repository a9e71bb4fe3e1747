import { join } from 'node:path';
import { PackyardError, type Step } from '@packyard/core';
import { assertVerified } from '../verify.js';
import { actionsOf, withHome, type ReleaseContext } from './context.js';

/**
 * `verify`: checks the release files as PyPI would and more. Its problems are the run's result for
 * `verify`; before a publish they stop the run (VERIFY_FAILED), as does a set other than the planned one.
 */
export const verifyStep: Step<ReleaseContext> = {
  name: 'verify',
  run: async (ctx) => {
    const result = await ctx.services.verifyRelease({ ...ctx.plan.verify!, ...withHome(ctx), log: ctx.log });
    ctx.outcome.verified = result;
    const publish = actionsOf(ctx, 'publish')[0];
    if (publish === undefined) return;
    assertVerified(result);
    const verified = result.files.map((f) => f.name).sort();
    if (verified.join('\n') !== publish.files.join('\n')) {
      throw new PackyardError(
        'VERIFY_FAILED',
        `the files in ${publish.dir} changed while they were verified`,
        {
          file: publish.dir,
          value: verified.join(', '),
          hint: 'run publish again',
        },
      );
    }
  },
};

/** `publish`: uploads the verified files the destination lacks, then reads every digest back. */
export const publishStep: Step<ReleaseContext> = {
  name: 'publish',
  run: async (ctx) => {
    for (const action of actionsOf(ctx, 'publish')) {
      ctx.outcome.published = await ctx.services.publishRelease({
        files: action.files.map((name) => join(action.dir, name)),
        destination: ctx.plan.request.destination ?? {},
        dryRun: action.dryRun,
        ...(ctx.env === undefined ? {} : { env: ctx.env }),
        ...withHome(ctx),
        log: ctx.log,
      });
    }
  },
};
