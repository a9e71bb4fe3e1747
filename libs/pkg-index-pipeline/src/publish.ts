import { resolve } from 'node:path';
import type { ProgressReporter, ProgressTask, PublishResult } from '@packyard/core';
import { openObjectStore } from '@packyard/r2-store';
import { publishIndex, type PublishIndexResult } from '@packyard/wheel-index';

/** Where and how `publishIndexDir` publishes. */
export interface PublishIndexDirOptions {
  /** `s3://BUCKET` (account from the AWS_* variables in `env`), `file://DIR` or a directory. */
  to: string;
  /** A relative directory in `to` is taken from here. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** Key prefix ending in `/`; default the store's root. */
  prefix?: string | undefined;
  replace?: boolean | undefined;
  /** Called after each object: `[n/N]` progress (see `reportItemProgress`). */
  onObject?: ((result: PublishResult, done: number, total: number) => void) | undefined;
}

/** What a publish did, and where: the store's location for the summary. */
export interface PublishIndexDirResult extends PublishIndexResult {
  location: string;
}

/**
 * Opens the store `to` names and publishes the index directory to it by digest (wheel-index's
 * `publishIndex`: files, then project pages, then the root pages; other bytes under a file's name
 * are refused unless `replace`).
 */
export async function publishIndexDir(
  indexDir: string,
  options: PublishIndexDirOptions,
): Promise<PublishIndexDirResult> {
  const { to } = options;
  const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : resolve(options.cwd, to);
  const store = openObjectStore(location, { env: options.env });
  const result = await publishIndex(indexDir, store, {
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    replace: options.replace === true,
    ...(options.onObject === undefined ? {} : { onObject: options.onObject }),
  });
  return { location: store.location, ...result };
}

/**
 * A sink for `(item, done, total)` callbacks (publishIndexDir's `onObject`, wheel-index's
 * `onProgress`) that shows the work as one `[n/N]` task of core's reporter: started at the first
 * item, when the total is known, and finished after the last; `detail` is shown with each item.
 */
export function reportItemProgress(
  reporter: ProgressReporter,
  label: string,
): (item: string, done: number, total: number, detail?: string) => void {
  let task: ProgressTask | undefined;
  return (item, done, total, detail) => {
    task ??= reporter.start(label, total);
    task.begin(item);
    task.done(item, detail);
    if (done === total) task.finish();
  };
}
