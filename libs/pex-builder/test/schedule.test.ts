import { isPackyardError } from '@packyard/core';
import {
  createSerialQueue,
  parseJobs,
  planBuildConcurrency,
  PEX_BUILD_MEMORY_BYTES,
  runBounded,
} from '../src/index.js';

const GB = 1024 ** 3;

describe('planBuildConcurrency', () => {
  it('is one build per CPU while memory holds them', () => {
    expect(planBuildConcurrency({ cpus: 2, freeMemoryBytes: 24 * GB })).toBe(2);
    expect(planBuildConcurrency({ cpus: 16, freeMemoryBytes: 24 * GB })).toBe(16);
  });

  it('is bounded by free memory, and never below one', () => {
    expect(planBuildConcurrency({ cpus: 16, freeMemoryBytes: 3 * PEX_BUILD_MEMORY_BYTES + 1 })).toBe(3);
    expect(planBuildConcurrency({ cpus: 16, freeMemoryBytes: 0 })).toBe(1);
    expect(planBuildConcurrency({ cpus: 0, freeMemoryBytes: 24 * GB })).toBe(1);
  });

  it('takes an explicit limit over the machine size, and refuses one that is not a whole number ≥ 1', () => {
    expect(planBuildConcurrency({ cpus: 2, freeMemoryBytes: 0, requested: 6 })).toBe(6);
    for (const requested of [0, -1, 1.5, 257, Number.NaN]) {
      expect(() => planBuildConcurrency({ cpus: 2, freeMemoryBytes: 24 * GB, requested })).toThrow(
        'jobs must be a whole number from 1 to 256',
      );
    }
  });
});

describe('parseJobs', () => {
  it('reads a whole number and names the option and the value it refuses', () => {
    expect(parseJobs('4', '--jobs')).toBe(4);
    let caught: unknown;
    try {
      parseJobs('four', '--jobs');
    } catch (error) {
      caught = error;
    }
    expect(isPackyardError(caught, 'CONFIG_INVALID')).toBe(true);
    expect(caught).toMatchObject({ field: '--jobs', value: 'four' });
    expect(() => parseJobs('0', 'PACKYARD_JOBS')).toThrow(
      'PACKYARD_JOBS must be a whole number from 1 to 256',
    );
  });
});

// A task the test finishes by hand, so the bound is observed without timing anything.
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('runBounded', () => {
  it('never runs more than the limit at once, starts items in order, and runs them all', async () => {
    const gates = Array.from({ length: 7 }, gate);
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const outcome = runBounded(gates, 3, async (g, index) => {
      started.push(index);
      running += 1;
      peak = Math.max(peak, running);
      await g.promise;
      running -= 1;
      return index * 10;
    });
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    const results = await outcome;
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results).toEqual(gates.map((_, i) => ({ status: 'fulfilled', value: i * 10 })));
  });

  it('keeps going past a failure and reports it in its place', async () => {
    const results = await runBounded([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('two failed');
      return n;
    });
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: new Error('two failed') });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 3 });
  });

  it('with a limit of one is a plain sequential loop', async () => {
    const order: string[] = [];
    await runBounded(['a', 'b', 'c'], 1, async (item) => {
      order.push(`start ${item}`);
      await settle();
      order.push(`end ${item}`);
    });
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('createSerialQueue', () => {
  it('runs one function at a time in the order given, even after a failure', async () => {
    const serial = createSerialQueue();
    const order: string[] = [];
    const first = gate();
    const a = serial(async () => {
      order.push('a start');
      await first.promise;
      order.push('a end');
    });
    const b = serial(async () => {
      order.push('b');
      throw new Error('b failed');
    });
    const c = serial(async () => {
      order.push('c');
      return 'c done';
    });
    await settle();
    expect(order).toEqual(['a start']);
    first.open();
    await a;
    await expect(b).rejects.toThrow('b failed');
    expect(await c).toBe('c done');
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
  });
});
