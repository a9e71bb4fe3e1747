/**
 * The pure plans of the store's long commands: what `create` walks, writes and records, what `gc`
 * removes, and which blobs `verify` re-hashes (`publish`'s plan is `planPublish`). Each is a plain
 * object from inputs already read; the steps carry it out and never decide again.
 */
import { archiveFormatOf, type ArchiveFormat } from '@packyard/archive';
import type { KeyObject } from './canonical.js';
import { checkedRecord, type CreateArchiveOptions, type StoreArchiveOptions } from './dynamic.js';
import { checkFinalName, checkTopDirectory } from './names.js';
import { DEFAULT_DISTFILES_DIR } from './portage.js';

/** What `planCreate` is asked: archive the directory `from` under `finalName` and `key`. */
export interface CreateRequest extends StoreArchiveOptions {
  finalName: string;
  /** The directory whose contents go into the archive (absolute). */
  from: string;
  /** Put every entry under this one directory name. */
  topDirectory?: string;
  /** Rebuild even when an archive is stored under the name and key (metatools' `--force_dynamic`). */
  force?: boolean;
  /** The store, its scope and the CDN URL, as `resolveStoreDir` and `resolveCdnUrl` give them. */
  storeDir: string;
  scope?: string;
  cdnUrl: string;
  mtime?: number;
  level?: number;
  /** The distfiles directory; `false` never copies (`--no-distfiles`). Default Portage's. */
  distfilesDir?: string | false;
  /** Production mode: never copy into distfiles. */
  production?: boolean;
  /** `metadata.created_on`; default now. */
  now?: Date;
}

/** `create`'s plan: every name, the full key and the metadata checked, and where the copy goes. */
export interface CreatePlan {
  finalName: string;
  format: ArchiveFormat;
  from: string;
  topDirectory?: string;
  force: boolean;
  storeDir: string;
  scope?: string;
  cdnUrl: string;
  key: KeyObject;
  metadata: KeyObject;
  write: Pick<CreateArchiveOptions, 'mtime' | 'level'>;
  /** Where the Portage copy goes, or why there is none. */
  distfiles: { dir: string } | { skip: string };
}

/** Checks a `create` request whole (names, key, metadata) and plans it. Pure given `request.now`. */
export function planCreate(request: CreateRequest): CreatePlan {
  const finalName = checkFinalName(request.finalName);
  const top = request.topDirectory === undefined ? undefined : checkTopDirectory(request.topDirectory);
  const { key, metadata } = checkedRecord(finalName, request, request.now);
  const dir = request.distfilesDir ?? DEFAULT_DISTFILES_DIR;
  return {
    finalName,
    format: archiveFormatOf(finalName),
    from: request.from,
    ...(top === undefined ? {} : { topDirectory: top }),
    force: request.force === true,
    storeDir: request.storeDir,
    ...(request.scope === undefined ? {} : { scope: request.scope }),
    cdnUrl: request.cdnUrl,
    key,
    metadata,
    write: {
      ...(request.mtime === undefined ? {} : { mtime: request.mtime }),
      ...(request.level === undefined ? {} : { level: request.level }),
    },
    distfiles:
      request.production === true
        ? { skip: 'production mode' }
        : dir === false
          ? { skip: 'distfiles copy turned off' }
          : { dir },
  };
}

/** What the store holds, as `gc` reads it before planning. */
export interface GcInputs {
  /** Every blob (by sha512) with its size in bytes (0 when only its record is there). */
  blobs: ReadonlyArray<{ sha512: string; size: number }>;
  /** Every sha512 some record points at. */
  referenced: ReadonlySet<string>;
  /** Records that could not be read (their blobs are in `referenced` anyway). */
  unreadable: readonly string[];
  /** Work files in `tmp/` whose process is gone. */
  staleWork: readonly string[];
}

/** `gc`'s plan: the blobs to remove and the work files to clear, or, in a dry run, to list. */
export interface GcPlan {
  dryRun: boolean;
  remove: Array<{ sha512: string; size: number }>;
  kept: number;
  bytes: number;
  staleWork: string[];
  unreadable: string[];
}

/** Every blob no record points at goes; the rest stay. Pure. */
export function planGarbage(inputs: GcInputs, dryRun: boolean): GcPlan {
  const remove = inputs.blobs.filter((blob) => !inputs.referenced.has(blob.sha512));
  return {
    dryRun,
    remove,
    kept: inputs.blobs.length - remove.length,
    bytes: remove.reduce((sum, blob) => sum + blob.size, 0),
    staleWork: [...inputs.staleWork],
    unreadable: [...inputs.unreadable],
  };
}
