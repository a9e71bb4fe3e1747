import type { Step } from '@packyard/core';
import type { MipPlan } from '../plan.js';
import type { Context, PackageResult, StageName } from '../types.js';
import { bundlePackages } from './bundle.js';
import { compilePackages } from './compile.js';
import { preparePackages } from './prepare.js';
import { uploadBundles } from './upload.js';
import { assembleIndex } from './write-index.js';

/** What one step did: each package's result, or the plan's reason for skipping it. */
export interface StageReport {
  stage: StageName;
  results: PackageResult[];
  /** The plan's reason when the step did not run. */
  skipped?: string;
}

/** What the steps share: the context, the plan they carry out, and each step's results. */
export interface MipRun {
  context: Context;
  plan: MipPlan;
  results: Map<StageName, PackageResult[]>;
}

/** One pipeline step: skipped for the plan's reason, else run and its results recorded. */
function stageStep(stage: StageName, carryOut: (run: MipRun) => Promise<PackageResult[]>): Step<MipRun> {
  const planned = (run: MipRun) => run.plan.stages.find((s) => s.stage === stage);
  return {
    name: stage,
    skip: (run) => planned(run)?.skip,
    run: async (run) => {
      run.context.log.info(`== ${stage}`);
      run.results.set(stage, await carryOut(run));
    },
    // A step that fails for one package reports it in its results; one that throws (no packages
    // directory, an unreachable store) stops the run, since every later step reads its output.
    continueOnError: false,
  };
}

/** Every step, in the order `run` carries them out: each reads what the one before wrote. */
export const STAGE_STEPS: readonly Step<MipRun>[] = [
  stageStep('prepare', ({ context, plan }) =>
    preparePackages(context, { dryRun: plan.request.dryRun, force: plan.request.force }),
  ),
  stageStep('compile', ({ context }) => compilePackages(context)),
  stageStep('bundle', ({ context, plan }) => bundlePackages(context, { dryRun: plan.request.dryRun })),
  stageStep('upload', ({ context, plan }) =>
    uploadBundles(context, { dryRun: plan.request.dryRun, replace: plan.request.replace }),
  ),
  stageStep('index', ({ context, plan }) =>
    assembleIndex(context, {
      skipInvalid: plan.request.skipInvalid,
      minMipVersion: plan.request.minMipVersion,
    }),
  ),
];

/** The steps of a plan, in pipeline order. */
export function selectSteps(plan: MipPlan): Step<MipRun>[] {
  return STAGE_STEPS.filter((step) => plan.stages.some((s) => s.stage === step.name));
}
