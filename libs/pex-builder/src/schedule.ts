import { availableParallelism, freemem } from 'node:os';
import { PackyardError, mapConcurrent } from '@packyard/core';

/**
 * What one PEX build holds in memory at its peak: pex, the pip it runs and the zip it writes. Measured
 * at about 150-250 MB for the default packages; doubled so a larger dependency tree still fits.
 */
export const PEX_BUILD_MEMORY_BYTES = 512 * 1024 * 1024;

/** What decides how many PEX builds run at once. */
export interface BuildConcurrencyInput {
  /** CPUs this process may use (`os.availableParallelism()`). */
  cpus: number;
  /** Memory free right now (`os.freemem()`). */
  freeMemoryBytes: number;
  /** An explicit limit (`--jobs`, `PACKYARD_JOBS`); wins over the machine's size when given. */
  requested?: number | undefined;
  perBuildBytes?: number;
}

/**
 * How many PEX builds run at once: the requested limit, else one per CPU, and never more than free
 * memory holds (at least one). A build waits on the index and on disk as much as on the CPU, so one
 * per CPU keeps the CPUs busy without builds slowing each other down. Pure.
 */
export function planBuildConcurrency(input: BuildConcurrencyInput): number {
  if (input.requested !== undefined) return checkJobs(input.requested, 'jobs');
  const byMemory = Math.floor(input.freeMemoryBytes / (input.perBuildBytes ?? PEX_BUILD_MEMORY_BYTES));
  return Math.max(1, Math.min(Math.max(1, Math.floor(input.cpus)), byMemory));
}

/** This machine's build limit (see planBuildConcurrency). */
export function hostBuildConcurrency(requested?: number): number {
  return planBuildConcurrency({ cpus: availableParallelism(), freeMemoryBytes: freemem(), requested });
}

/** Reads a limit as the user wrote it (`--jobs 4`, `PACKYARD_JOBS=4`): a whole number from 1 to 256. */
export function parseJobs(text: string, field: string): number {
  if (!/^\s*\d+\s*$/.test(text)) {
    throw new PackyardError('CONFIG_INVALID', `${field} must be a whole number from 1 to 256`, {
      field,
      value: text,
    });
  }
  return checkJobs(Number(text), field);
}

function checkJobs(jobs: number, field: string): number {
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
    throw new PackyardError('CONFIG_INVALID', `${field} must be a whole number from 1 to 256`, {
      field,
      value: jobs,
    });
  }
  return jobs;
}

/**
 * Runs `work` on every item with at most `limit` running at once, starting them in order. Every item
 * runs whatever the others do; the outcomes come back in the items' order, as `Promise.allSettled`
 * gives them.
 */
export function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  return mapConcurrent(items, checkJobs(limit, 'limit'), work);
}

/**
 * Runs the functions given to it one at a time, in the order they were given, whatever the others'
 * outcome: for writes that must not interleave (uploads to one release store) while builds run in
 * parallel.
 */
export function createSerialQueue(): <R>(work: () => Promise<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(work: () => Promise<R>) => {
    const run = tail.then(() => work());
    tail = run.catch(() => undefined);
    return run;
  };
}
