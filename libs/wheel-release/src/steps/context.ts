import type { PlannedContext, ProgressReporter } from '@packyard/core';
import type { ReleaseAction, ReleasePlan } from '../plan.js';
import type { PublishResult } from '../publish.js';
import type { ReleaseServices } from '../services.js';
import type { VerifyResult } from '../verify.js';

/** What a run produced, filled in by the steps as they go. */
export interface ReleaseOutcome {
  /** bump, sync: the files written. */
  changed: string[];
  /** build: the wheel file names in `out`, sorted. */
  wheels: string[];
  /** build: the sdist's file name. */
  sdist: string | undefined;
  /** verify, publish: what verification found. */
  verified: VerifyResult | undefined;
  /** publish: what was uploaded, skipped and read back. */
  published: PublishResult | undefined;
}

/** The context every release step runs over: the plan's actions, the services and the outcome. */
export interface ReleaseContext extends PlannedContext<ReleaseAction> {
  plan: ReleasePlan;
  services: ReleaseServices;
  log: (line: string) => void;
  /** Shows a nested `[n/N]` of the wheel builds. */
  progress: ProgressReporter | undefined;
  /** publish: where credentials are read (default process.env). */
  env: Record<string, string | undefined> | undefined;
  /** packyard's tool home (default ~/.cache/packyard). */
  home: string | undefined;
  outcome: ReleaseOutcome;
}

/** The plan's actions of one kind, in order. Pure. */
export function actionsOf<K extends ReleaseAction['kind']>(
  ctx: Pick<ReleaseContext, 'actions'>,
  kind: K,
): Extract<ReleaseAction, { kind: K }>[] {
  return ctx.actions.filter((a): a is Extract<ReleaseAction, { kind: K }> => a.kind === kind);
}

/** `home` as an optional property, for inputs that take it so. */
export function withHome(ctx: Pick<ReleaseContext, 'home'>): { home?: string } {
  return ctx.home === undefined ? {} : { home: ctx.home };
}
