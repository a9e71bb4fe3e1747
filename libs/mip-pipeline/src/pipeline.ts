import { exitCodeForAll, runSteps, type StepEvent } from '@packyard/core';
import { planRun, type MipPlan, type RunRequest } from './plan.js';
import { selectSteps, type MipRun, type StageReport } from './steps/index.js';
import type { Context, PackageResult, StageName } from './types.js';

/** What a run did: one report per planned step, in order, and every package result. */
export interface MipRunReport {
  stages: StageReport[];
  results: PackageResult[];
}

/** Options of `runPlan`. */
export interface RunPlanOptions {
  /** Names the run in step events (e.g. the command). */
  label?: string;
  /** Receives the step events (see createStepEventRenderer in @packyard/core). */
  onEvent?: (event: StepEvent) => void;
}

/**
 * Carries out a plan through the step kernel: each planned step in order, a skipped one with the
 * plan's reason. A package that fails is in the results and the others go on; a step that cannot run
 * at all throws (a StepError naming it, the original as `cause`) and stops the run.
 */
export async function runPlan(
  context: Context,
  plan: MipPlan,
  options: RunPlanOptions = {},
): Promise<MipRunReport> {
  const run: MipRun = { context, plan, results: new Map<StageName, PackageResult[]>() };
  const { outcomes } = await runSteps(selectSteps(plan), run, {
    label: options.label ?? 'mip-publish',
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const stages = outcomes.map((outcome): StageReport => {
    const stage = outcome.step as StageName;
    return outcome.status === 'skipped'
      ? { stage, results: [], skipped: outcome.reason }
      : { stage, results: run.results.get(stage) ?? [] };
  });
  return { stages, results: stages.flatMap((s) => s.results) };
}

/** `planRun`, then `runPlan`. */
export function runMipPipeline(
  context: Context,
  request: RunRequest,
  options: RunPlanOptions = {},
): Promise<MipRunReport> {
  return runPlan(context, planRun(request), options);
}

/**
 * One exit code for a run's results (core's rule: config, or time limit, when every failure is one;
 * else failed; none: ok). Pure.
 */
export function exitCodeForResults(results: readonly PackageResult[]): number {
  return exitCodeForAll(
    results
      .filter((r) => r.status === 'failed')
      .map((r) => (r.timedOut === true ? 'TIME_LIMIT' : (r.code ?? 'INTERNAL'))),
  );
}
