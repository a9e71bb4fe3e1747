import type { Step } from '@packyard/core';
import type { PackageContext, StepName } from '../types.js';
import { manifestStep } from './manifest.js';
import { pexStep } from './pex.js';
import { publishStep } from './publish.js';
import { releasesStep } from './releases.js';
import { requirementsStep } from './requirements.js';

/** `state`: writes `packages/<name>/state.yaml`, the cache of what the index, locks and store hold. */
export const stateStep: Step<PackageContext> = {
  name: 'state',
  skip: ({ dryRun }) => (dryRun ? 'a plan writes nothing' : undefined),
  run: (ctx) => ctx.save(),
};

/**
 * Every step, in the order they must run: each consumes what the one before produced (a lock before
 * its release, a release before its tarballs, every tarball before publishing, published releases
 * before the manifest). The state file is written again after each step, so an interrupted run resumes.
 */
export const PACKAGE_STEPS: readonly Step<PackageContext>[] = [
  stateStep,
  requirementsStep,
  releasesStep,
  pexStep,
  publishStep,
  manifestStep,
].map((step) => (step === stateStep ? step : savingAfter(step)));

function savingAfter(step: Step<PackageContext>): Step<PackageContext> {
  return {
    ...step,
    run: async (ctx) => {
      await step.run(ctx);
      await ctx.save();
    },
  };
}

/** The steps a command asks for, in pipeline order. */
export function selectSteps(names: readonly StepName[]): Step<PackageContext>[] {
  return PACKAGE_STEPS.filter((step) => names.includes(step.name as StepName));
}
