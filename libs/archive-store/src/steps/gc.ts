import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runSteps, type Step } from '@packyard/core';
import { readGcPlan, type GcReport } from '../maintenance.js';
import type { GcPlan } from '../plan.js';
import type { ArchiveStore } from '../store.js';
import { itemTask, type StoreRunOptions } from '../types.js';

/** What `gc`'s steps carry out. */
export interface GcContext {
  store: ArchiveStore;
  plan: GcPlan;
  progress?: StoreRunOptions['progress'];
}

const dryRun = ({ plan }: GcContext): string | undefined => (plan.dryRun ? 'dry run' : undefined);

/** `gc`'s steps: the planned blobs go (`[n/N]` over them), then the stale work files. */
export const GC_STEPS: readonly Step<GcContext>[] = [
  {
    name: 'remove-blobs',
    skip: (ctx) => dryRun(ctx) ?? (ctx.plan.remove.length === 0 ? 'every blob is referenced' : undefined),
    run: async ({ store, plan, progress }) => {
      const task = itemTask(progress, 'blobs removed', plan.remove.length);
      for (const { sha512 } of plan.remove) {
        const item = `${sha512.slice(0, 16)}…`;
        task.begin(item);
        // The blob first: a record without its blob is what a half-finished gc may leave, and find
        // treats that as "not stored", so the next store completes it.
        await rm(store.blobPath(sha512), { force: true });
        await rm(store.blobRecordPath(sha512), { force: true });
        task.done(item);
      }
      task.finish();
    },
  },
  {
    name: 'remove-work-files',
    skip: (ctx) => dryRun(ctx) ?? (ctx.plan.staleWork.length === 0 ? 'no stale work file' : undefined),
    run: async ({ store, plan }) => {
      for (const name of plan.staleWork)
        await rm(join(store.root, 'tmp', name), { recursive: true, force: true });
    },
  },
];

/** Carries out a `gc` plan (nothing, in a dry run) and reports it. */
export async function runGc(
  store: ArchiveStore,
  plan: GcPlan,
  options: StoreRunOptions = {},
): Promise<GcReport> {
  await runSteps(
    GC_STEPS,
    { store, plan, ...(options.progress === undefined ? {} : { progress: options.progress }) },
    {
      label: plan.dryRun ? 'gc (dry run)' : 'gc',
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    },
  );
  return {
    dryRun: plan.dryRun,
    removed: plan.remove.map((blob) => blob.sha512),
    bytes: plan.bytes,
    kept: plan.kept,
    staleTemp: plan.staleWork,
    unreadable: plan.unreadable,
  };
}

/**
 * Removes every blob (bytes and record) that no dynamic record (any scope) and no metatools
 * integrity record points at, and the work files of processes that are gone: `readGcPlan`, then
 * `runGc`. With `dryRun`, only reports.
 */
export async function collectGarbage(
  store: ArchiveStore,
  options: StoreRunOptions & { dryRun?: boolean } = {},
): Promise<GcReport> {
  return runGc(store, await readGcPlan(store, options), options);
}
