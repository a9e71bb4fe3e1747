/**
 * Runs `work` on every item with at most `limit` running at once, starting them in order. Every item
 * runs whatever the others do; the outcomes come back in the items' order, as `Promise.allSettled`
 * gives them.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  await runPool(items, limit, false, async (item, index) => {
    try {
      results[index] = { status: 'fulfilled', value: await work(item, index) };
    } catch (reason) {
      results[index] = { status: 'rejected', reason };
    }
  });
  return results;
}

/**
 * Runs `work` on every item with at most `limit` running at once, starting them in order, and
 * rejects with the first failure once the items already started have finished; no item starts after
 * a failure.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  await runPool([...items], limit, true, work);
}

// The one pool: `limit` workers take the next item in order until none is left (or, with
// `stopOnFailure`, until one fails; the first failure is rethrown after the others settle).
async function runPool<T>(
  items: readonly T[],
  limit: number,
  stopOnFailure: boolean,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        if (!stopOnFailure) throw error;
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure.error;
}
