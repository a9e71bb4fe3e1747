import type { ProgressReporter, ProgressTask, StepEvent } from '@packyard/core';

/** What every store runner takes besides its plan: where its events, progress and warnings go. */
export interface StoreRunOptions {
  /** Step events (`[n/N]` over the steps); core's `createStepEventRenderer` is the usual sink. */
  onEvent?: (event: StepEvent) => void;
  /** `[n/N]` over the items of the long steps (blobs re-hashed, removed or published). */
  progress?: ProgressReporter;
  /** Warnings, such as a distfiles directory that cannot be written. */
  log?: (line: string) => void;
}

const NO_TASK: ProgressTask = {
  begin: () => undefined,
  done: () => undefined,
  fail: () => undefined,
  finish: () => undefined,
};

/** A progress task over `total` items, or one that shows nothing (no reporter, or nothing to do). */
export function itemTask(progress: ProgressReporter | undefined, label: string, total: number): ProgressTask {
  return progress === undefined || total === 0 ? NO_TASK : progress.start(label, total);
}
