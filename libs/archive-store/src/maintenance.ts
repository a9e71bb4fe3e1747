import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from '@packyard/archive';
import { runSteps, type Step } from '@packyard/core';
import { planGarbage, type GcPlan } from './plan.js';
import { walkFiles, type ArchiveStore } from './store.js';
import { itemTask, type StoreRunOptions } from './types.js';

/** One blob `verifyStore` found wrong. */
export interface BlobProblem {
  sha512: string;
  /** The file at fault. */
  path: string;
  problem: 'missing blob' | 'no record' | 'corrupt record' | 'digest mismatch';
  detail: string;
}

/** What `verifyStore` found. */
export interface VerifyReport {
  checked: number;
  problems: BlobProblem[];
}

const SHA512_HEX = /^[0-9a-f]{128}$/;

/** Every sha512 under `blos/` that has a record, a blob, or both. */
export async function listBlobNames(store: ArchiveStore): Promise<string[]> {
  const names = new Set<string>();
  for await (const path of walkFiles(join(store.root, 'blos'))) {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.blob$/, '');
    if (SHA512_HEX.test(name)) names.add(name);
  }
  return [...names].sort();
}

/** Re-hashes one blob and compares it with its record and its name; undefined when all match. */
async function checkBlob(store: ArchiveStore, sha512: string): Promise<BlobProblem | undefined> {
  const blobPath = store.blobPath(sha512);
  let record;
  try {
    record = await store.readBlobRecord(sha512);
  } catch (error) {
    const detail = (error as Error).message;
    return { sha512, path: store.blobRecordPath(sha512), problem: 'corrupt record', detail };
  }
  const blob = await stat(blobPath).catch(() => undefined);
  if (record === undefined) {
    return { sha512, path: blobPath, problem: 'no record', detail: 'a blob with no hash record beside it' };
  }
  if (blob === undefined) {
    return { sha512, path: blobPath, problem: 'missing blob', detail: 'the record has no blob beside it' };
  }
  const { digests, size } = await digestFile(blobPath);
  const wrong: string[] = (['sha512', 'sha256', 'blake2b'] as const).filter(
    (name) => digests[name] !== record[name],
  );
  if (size !== record.size) wrong.push('size');
  if (digests.sha512 !== sha512 && !wrong.includes('sha512')) wrong.push('sha512');
  if (wrong.length === 0) return undefined;
  return {
    sha512,
    path: blobPath,
    problem: 'digest mismatch',
    detail: `${wrong.join(', ')} differ from the record (sha512 is ${digests.sha512})`,
  };
}

/** What `verify`'s step works through: the blobs listed before it starts, and what it finds. */
export interface VerifyContext {
  store: ArchiveStore;
  blobs: readonly string[];
  report: VerifyReport;
  progress?: StoreRunOptions['progress'];
}

/** `verify`'s one step: re-hash every listed blob, `[n/N]` over the blobs. */
export const VERIFY_STEPS: readonly Step<VerifyContext>[] = [
  {
    name: 'rehash',
    skip: ({ blobs }) => (blobs.length === 0 ? 'the store holds no blob' : undefined),
    run: async (ctx) => {
      const task = itemTask(ctx.progress, 'blobs re-hashed', ctx.blobs.length);
      for (const sha512 of ctx.blobs) {
        const item = `${sha512.slice(0, 16)}…`;
        task.begin(item);
        const problem = await checkBlob(ctx.store, sha512);
        ctx.report.checked += 1;
        if (problem === undefined) task.done(item);
        else {
          ctx.report.problems.push(problem);
          task.fail(item, problem.problem);
        }
      }
      task.finish();
    },
  },
];

/**
 * Re-hashes every blob and compares it with its record and its name: a blob whose bytes do not
 * match, a record without its blob, a blob without a record, and a record that cannot be read are
 * each reported. Changes nothing.
 */
export async function verifyStore(store: ArchiveStore, options: StoreRunOptions = {}): Promise<VerifyReport> {
  const ctx: VerifyContext = {
    store,
    blobs: await listBlobNames(store),
    report: { checked: 0, problems: [] },
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  };
  await runSteps(VERIFY_STEPS, ctx, {
    label: 'verify',
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  return ctx.report;
}

/** What `collectGarbage` removed (or, in a dry run, would remove). */
export interface GcReport {
  dryRun: boolean;
  /** sha512s of the blobs no record points at. */
  removed: string[];
  bytes: number;
  kept: number;
  /** Work files left in `tmp/` by processes that are no longer running. */
  staleTemp: string[];
  /** Records that are not JSON or name no sha512 (reported; the blobs they might name are kept). */
  unreadable: string[];
}

/**
 * Reads what `gc` decides on (every blob and its size, what the records point at, the stale work
 * files) and plans it with `planGarbage`. Reads only each record's sha512; a record it cannot read
 * is listed in `unreadable`, and every sha512-like string in it keeps that blob.
 */
export async function readGcPlan(store: ArchiveStore, options: { dryRun?: boolean } = {}): Promise<GcPlan> {
  const { referenced, unreadable } = await store.referencedBlobs();
  const blobs: Array<{ sha512: string; size: number }> = [];
  for (const sha512 of await listBlobNames(store)) {
    const blob = referenced.has(sha512)
      ? undefined
      : await stat(store.blobPath(sha512)).catch(() => undefined);
    blobs.push({ sha512, size: blob?.size ?? 0 });
  }
  return planGarbage(
    { blobs, referenced, unreadable, staleWork: await store.staleWork() },
    options.dryRun === true,
  );
}

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
