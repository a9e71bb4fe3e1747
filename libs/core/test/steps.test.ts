import {
  createProgressReporter,
  createStepEventRenderer,
  estimateStepsRemainingMs,
  isPackyardError,
  PackyardError,
  runSteps,
  StepError,
  type PlannedContext,
  type Step,
  type StepEvent,
} from '../src/index.js';

interface Ctx extends PlannedContext<string> {
  log: string[];
}

const aContext = (actions: string[] = []): Ctx => ({ actions, log: [] });

/** A step that records its name in ctx.log, or throws `fails`. */
const aStep = (name: string, over: Partial<Step<Ctx>> & { fails?: unknown } = {}): Step<Ctx> => ({
  name,
  run: async (ctx) => {
    if (over.fails !== undefined) throw over.fails;
    ctx.log.push(name);
  },
  ...over,
});

/** A clock that moves only when told: each step advances it by the ms in `costs`. */
function aClock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('runSteps', () => {
  it('runs the steps in order over one context and reports each outcome', async () => {
    const ctx = aContext();
    const report = await runSteps([aStep('lock'), aStep('build'), aStep('publish')], ctx);
    expect(ctx.log).toEqual(['lock', 'build', 'publish']);
    expect(report.outcomes.map((o) => [o.step, o.status])).toEqual([
      ['lock', 'done'],
      ['build', 'done'],
      ['publish', 'done'],
    ]);
    expect(report.errors).toEqual([]);
  });

  it('skips a step with the reason its skip returns, asked right before it would run', async () => {
    const ctx = aContext(['build']);
    const steps: Step<Ctx>[] = [
      // The first step changes what the second sees: skip is asked at the step's turn, not up front.
      aStep('plan', { run: async (c) => void c.log.push('publish planned') }),
      aStep('publish', {
        skip: (c) => (c.log.includes('publish planned') ? undefined : 'nothing to publish'),
      }),
      aStep('upload', { skip: (c) => (c.actions.includes('upload') ? undefined : 'no upload planned') }),
    ];
    const report = await runSteps(steps, ctx);
    expect(ctx.log).toEqual(['publish planned', 'publish']);
    expect(report.outcomes[2]).toEqual({ step: 'upload', status: 'skipped', reason: 'no upload planned' });
  });

  it('stops at a failing step unless it continues on error', async () => {
    const ctx = aContext();
    const boom = new Error('disk full');
    await expect(runSteps([aStep('a'), aStep('b', { fails: boom }), aStep('c')], ctx)).rejects.toBeInstanceOf(
      StepError,
    );
    expect(ctx.log).toEqual(['a']);

    const again = aContext();
    const report = await runSteps(
      [aStep('a'), aStep('announce', { fails: boom, continueOnError: true }), aStep('c')],
      again,
    );
    expect(again.log).toEqual(['a', 'c']);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]!.step).toBe('announce');
    expect(report.outcomes.map((o) => o.status)).toEqual(['done', 'failed', 'done']);
  });

  it('wraps a failure in a PackyardError naming the step, with the original as cause', async () => {
    const original = new PackyardError('STORE_CONFLICT', 'asset differs', {
      file: 'black-v1.0',
      field: 'black-linux-amd64.tar.gz',
      hint: 'use --replace',
    });
    const failure = await runSteps([aStep('pex', { fails: original })], aContext()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StepError);
    const error = failure as StepError;
    expect(isPackyardError(error, 'STORE_CONFLICT')).toBe(true);
    expect(error.step).toBe('pex');
    expect(error.cause).toBe(original);
    expect(error.message).toBe('pex: asset differs');
    expect([error.file, error.field, error.hint]).toEqual([
      'black-v1.0',
      'black-linux-amd64.tar.gz',
      'use --replace',
    ]);
    expect(error.format()).toBe(
      'pex: black-v1.0: black-linux-amd64.tar.gz: asset differs\n  hint: use --replace',
    );

    // Anything thrown is chained as is, under an INTERNAL code.
    const plain = new TypeError('x is undefined');
    const wrapped = (await runSteps([aStep('manifest', { fails: plain })], aContext()).catch(
      (e: unknown) => e,
    )) as StepError;
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.cause).toBe(plain);
    expect(wrapped.format()).toBe('manifest: x is undefined');
  });

  it('sends the events in order: start, end or skip or fail, then progress after each step', async () => {
    const clock = aClock();
    const events: StepEvent[] = [];
    const timed = (name: string, ms: number, fails?: unknown): Step<Ctx> => ({
      name,
      run: async () => {
        clock.advance(ms);
        if (fails !== undefined) throw fails;
      },
    });
    await runSteps(
      [
        timed('lock', 200),
        aStep('release', { skip: () => 'already created' }),
        { ...timed('announce', 50, new Error('no network')), continueOnError: true },
        timed('publish', 100),
      ],
      aContext(),
      { label: 'black', now: clock.now, onEvent: (e) => events.push(e) },
    );
    const brief = events.map((e) =>
      e.type === 'progress'
        ? `progress ${e.done}/${e.total} ${e.elapsedMs} eta=${e.etaMs}${e.finished ? ' finished' : ''}`
        : e.type === 'step-skip'
          ? `skip ${e.step} (${e.reason})`
          : e.type === 'step-end'
            ? `end ${e.step} ${e.ms}`
            : e.type === 'step-fail'
              ? `fail ${e.step} ${e.ms} ${e.error.message}${e.continued ? ' continued' : ''}`
              : `start ${e.step} [${e.index + 1}/${e.total}]`,
    );
    expect(brief).toEqual([
      'start lock [1/4]',
      'end lock 200',
      'progress 1/4 200 eta=600',
      'skip release (already created)',
      'progress 2/4 200 eta=400',
      'start announce [3/4]',
      'fail announce 50 announce: no network continued',
      'progress 3/4 250 eta=125',
      'start publish [4/4]',
      'end publish 100',
      'progress 4/4 350 eta=0 finished',
    ]);
    expect(events.every((e) => e.label === 'black')).toBe(true);
  });

  it('ends with a finished progress event when a failure stops the run', async () => {
    const events: StepEvent[] = [];
    await runSteps([aStep('a', { fails: new Error('x') }), aStep('b')], aContext(), {
      onEvent: (e) => events.push(e),
    }).catch(() => undefined);
    expect(events.map((e) => e.type)).toEqual(['step-start', 'step-fail', 'progress']);
    expect(events.at(-1)).toMatchObject({ type: 'progress', done: 1, total: 2, finished: true });
  });
});

describe('estimateStepsRemainingMs', () => {
  it('goes at the pace of the steps that ran: skips cost nothing', () => {
    // 3 of 6 done in 900 ms, 2 of them ran: 450 ms a step, 3 to go.
    expect(estimateStepsRemainingMs(900, 3, 2, 6)).toBe(1_350);
    expect(estimateStepsRemainingMs(900, 3, 3, 6)).toBe(900);
    // Nothing ran yet (only skips): no estimate.
    expect(estimateStepsRemainingMs(5, 2, 0, 6)).toBeUndefined();
    expect(estimateStepsRemainingMs(900, 6, 4, 6)).toBe(0);
  });
});

describe('createStepEventRenderer', () => {
  it('shows a run as one [n/N] task of the progress reporter, plain or JSON lines', async () => {
    const run = async (format: 'plain' | 'json') => {
      let out = '';
      let t = 0;
      const reporter = createProgressReporter({ format, write: (text) => (out += text), now: () => t });
      await runSteps(
        [
          { name: 'state', run: async () => void (t += 1_000) },
          { name: 'pex', skip: () => 'no build planned', run: async () => undefined },
          { name: 'publish', run: async () => Promise.reject(new Error('store offline')) },
        ],
        undefined,
        { label: 'black', now: () => t, onEvent: createStepEventRenderer(reporter) },
      ).catch(() => undefined);
      return out;
    };
    expect(await run('plain')).toBe(
      [
        '[1/3] 1s, about 2s left: state done (1s)',
        '[2/3] 1s, about 1s left: pex done (skipped: no build planned)',
        '[3/3] 1s, 1 failed: publish failed (publish: store offline)',
        '[3/3] 1s, 1 failed: black finished',
        '',
      ].join('\n'),
    );
    const records = (await run('json'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; item?: string; detail?: string });
    expect(records.map((r) => [r.event, r.item, r.detail])).toEqual([
      ['start', undefined, undefined],
      ['begin', 'state', undefined],
      ['done', 'state', '1s'],
      ['done', 'pex', 'skipped: no build planned'],
      ['begin', 'publish', undefined],
      ['failed', 'publish', 'publish: store offline'],
      ['finish', undefined, undefined],
    ]);
  });
});
