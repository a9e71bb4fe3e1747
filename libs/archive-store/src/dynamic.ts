import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import {
  archiveFormatOf,
  writeArchiveAs,
  digestFile,
  type ArchiveDigests,
  readTreeEntries,
  type ArchiveItem,
} from '@packyard/archive';
import { canonicalJson, type KeyObject } from './canonical.js';
import { checkFinalName, checkTopDirectory } from './names.js';
import { copyToDistfiles, DEFAULT_DISTFILES_DIR, renderSrcUri, type DistfileCopy } from './portage.js';
import { ArchiveStore, DEFAULT_SCOPE, fanOutPath, resolveStoreDir, type BlobHashes } from './store.js';

/** Where Funtoo's CDN serves blobs by hash when `METATOOLS_DISTFILES_HOST` does not say otherwise. */
export const DEFAULT_CDN_URL = 'https://direct.funtoo.org';

/** Options every dynamic-archive call takes; each has a default. */
export interface DynamicArchiveOptions {
  /** The store directory; default as `resolveStoreDir` finds it (metatools' `repo_tmp/stores`). */
  storeDir?: string;
  /** The dynamic-record scope, default "local". */
  scope?: string;
  /** Base URL the CDN serves `<fan-out sha512>` under; default `$METATOOLS_DISTFILES_HOST`, else DEFAULT_CDN_URL. */
  cdnUrl?: string;
  /** The environment the defaults are read from; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Options of `findArchive`. */
export interface FindArchiveOptions extends DynamicArchiveOptions {
  /** The key the archive was stored with (without `final_name`, which the name supplies). Never modified. */
  key?: KeyObject;
  /** Find nothing, so the caller rebuilds (metatools' `doit --force_dynamic`). */
  force?: boolean;
}

/** Options of `createArchive`. */
export interface CreateArchiveOptions extends DynamicArchiveOptions {
  /** Archive mtime in seconds; default SOURCE_DATE_EPOCH, else 1980-01-01. */
  mtime?: number;
  /** Compression level of the format the name selects; default that format's. */
  level?: number;
  /** Distfiles directory a stored archive is copied to; default /var/cache/portage/distfiles; `false` never copies. */
  distfilesDir?: string | false;
  /** Production mode: never copy into distfiles (the CDN serves the file). */
  production?: boolean;
  /** Receives warnings (a distfiles directory that could not be written). */
  log?: (line: string) => void;
}

/** What to store an archive with. */
export interface StoreArchiveOptions {
  /** What identifies this archive besides its name, such as `{ gosum: "…" }`. Never modified. */
  key?: KeyObject;
  /** Kept with the record and returned by `findArchive`, never matched; `created_on` is set for you. */
  metadata?: KeyObject;
}

/** A stored archive, found or just created. */
export interface StoredArchive {
  finalName: string;
  size: number;
  digests: ArchiveDigests;
  /** The blob in the local store. */
  blobPath: string;
  /** Where the CDN serves it: `<cdn>/<s[0:2]>/<s[2:4]>/<s[4:6]>/<sha512>`. */
  url: string;
  /** The SRC_URI form, `<url> -> <finalName>`. */
  srcUri: string;
  /** The full key the record is filed under (the caller's key plus `final_name`). */
  key: KeyObject;
  metadata: KeyObject;
  /** The dynamic record's file. */
  recordPath: string;
  /** Set by `store`: what happened to the distfiles copy. */
  distfile?: DistfileCopy;
}

/** The caller's key plus `final_name`, as a new object; a different `final_name` in the key is refused. Pure. */
export function fullKey(finalName: string, key: KeyObject = {}): KeyObject {
  if (key === null || typeof key !== 'object' || Array.isArray(key) || key instanceof Date) {
    throw new PackyardError('ARCHIVE_INVALID', 'key is not an object', {
      field: 'key',
      value: String(key),
      hint: 'give a plain object such as { gosum: "…" }',
    });
  }
  const named = key['final_name'];
  if (named !== undefined && named !== finalName) {
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `key.final_name ${JSON.stringify(named)} differs from the final name ${JSON.stringify(finalName)}`,
      {
        field: 'key.final_name',
        value: named,
        hint: 'leave final_name out of the key; the archive name supplies it',
      },
    );
  }
  return { ...key, final_name: finalName };
}

/** The store the options select (directory and scope). */
export function storeOf(options: DynamicArchiveOptions): ArchiveStore {
  return new ArchiveStore(
    resolveStoreDir(options.storeDir, options.env ?? process.env),
    options.scope ?? DEFAULT_SCOPE,
  );
}

/** The CDN base URL the options select, without a trailing slash. */
export function resolveCdnUrl(options: DynamicArchiveOptions = {}): string {
  const env = options.env ?? process.env;
  const url = options.cdnUrl ?? env['METATOOLS_DISTFILES_HOST'] ?? DEFAULT_CDN_URL;
  return url.replace(/\/+$/, '');
}

function storedArchive(
  store: ArchiveStore,
  finalName: string,
  hashes: BlobHashes,
  key: KeyObject,
  metadata: KeyObject,
  recordPath: string,
  cdnUrl: string,
): StoredArchive {
  const url = `${cdnUrl}/${fanOutPath(hashes.sha512)}`;
  return {
    finalName,
    size: hashes.size,
    digests: { sha256: hashes.sha256, sha512: hashes.sha512, blake2b: hashes.blake2b },
    blobPath: store.blobPath(hashes.sha512),
    url,
    srcUri: renderSrcUri({ url, finalName }),
    key,
    metadata,
    recordPath,
  };
}

/**
 * Moves a finished archive (a temporary file in the store with its digests) into blos/ and writes
 * its dynamic record: what creating and storing an archive end with, before the Portage copy.
 */
export async function recordBlob(
  store: ArchiveStore,
  finalName: string,
  file: string,
  digests: BlobHashes,
  record: { key: KeyObject; metadata: KeyObject },
  cdnUrl: string,
): Promise<StoredArchive> {
  const hashes = await store.insertBlob(file, digests);
  const recordPath = await store.writeDynamic({ ...record, hashes });
  return storedArchive(store, finalName, hashes, record.key, record.metadata, recordPath, cdnUrl);
}

// recordBlob, then the copy for Portage: the last steps of both creating and storing an archive.
async function recordArchive(
  store: ArchiveStore,
  finalName: string,
  file: string,
  digests: BlobHashes,
  key: KeyObject,
  metadata: KeyObject,
  options: CreateArchiveOptions,
): Promise<StoredArchive> {
  const archive = await recordBlob(
    store,
    finalName,
    file,
    digests,
    { key, metadata },
    resolveCdnUrl(options),
  );
  await copyForPortage(archive, options);
  return archive;
}

/**
 * Finds the archive stored under `finalName` and `key` (one record read, whatever the store's size),
 * or undefined when there is none, when its blob is gone or its size is wrong, or when `force` is set.
 * A corrupt record throws STORE_FAILED. `key` is never modified.
 */
export async function findArchive(
  finalName: string,
  options: FindArchiveOptions = {},
): Promise<StoredArchive | undefined> {
  checkFinalName(finalName);
  const key = fullKey(finalName, options.key);
  canonicalJson(key); // validates before anything is read
  if (options.force === true) return undefined;
  const store = storeOf(options);
  const found = await store.readDynamic(key);
  if (found === undefined) return undefined;
  const hashes = found.record.hashes;
  const blobRecord = await store.readBlobRecord(hashes.sha512);
  if (blobRecord === undefined) return undefined;
  const blob = await stat(store.blobPath(hashes.sha512)).catch(() => undefined);
  if (blob === undefined || !blob.isFile() || blob.size !== blobRecord.size) return undefined;
  return storedArchive(
    store,
    finalName,
    blobRecord,
    found.record.key,
    found.record.metadata,
    found.path,
    resolveCdnUrl(options),
  );
}

/** An archive being created: `initialize`, write files into `topPath`, then `store`. */
export class ArchiveBuilder {
  readonly finalName: string;
  readonly #options: CreateArchiveOptions;
  readonly #store: ArchiveStore;
  #workDir: string | undefined;
  #extractDir: string | undefined;
  #topPath: string | undefined;

  constructor(finalName: string, options: CreateArchiveOptions = {}) {
    this.finalName = checkFinalName(finalName);
    this.#options = options;
    this.#store = storeOf(options);
  }

  /** Creates an empty directory to fill; with `topDirectory`, every file is archived under it. */
  async initialize(topDirectory?: string): Promise<void> {
    if (topDirectory !== undefined) checkTopDirectory(topDirectory);
    await this.cleanup();
    await this.#store.sweep();
    const work = await this.#store.tempPath(`archive-${this.finalName}`);
    const extract = join(work, 'extract');
    const top = topDirectory === undefined ? extract : join(extract, topDirectory);
    await mkdir(top, { recursive: true });
    this.#workDir = work;
    this.#extractDir = extract;
    this.#topPath = top;
  }

  /** The directory to write the archive's files into (inside the top directory, if one was given). */
  get topPath(): string {
    if (this.#topPath === undefined) {
      throw new PackyardError('INTERNAL', `archive ${this.finalName} has not been initialized`, {
        hint: 'call initialize() before using topPath',
      });
    }
    return this.#topPath;
  }

  /**
   * Archives what is in the directory (deterministically), stores the blob by its sha512, writes the
   * dynamic record for `key`, copies the archive into distfiles unless told not to, and removes the
   * work directory. The key and metadata are checked before anything is written.
   */
  async store(options: StoreArchiveOptions = {}): Promise<StoredArchive> {
    const { key, metadata } = checkedRecord(this.finalName, options);
    const { extractDir } = this.#initialized();
    const entries = await readTreeEntries(extractDir, { emptyDirectories: true });
    const archive = await archiveEntries(this.#store, this.finalName, entries, key, metadata, this.#options);
    await this.cleanup();
    return archive;
  }

  #initialized(): { extractDir: string } {
    if (this.#workDir === undefined || this.#extractDir === undefined) void this.topPath; // throws
    return { extractDir: this.#extractDir! };
  }

  /** Removes the work directory (done by `store`; call it when giving up on an archive). */
  async cleanup(): Promise<void> {
    if (this.#workDir !== undefined) await rm(this.#workDir, { recursive: true, force: true });
    this.#workDir = undefined;
    this.#extractDir = undefined;
    this.#topPath = undefined;
  }
}

/** The full key and the metadata (with `created_on`, default now), both checked before anything is written. Pure given `now`. */
export function checkedRecord(
  finalName: string,
  options: StoreArchiveOptions,
  now: Date = new Date(),
): { key: KeyObject; metadata: KeyObject } {
  const key = fullKey(finalName, options.key);
  const metadata: KeyObject = { ...(options.metadata ?? {}), created_on: now };
  canonicalJson(key, 'key');
  canonicalJson(metadata, 'metadata');
  return { key, metadata };
}

/** A finished archive in the store's tmp/, with its digests, waiting to be recorded. */
export interface WrittenArchive {
  path: string;
  hashes: BlobHashes;
}

/**
 * Writes the archive straight into the store's tmp/ (a `.tmp-<pid>-` name the next writer sweeps if
 * this process dies). The caller removes `path` once it is recorded (or given up).
 */
export async function writeEntries(
  store: ArchiveStore,
  finalName: string,
  entries: ArchiveItem[],
  options: Pick<CreateArchiveOptions, 'mtime' | 'level'>,
): Promise<WrittenArchive> {
  const temp = await store.tempPath(`archive-${finalName}`);
  try {
    const written = await writeArchiveAs(temp, archiveFormatOf(finalName), entries, {
      ...(options.mtime === undefined ? {} : { mtime: options.mtime }),
      ...(options.level === undefined ? {} : { level: options.level }),
    });
    return { path: written.path, hashes: { ...written.digests, size: written.size } };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

// Writes the archive into the store's tmp/, then moves it into blos/, writes the record and copies
// it for Portage.
async function archiveEntries(
  store: ArchiveStore,
  finalName: string,
  entries: ArchiveItem[],
  key: KeyObject,
  metadata: KeyObject,
  options: CreateArchiveOptions,
): Promise<StoredArchive> {
  const written = await writeEntries(store, finalName, entries, options);
  try {
    return await recordArchive(store, finalName, written.path, written.hashes, key, metadata, options);
  } finally {
    await rm(written.path, { force: true });
  }
}

/** Starts a new archive named `finalName` (its format follows the name); see `ArchiveBuilder`. */
export function createArchive(finalName: string, options: CreateArchiveOptions = {}): ArchiveBuilder {
  return new ArchiveBuilder(finalName, options);
}

/**
 * Stores an archive file that already exists (metatools' `store(existing=…)`) under `finalName` and
 * `key`, as it is: its bytes are copied into the store and hashed there, so the record always
 * describes the stored blob. The name must still end in a supported format.
 */
export async function storeExistingArchive(
  finalName: string,
  file: string,
  options: CreateArchiveOptions & StoreArchiveOptions = {},
): Promise<StoredArchive> {
  checkFinalName(finalName);
  const { key, metadata } = checkedRecord(finalName, options);
  const info = await stat(file).catch((error: unknown) => {
    throw new PackyardError('ARCHIVE_INVALID', `${file} cannot be read: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  });
  if (!info.isFile()) throw new PackyardError('ARCHIVE_INVALID', `${file} is not a regular file`, { file });
  const store = storeOf(options);
  await store.sweep();
  const temp = await store.tempPath(`existing-${finalName}`);
  try {
    await copyFile(file, temp);
    const { digests, size } = await digestFile(temp);
    return await recordArchive(store, finalName, temp, { ...digests, size }, key, metadata, options);
  } finally {
    await rm(temp, { force: true });
  }
}

// metatools copies a new archive into distfiles outside production, so a local emerge finds it
// before the CDN serves it; a directory this user cannot write is a warning, not a failure.
export async function copyForPortage(
  archive: StoredArchive,
  options: Pick<CreateArchiveOptions, 'distfilesDir' | 'production' | 'log'>,
): Promise<void> {
  const distfilesDir = options.distfilesDir ?? DEFAULT_DISTFILES_DIR;
  if (options.production === true || distfilesDir === false) return;
  archive.distfile = await copyToDistfiles(archive.blobPath, archive, distfilesDir);
  if (archive.distfile.status === 'skipped') {
    options.log?.(`warning: not copied to distfiles: ${archive.distfile.reason}`);
  }
}
