import { digestFile } from '@packyard/archive';
import {
  PackyardError,
  mapConcurrent,
  publishObject,
  runSteps,
  verifyObject,
  type ObjectStore,
  type Step,
} from '@packyard/core';
import {
  LAYOUT_CONF,
  readPublishPlan,
  type PlannedObject,
  type PublishBlobsOptions,
  type PublishPlan,
  type PublishReport,
} from '../publish.js';
import type { ArchiveStore } from '../store.js';
import { itemTask, type StoreRunOptions } from '../types.js';

/** What `publish`'s steps share: the plan, both stores, and the report they fill in. */
export interface PublishContext {
  store: ArchiveStore;
  target: ObjectStore;
  plan: PublishPlan;
  concurrency: number;
  report: PublishReport;
  progress?: StoreRunOptions['progress'];
}

// Uploads one planned blob object (create-only, read back), unless the destination holds it already;
// a local blob whose bytes do not match its record is never sent.
async function publishPlanned(ctx: PublishContext, item: PlannedObject): Promise<'uploaded' | 'skipped'> {
  if ('error' in item) throw new Error(item.error);
  const path = ctx.store.blobPath(item.sha512);
  if ((await ctx.target.head(item.key)) === undefined) {
    const { digests, size } = await digestFile(path);
    if (digests.sha512 !== item.sha512 || digests.sha256 !== item.sha256 || size !== item.size) {
      throw new PackyardError(
        'VERIFY_FAILED',
        `blob ${path} does not hold the bytes its name says; not published`,
        {
          file: path,
          hint: 'run `dynamic-archives verify`, then store the archive again',
        },
      );
    }
  }
  const result = await publishObject(ctx.target, {
    key: item.key,
    body: { file: path },
    sha256: item.sha256,
    contentType: 'application/octet-stream',
  });
  if (result.action !== 'skipped') await verifyObject(ctx.target, item.key, item.sha256);
  return result.action === 'skipped' ? 'skipped' : 'uploaded';
}

// One layout's objects, `[n/N]` over them; a failing object is reported and the others go on.
function layoutStep(name: string, label: string, byName: boolean): Step<PublishContext> {
  const objects = (ctx: PublishContext) =>
    ctx.plan.objects.filter((item) => (item.finalName !== undefined) === byName);
  return {
    name,
    skip: (ctx) => (objects(ctx).length === 0 ? `no ${label}` : undefined),
    run: async (ctx) => {
      const items = objects(ctx);
      const task = itemTask(ctx.progress, label, items.length);
      const into = byName ? ctx.report.names : ctx.report;
      await mapConcurrent(items, ctx.concurrency, async (item) => {
        const shown = item.finalName ?? `${item.sha512.slice(0, 16)}…`;
        task.begin(shown);
        try {
          const action = await publishPlanned(ctx, item);
          (action === 'skipped' ? into.skipped : into.uploaded).push(item.finalName ?? item.sha512);
          task.done(shown, action);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          ctx.report.failed.push({
            sha512: item.sha512,
            ...(item.finalName === undefined ? {} : { finalName: item.finalName }),
            error: message,
          });
          task.fail(shown, message);
        }
      });
      task.finish();
      for (const list of [into.uploaded, into.skipped]) list.sort();
    },
  };
}

/**
 * `publish`'s steps, in order: every blob under its content hash, then under each final name (so
 * a name never points at a blob the mirror lacks), then `layout.conf`, which tells Portage how to
 * read both.
 */
export const PUBLISH_STEPS: readonly Step<PublishContext>[] = [
  layoutStep('content-hash', 'blobs by content hash', false),
  layoutStep('filename-hash', 'blobs by final name', true),
  {
    name: 'layout-conf',
    run: async (ctx) => {
      const key = `${ctx.plan.prefix}layout.conf`;
      const layout = await publishObject(ctx.target, {
        key,
        body: { bytes: LAYOUT_CONF },
        contentType: 'text/plain; charset=utf-8',
      });
      if (layout.action !== 'skipped') await verifyObject(ctx.target, key, layout.sha256);
      ctx.report.layoutConf = layout.action === 'skipped' ? 'skipped' : 'uploaded';
    },
  },
];

/** Carries out a publish plan; blobs that could not be published are in `failed`, the rest went. */
export async function runPublish(
  store: ArchiveStore,
  target: ObjectStore,
  plan: PublishPlan,
  options: StoreRunOptions & Pick<PublishBlobsOptions, 'concurrency'> = {},
): Promise<PublishReport> {
  const report: PublishReport = {
    location: target.location,
    uploaded: [],
    skipped: [],
    names: { uploaded: [], skipped: [] },
    failed: [],
    layoutConf: 'skipped',
  };
  const ctx: PublishContext = {
    store,
    target,
    plan,
    concurrency: options.concurrency ?? 4,
    report,
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  };
  await runSteps(PUBLISH_STEPS, ctx, {
    label: 'publish',
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  // In the plan's order (blobs by sha512, then names), whatever order the uploads finished in.
  const place = new Map(plan.objects.map((item, index) => [`${item.sha512}/${item.finalName ?? ''}`, index]));
  const at = (failure: { sha512: string; finalName?: string }) =>
    place.get(`${failure.sha512}/${failure.finalName ?? ''}`) ?? 0;
  report.failed.sort((a, b) => at(a) - at(b));
  return report;
}

/**
 * Pushes blobs to an object store under both GLEP 75 layouts, with a `layout.conf` naming them:
 * `<prefix><s[0:2]>/<s[2:4]>/<s[4:6]>/<sha512>` (content-hash) and `<prefix><b[0:2]>/<final name>`
 * for every final name a dynamic record gives the blob (filename-hash). Idempotent by digest as the
 * destination reports it: an object already there with the same sha256 is skipped, a missing one is
 * uploaded (create-only) and then read back and compared; other bytes under an object's name are a
 * STORE_CONFLICT. A local blob is re-hashed before it is uploaded and never sent when its bytes do
 * not match its record. `readPublishPlan`, then `runPublish`.
 */
export async function publishBlobs(
  store: ArchiveStore,
  target: ObjectStore,
  options: PublishBlobsOptions & StoreRunOptions = {},
): Promise<PublishReport> {
  return runPublish(store, target, await readPublishPlan(store, options), options);
}
