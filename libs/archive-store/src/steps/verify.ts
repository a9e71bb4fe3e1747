import { runSteps, type Step } from '@packyard/core';
import { checkBlob, listBlobNames, type VerifyReport } from '../maintenance.js';
import type { ArchiveStore } from '../store.js';
import { itemTask, type StoreRunOptions } from '../types.js';

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
