import type { Step } from '@packyard/core';
import type { ReleaseCommand } from '../plan.js';
import { sdistStep, wheelsStep } from './build.js';
import type { ReleaseContext } from './context.js';
import { publishStep, verifyStep } from './publish.js';
import { bumpStep, syncStep } from './version.js';

export { actionsOf, type ReleaseContext, type ReleaseOutcome } from './context.js';

/**
 * Each command's steps, in the order they must run: the wheels before the sdist (a native runner's
 * share is the wheels only), and the whole set verified before anything is published. plan, check
 * and runners are their plan alone.
 */
export const RELEASE_STEPS: Readonly<Record<ReleaseCommand, readonly Step<ReleaseContext>[]>> = {
  plan: [],
  check: [],
  runners: [],
  bump: [bumpStep],
  sync: [syncStep],
  build: [wheelsStep, sdistStep],
  verify: [verifyStep],
  publish: [verifyStep, publishStep],
};
