import { toPackyardError, type ErrorCode } from '@packyard/core';
import { isTimeLimit } from '@packyard/mip';
import type { Context, PackageResult } from '../types.js';

/** How `forEachPackage` goes through one step's packages. */
export interface EachPackage<T> {
  /** Names the work in progress lines, e.g. `prepare`. */
  label: string;
  /** The package's name (its .mhl name) and the line logged as it starts. */
  describe: (item: T) => { name: string; line: string };
  /** The code of a failure that is not a PackyardError. */
  failureCode: ErrorCode;
  /** Runs after a package failed, before its failure is reported (e.g. to record it). */
  onFailure?: (name: string) => Promise<void>;
}

/**
 * Carries out one step for each package in order: `[n/N]` with an estimate through the context's
 * progress reporter (or `[n/N]` log lines without one). A package that fails is reported with its
 * error and time limit, and the others still run.
 */
export async function forEachPackage<T>(
  ctx: Pick<Context, 'log' | 'progress'>,
  items: readonly T[],
  each: EachPackage<T>,
  work: (item: T, name: string) => Promise<PackageResult>,
): Promise<PackageResult[]> {
  const results: PackageResult[] = [];
  const task = items.length > 0 ? ctx.progress?.start(each.label, items.length) : undefined;
  for (const [i, item] of items.entries()) {
    const { name, line } = each.describe(item);
    ctx.log.info(task === undefined ? `[${i + 1}/${items.length}] ${line}` : line);
    task?.begin(name);
    try {
      const result = await work(item, name);
      results.push(result);
      task?.done(name, result.status === 'skipped' ? 'skipped' : undefined);
    } catch (error) {
      const failure = toPackyardError(error, each.failureCode);
      await each.onFailure?.(name);
      ctx.log.error(`  ${name}: ${failure.format()}`);
      task?.fail(name, failure.message.split('\n')[0]);
      results.push({
        name,
        status: 'failed',
        detail: failure.format(),
        code: failure.code,
        timedOut: isTimeLimit(error),
      });
    }
  }
  task?.finish();
  return results;
}
