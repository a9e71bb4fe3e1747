import { rm, stat } from 'node:fs/promises';
import { readTreeEntries, type ArchiveItem } from '@packyard/archive';
import { PackyardError, runSteps, type Step } from '@packyard/core';
import {
  copyForPortage,
  findArchive,
  recordBlob,
  resolveCdnUrl,
  writeEntries,
  type CreateArchiveOptions,
  type StoreArchiveOptions,
  type StoredArchive,
  type WrittenArchive,
} from '../dynamic.js';
import { planCreate, type CreatePlan } from '../plan.js';
import { ArchiveStore, resolveStoreDir } from '../store.js';
import type { StoreRunOptions } from '../types.js';

/** What `create`'s steps share: the plan, the store, and what each step hands to the next. */
export interface CreateContext {
  plan: CreatePlan;
  store: ArchiveStore;
  log?: (line: string) => void;
  found?: StoredArchive;
  entries?: ArchiveItem[];
  written?: WrittenArchive;
  archive?: StoredArchive;
}

const stored = (ctx: CreateContext): string | undefined =>
  ctx.found === undefined ? undefined : 'already stored under this name and key';

// Puts every entry under `top` (and keeps an empty top directory as one).
function underTop(top: string, entries: ArchiveItem[]): ArchiveItem[] {
  if (entries.length === 0) return [{ name: top, directory: true }];
  const prefix = Buffer.from(`${top}/`, 'utf8');
  return entries.map((entry) => ({
    ...entry,
    name: `${top}/${entry.name}`,
    ...(entry.rawName === undefined ? {} : { rawName: Buffer.concat([prefix, entry.rawName]) }),
  }));
}

/**
 * `create`'s steps, in order: one record read (a stored archive ends the work), the tree read whole
 * (a symlink or special file anywhere is refused before anything is written), the archive written
 * into the store's tmp/, moved into blos/ with its record, then copied for Portage.
 */
export const CREATE_STEPS: readonly Step<CreateContext>[] = [
  {
    name: 'find',
    skip: ({ plan }) => (plan.force ? 'forced: building again' : undefined),
    run: async (ctx) => {
      const { plan } = ctx;
      ctx.found = await findArchive(plan.finalName, {
        storeDir: plan.storeDir,
        ...(plan.scope === undefined ? {} : { scope: plan.scope }),
        cdnUrl: plan.cdnUrl,
        key: plan.key,
      });
    },
  },
  {
    name: 'walk',
    skip: stored,
    run: async (ctx) => {
      const { from, topDirectory } = ctx.plan;
      const info = await stat(from).catch(() => undefined);
      if (info === undefined || !info.isDirectory()) {
        throw new PackyardError('ARCHIVE_INVALID', `${from} is not a directory`, {
          file: from,
          hint: 'give the directory whose contents go into the archive',
        });
      }
      const entries = await readTreeEntries(from, { emptyDirectories: true });
      ctx.entries = topDirectory === undefined ? entries : underTop(topDirectory, entries);
    },
  },
  {
    name: 'write',
    skip: stored,
    run: async (ctx) => {
      // The first write: stale work files of dead processes go first.
      await ctx.store.sweep();
      ctx.written = await writeEntries(ctx.store, ctx.plan.finalName, ctx.entries!, ctx.plan.write);
    },
  },
  {
    name: 'record',
    skip: stored,
    run: async (ctx) => {
      const { plan, written } = ctx;
      ctx.archive = await recordBlob(
        ctx.store,
        plan.finalName,
        written!.path,
        written!.hashes,
        { key: plan.key, metadata: plan.metadata },
        plan.cdnUrl,
      );
    },
  },
  {
    name: 'distfiles',
    skip: (ctx) => stored(ctx) ?? ('skip' in ctx.plan.distfiles ? ctx.plan.distfiles.skip : undefined),
    run: async (ctx) => {
      const { distfiles } = ctx.plan;
      if ('dir' in distfiles) {
        await copyForPortage(ctx.archive!, {
          distfilesDir: distfiles.dir,
          ...(ctx.log === undefined ? {} : { log: ctx.log }),
        });
      }
    },
  },
];

/** What `runCreate` did: found the archive already stored, or created it. */
export interface CreateReport {
  status: 'found' | 'created';
  archive: StoredArchive;
}

/** Carries out a `create` plan through the step kernel; the work file is removed whatever happens. */
export async function runCreate(plan: CreatePlan, options: StoreRunOptions = {}): Promise<CreateReport> {
  const ctx: CreateContext = {
    plan,
    store: new ArchiveStore(plan.storeDir, plan.scope),
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  try {
    await runSteps(CREATE_STEPS, ctx, {
      label: `create ${plan.finalName}`,
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });
  } finally {
    if (ctx.written !== undefined) await rm(ctx.written.path, { force: true });
  }
  return ctx.found !== undefined
    ? { status: 'found', archive: ctx.found }
    : { status: 'created', archive: ctx.archive! };
}

/** Options of `archiveDirectory`. */
export interface ArchiveDirectoryOptions extends CreateArchiveOptions, StoreArchiveOptions {
  /** Put every entry under this one directory name in the archive. */
  topDirectory?: string;
}

/**
 * Archives the tree under `dir` as it is, read in place (no copy): every regular file and every
 * empty directory, names as their bytes. Then stores it as `createArchive(...).store` does. The key,
 * metadata and the whole tree (a symlink or special file anywhere is refused) are checked before
 * anything is written; stale work files of dead processes are removed first. `create` without `find`.
 */
export async function archiveDirectory(
  finalName: string,
  dir: string,
  options: ArchiveDirectoryOptions = {},
): Promise<StoredArchive> {
  const plan = planCreate({
    ...options,
    finalName,
    from: dir,
    force: true,
    storeDir: resolveStoreDir(options.storeDir, options.env ?? process.env),
    cdnUrl: resolveCdnUrl(options),
  });
  return (await runCreate(plan, options.log === undefined ? {} : { log: options.log })).archive;
}
