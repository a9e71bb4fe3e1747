import { basename, join } from 'node:path';
import type { Step } from '@packyard/core';
import { buildWheel, testWheel } from '../build.js';
import type { UpdateAction } from '../plan.js';
import type { UpdateContext } from '../types.js';
import { prepareIndexCheckout } from './index-checkout.js';
import { publishToIndex } from './publish.js';
import { cloneSource } from './source.js';

/** A step that runs when its action is planned. */
function planned(name: UpdateAction, run: (ctx: UpdateContext) => Promise<void>): Step<UpdateContext> {
  return {
    name,
    skip: (ctx) => (ctx.actions.includes(name) ? undefined : 'not planned'),
    run,
  };
}

/** What a step needs from an earlier one; missing means the steps were run out of order (a bug). */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the update steps ran out of order: no ${what} yet`);
  return value;
}

/**
 * The update's steps, in order. The index checkout comes first, so a missing or dirty one fails
 * before minutes of building; the wheel is built and install-tested before anything is added.
 */
export const UPDATE_STEPS: readonly Step<UpdateContext>[] = [
  planned('index', async (ctx) => {
    ctx.index = await prepareIndexCheckout(ctx.options, ctx.workDir);
    ctx.options.log.info(`index: ${ctx.index.dir} (pushing to ${ctx.index.remote} ${ctx.plan.branch})`);
  }),
  planned('clone', async (ctx) => {
    const { plan } = ctx;
    ctx.source = await cloneSource(ctx.options.git, plan.sourceUrl, plan.ref, join(ctx.workDir, 'source'));
    ctx.options.log.info(`source: ${plan.owner}/${plan.repo} at ${plan.ref} is ${ctx.source.commit}`);
  }),
  planned('build', async (ctx) => {
    const source = need(ctx.source, 'source checkout');
    ctx.tools = await ctx.options.provisionTools();
    ctx.wheel = await buildWheel(ctx.tools, {
      sourceDir: source.dir,
      outDir: join(ctx.workDir, 'dist'),
      python: ctx.options.python,
      indexUrl: ctx.options.indexUrl,
      sourceDateEpoch: source.commitTime,
    });
    ctx.options.log.info(`built ${basename(ctx.wheel)}`);
  }),
  planned('install-test', async (ctx) => {
    const modules = await testWheel(need(ctx.tools, 'tools'), {
      wheel: need(ctx.wheel, 'wheel'),
      workDir: join(ctx.workDir, 'install-test'),
      python: ctx.options.python,
      indexUrl: ctx.options.indexUrl,
    });
    ctx.modules = modules;
    ctx.options.log.info(
      modules.length > 0
        ? `install test passed: imported ${modules.join(', ')}`
        : 'install test passed: installed (the wheel has no top-level module to import)',
    );
  }),
  planned('publish', async (ctx) => {
    ctx.published = await publishToIndex(
      ctx.options,
      need(ctx.index, 'index checkout'),
      need(ctx.wheel, 'wheel'),
      ctx.plan,
    );
  }),
];
