import { runSteps, type ProgressReporter, type StepEvent } from '@packyard/core';
import type { ReleasePlan } from './plan.js';
import { defaultReleaseServices, type ReleaseServices } from './services.js';
import { RELEASE_STEPS, type ReleaseOutcome } from './steps/index.js';

/** How `runRelease` runs: the services (default the real ones), where logs, progress and events go. */
export interface RunReleaseOptions {
  services?: Partial<ReleaseServices>;
  log?: (line: string) => void;
  /** Shows the wheel builds' nested `[n/N]`. */
  progress?: ProgressReporter;
  /** Every step event, in order (core's `createStepEventRenderer` shows them as `[n/N]`). */
  onEvent?: (event: StepEvent) => void;
  /** Where publish reads credentials (default process.env). */
  env?: Record<string, string | undefined>;
  home?: string;
}

/**
 * Carries out a plan: its command's steps, in order, through core's step kernel (timing, `[n/N]`
 * events to `onEvent`, a failure wrapped with the step's name). Returns what the steps produced; a
 * failing step stops the run and is thrown.
 */
export async function runRelease(
  plan: ReleasePlan,
  options: RunReleaseOptions = {},
): Promise<ReleaseOutcome> {
  const outcome: ReleaseOutcome = {
    changed: [],
    wheels: [],
    sdist: undefined,
    verified: undefined,
    published: undefined,
  };
  const steps = RELEASE_STEPS[plan.request.command];
  if (steps.length === 0) return outcome;
  await runSteps(
    steps,
    {
      plan,
      actions: plan.actions,
      services: { ...defaultReleaseServices, ...options.services },
      log: options.log ?? (() => undefined),
      progress: options.progress,
      env: options.env,
      home: options.home,
      outcome,
    },
    {
      label: `wheel-release ${plan.request.command}`,
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    },
  );
  return outcome;
}
