import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PackyardError, isProcessAlive, writeFileAtomically } from '@packyard/core';
import { digestFile, type ArchiveDigests } from '@packyard/archive';
import { Long } from 'bson';
import {
  canonicalJson,
  fromExtendedJson,
  keyHash,
  parseCanonicalJson,
  type KeyObject,
  type KeyValue,
} from './canonical.js';
import { checkScope } from './names.js';

/** The scope metatools files dynamic records under when none is configured (`fastpull_scope="local"`). */
export const DEFAULT_SCOPE = 'local';

/** The four digests a blob record keeps, as metatools' BLOS stores them under `hashes`. */
export interface BlobHashes extends ArchiveDigests {
  size: number;
}

/** A dynamic record as stored: the full key (with `final_name`), the blob's hashes, and metadata. */
export interface DynamicRecord {
  key: KeyObject;
  hashes: BlobHashes;
  metadata: KeyObject;
}

/**
 * The store directory, as metatools finds it: `storeDir` if given, else
 * `$METATOOLS_WORKSPACE/repo_tmp/stores`, else `~/repo_tmp/stores`, else `/var/tmp/repo_tmp/stores`.
 */
export function resolveStoreDir(
  storeDir?: string,
  env: Record<string, string | undefined> = process.env,
  home: string | undefined = homedir(),
): string {
  if (storeDir !== undefined && storeDir !== '') return resolve(storeDir);
  const workspace = env['METATOOLS_WORKSPACE'];
  if (workspace !== undefined && workspace !== '') return resolve(workspace, 'repo_tmp', 'stores');
  if (home !== undefined && home !== '') return join(home, 'repo_tmp', 'stores');
  return '/var/tmp/repo_tmp/stores';
}

/** `<h[0:2]>/<h[2:4]>/<h[4:6]>/<h>`: the fan-out metatools, its CDN and Portage's content-hash layout use. Pure. */
export function fanOutPath(hash: string): string {
  return `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash.slice(4, 6)}/${hash}`;
}

const SHA512_HEX = /^[0-9a-f]{128}$/;
// The pid in a work file's name (the last one, for a produceAtomically temporary inside a work path).
const STALE_WORK = /\.(?:tmp-)?(\d+)-[0-9a-z]+$/;

function corrupt(file: string, problem: string, cause?: unknown): PackyardError {
  return new PackyardError('STORE_FAILED', `store record ${file} ${problem}`, {
    file,
    cause,
    hint: 'run `dynamic-archives verify`; delete the record to have it created again',
  });
}

function asHashes(value: KeyValue | undefined, file: string): BlobHashes {
  const hashes = value as Record<string, unknown> | undefined;
  if (hashes === undefined || hashes === null || typeof hashes !== 'object')
    throw corrupt(file, 'has no "hashes"');
  const { sha256, sha512, blake2b } = hashes;
  const size =
    hashes['size'] instanceof Long
      ? hashes['size'].toNumber()
      : typeof hashes['size'] === 'bigint'
        ? Number.NaN
        : hashes['size'];
  if (typeof sha512 !== 'string' || !SHA512_HEX.test(sha512))
    throw corrupt(file, 'has no valid hashes.sha512');
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    throw corrupt(file, 'has no valid hashes.sha256');
  if (typeof blake2b !== 'string' || !SHA512_HEX.test(blake2b))
    throw corrupt(file, 'has no valid hashes.blake2b');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw corrupt(file, 'has no valid hashes.size');
  return { sha256, sha512, blake2b, size };
}

/** The hashes in the key order metatools writes them (the canonical text sorts them anyway). */
function hashesDocument(hashes: BlobHashes): KeyObject {
  return { blake2b: hashes.blake2b, sha256: hashes.sha256, sha512: hashes.sha512, size: hashes.size };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PackyardError('STORE_FAILED', `cannot read ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
}

/**
 * A metatools-compatible content-addressed store on disk:
 * - blobs under `blos/` by sha512: `<fan-out>.blob` holds the bytes and `<fan-out>` the record of
 *   their hashes (`{"hashes": {...}}`), both written once, atomically;
 * - dynamic records under `dynamic/<scope>/` by `keyHash(key)`, each naming its blob by sha512.
 * Every record is BSON canonical extended JSON with sorted keys, as pymongo writes it.
 */
export class ArchiveStore {
  /** The store directory (metatools' `stores`). */
  readonly root: string;
  /** The dynamic-record scope. */
  readonly scope: string;

  constructor(root: string, scope: string = DEFAULT_SCOPE) {
    this.root = resolve(root);
    this.scope = checkScope(scope);
  }

  /** Where a blob's bytes live. */
  blobPath(sha512: string): string {
    return join(this.root, 'blos', `${fanOutPath(sha512)}.blob`);
  }

  /** Where a blob's hash record lives. */
  blobRecordPath(sha512: string): string {
    return join(this.root, 'blos', fanOutPath(sha512));
  }

  /** Where the dynamic record of a full key (with `final_name`) lives. */
  dynamicRecordPath(key: KeyObject): string {
    return join(this.root, 'dynamic', this.scope, fanOutPath(keyHash(key)));
  }

  /**
   * A fresh path inside the store for work files, on the same file system as the blobs, named
   * `<label>.tmp-<pid>-<random>` so that `sweep` can tell a dead process's files from a live one's.
   */
  async tempPath(label: string): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${label}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** The work files and directories in `tmp/` whose process is gone (`<label>.tmp-<pid>-<id>`, or the older `<label>.<pid>-<hex>`). */
  async staleWork(): Promise<string[]> {
    const names = await readdir(join(this.root, 'tmp')).catch(() => [] as string[]);
    return names
      .filter((name) => {
        const pid = STALE_WORK.exec(name)?.[1];
        return pid !== undefined && !isProcessAlive(Number(pid));
      })
      .sort();
  }

  /**
   * Removes the work files and directories of processes that are gone (a killed `create` leaves its
   * partial archive there), so every command that writes to the store starts by clearing them.
   * Those of running processes stay. Returns the names removed.
   */
  async sweep(): Promise<string[]> {
    const stale = await this.staleWork();
    for (const name of stale) await rm(join(this.root, 'tmp', name), { recursive: true, force: true });
    return stale;
  }

  /**
   * Moves the file at `tempFile` (in this store's file system, with the given digests) into the blob
   * area and writes its record. A blob already there with the right bytes is kept and `tempFile`
   * removed; one whose bytes are wrong is replaced, since its name says what it must hold.
   */
  async insertBlob(tempFile: string, hashes: BlobHashes): Promise<BlobHashes> {
    const blob = this.blobPath(hashes.sha512);
    await mkdir(join(blob, '..'), { recursive: true });
    const existing = await stat(blob).catch(() => undefined);
    let keep = false;
    if (existing !== undefined && existing.size === hashes.size) {
      const { digests } = await digestFile(blob);
      keep = digests.sha512 === hashes.sha512;
    }
    if (keep) await rm(tempFile, { force: true });
    else await rename(tempFile, blob);
    const recordPath = this.blobRecordPath(hashes.sha512);
    const text = canonicalJson({ hashes: hashesDocument(hashes) }, 'hashes');
    if ((await readIfExists(recordPath)) !== text) await writeFileAtomically(recordPath, text);
    return hashes;
  }

  /**
   * The blob record for `sha512`, or undefined when there is none; a corrupt one throws STORE_FAILED.
   * Only `hashes` is decoded, so other fields a writer adds never make the record unreadable.
   */
  async readBlobRecord(sha512: string): Promise<BlobHashes | undefined> {
    const path = this.blobRecordPath(sha512);
    const text = await readIfExists(path);
    if (text === undefined) return undefined;
    const hashes = asHashes(readField(text, path, 'hashes'), path);
    if (hashes.sha512 !== sha512)
      throw corrupt(path, `names sha512 ${hashes.sha512}, not the one it is filed under`);
    return hashes;
  }

  /** The dynamic record for a full key, or undefined; a corrupt one throws STORE_FAILED. Reads one file. */
  async readDynamic(key: KeyObject): Promise<{ path: string; record: DynamicRecord } | undefined> {
    const path = this.dynamicRecordPath(key);
    const text = await readIfExists(path);
    if (text === undefined) return undefined;
    return { path, record: dynamicRecordOf(parseRecord(text, path), path) };
  }

  /** Writes the dynamic record for a full key atomically (the last of two concurrent writers wins whole). */
  async writeDynamic(record: DynamicRecord): Promise<string> {
    const path = this.dynamicRecordPath(record.key);
    const text = canonicalJson(
      { hashes: hashesDocument(record.hashes), key: record.key, metadata: record.metadata },
      'record',
    );
    await writeFileAtomically(path, text);
    return path;
  }

  /** Every blob record in the store, as sha512 → its record path. */
  async listBlobs(): Promise<string[]> {
    const out: string[] = [];
    for await (const path of walkFiles(join(this.root, 'blos'))) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      if (SHA512_HEX.test(name)) out.push(name);
    }
    return out.sort();
  }

  /**
   * The final name and blob of every dynamic record, in every scope (what a mirror's filename-hash
   * layout serves). Only those two strings are read; records without them are left out.
   */
  async finalNames(): Promise<Array<{ finalName: string; sha512: string }>> {
    const out: Array<{ finalName: string; sha512: string }> = [];
    for await (const path of walkFiles(join(this.root, 'dynamic'))) {
      if (!SHA512_HEX.test(path.slice(path.lastIndexOf('/') + 1))) continue;
      const text = await readFile(path, 'utf8');
      const sha512 = referencedSha512(text);
      const finalName = recordFinalName(text);
      if (sha512 !== undefined && finalName !== undefined) out.push({ finalName, sha512 });
    }
    return out.sort((a, b) => (a.finalName < b.finalName ? -1 : a.finalName > b.finalName ? 1 : 0));
  }

  /**
   * Every sha512 some record points at: the `hashes.sha512` of dynamic records in every scope, and
   * the `sha512` of metatools' integrity records (fetched distfiles share the same blobs). Only that
   * one string is read from each record (plain JSON, no type is decoded), so a record holding types
   * packyard cannot decode still keeps its blob. A record that is not JSON or names no sha512 is
   * listed in `unreadable`; every 128-hex-digit string in its text is still counted as referenced,
   * so gc never removes a blob such a record might point at.
   */
  async referencedBlobs(): Promise<{ referenced: Set<string>; unreadable: string[] }> {
    const referenced = new Set<string>();
    const unreadable: string[] = [];
    for (const area of ['dynamic', 'integrity']) {
      for await (const path of walkFiles(join(this.root, area))) {
        const name = path.slice(path.lastIndexOf('/') + 1);
        if (!SHA512_HEX.test(name)) continue;
        const text = await readFile(path, 'latin1');
        const sha = referencedSha512(text);
        if (sha !== undefined) {
          referenced.add(sha);
          continue;
        }
        unreadable.push(path);
        for (const match of text.matchAll(/[0-9a-f]{128}/g)) referenced.add(match[0]);
      }
    }
    return { referenced, unreadable: unreadable.sort() };
  }
}

/** `hashes.sha512` (dynamic records) or `sha512` (integrity records) of a record's text, if it has one. */
/** `key.final_name` of a dynamic record's text, if it is a string. */
function recordFinalName(text: string): string | undefined {
  try {
    const data = JSON.parse(text) as { key?: { final_name?: unknown } } | null;
    const name = data?.key?.final_name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

function referencedSha512(text: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  const hashes = record['hashes'];
  const sha =
    hashes !== null && typeof hashes === 'object'
      ? (hashes as Record<string, unknown>)['sha512']
      : record['sha512'];
  return typeof sha === 'string' && SHA512_HEX.test(sha) ? sha : undefined;
}

/** One top-level field of a record, decoded alone (the rest is only parsed as JSON). */
function readField(text: string, path: string, field: string): KeyValue | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(path, `is not valid JSON: ${(error as Error).message}`, error);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw corrupt(path, 'is not an object');
  const value = (data as Record<string, unknown>)[field];
  if (value === undefined) return undefined;
  try {
    return fromExtendedJson(value);
  } catch (error) {
    throw corrupt(
      path,
      `has a "${field}" that is not valid extended JSON: ${(error as Error).message}`,
      error,
    );
  }
}

function parseRecord(text: string, path: string): KeyObject {
  try {
    return parseCanonicalJson(text);
  } catch (error) {
    throw corrupt(path, `is not valid extended JSON: ${(error as Error).message}`, error);
  }
}

function dynamicRecordOf(data: KeyObject, path: string): DynamicRecord {
  const key = data['key'];
  if (
    key === undefined ||
    key === null ||
    typeof key !== 'object' ||
    Array.isArray(key) ||
    key instanceof Date
  ) {
    throw corrupt(path, 'has no "key" object');
  }
  const metadata = data['metadata'] ?? {};
  if (
    metadata === null ||
    typeof metadata !== 'object' ||
    Array.isArray(metadata) ||
    metadata instanceof Date
  ) {
    throw corrupt(path, 'has a "metadata" that is not an object');
  }
  return { key: key as KeyObject, hashes: asHashes(data['hashes'], path), metadata: metadata as KeyObject };
}

export async function* walkFiles(dir: string): AsyncGenerator<string> {
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of names) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(path);
    else if (entry.isFile()) yield path;
  }
}
