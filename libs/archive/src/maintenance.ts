import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from './hash.js';
import type { ArchiveStore } from './store.js';
import { walkFiles } from './store.js';

/** One blob `verifyStore` found wrong. */
export interface BlobProblem {
  sha512: string;
  /** The file at fault. */
  path: string;
  problem: 'missing blob' | 'no record' | 'corrupt record' | 'digest mismatch';
  detail: string;
}

/** What `verifyStore` found. */
export interface VerifyReport {
  checked: number;
  problems: BlobProblem[];
}

const SHA512_HEX = /^[0-9a-f]{128}$/;

/** Every sha512 under `blos/` that has a record, a blob, or both. */
async function blobNames(store: ArchiveStore): Promise<string[]> {
  const names = new Set<string>();
  for await (const path of walkFiles(join(store.root, 'blos'))) {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.blob$/, '');
    if (SHA512_HEX.test(name)) names.add(name);
  }
  return [...names].sort();
}

/**
 * Re-hashes every blob and compares it with its record and its name: a blob whose bytes do not
 * match, a record without its blob, a blob without a record, and a record that cannot be read are
 * each reported. Changes nothing.
 */
export async function verifyStore(store: ArchiveStore, log?: (line: string) => void): Promise<VerifyReport> {
  const problems: BlobProblem[] = [];
  const names = await blobNames(store);
  let index = 0;
  for (const sha512 of names) {
    index++;
    log?.(`[${index}/${names.length}] ${sha512.slice(0, 16)}…`);
    const blobPath = store.blobPath(sha512);
    let record;
    try {
      record = await store.readBlobRecord(sha512);
    } catch (error) {
      problems.push({
        sha512,
        path: store.blobRecordPath(sha512),
        problem: 'corrupt record',
        detail: (error as Error).message,
      });
      continue;
    }
    const blob = await stat(blobPath).catch(() => undefined);
    if (record === undefined) {
      problems.push({
        sha512,
        path: blobPath,
        problem: 'no record',
        detail: 'a blob with no hash record beside it',
      });
      continue;
    }
    if (blob === undefined) {
      problems.push({
        sha512,
        path: blobPath,
        problem: 'missing blob',
        detail: 'the record has no blob beside it',
      });
      continue;
    }
    const { digests, size } = await digestFile(blobPath);
    const wrong: string[] = (['sha512', 'sha256', 'blake2b'] as const).filter(
      (name) => digests[name] !== record[name],
    );
    if (size !== record.size) wrong.push('size');
    if (digests.sha512 !== sha512 && !wrong.includes('sha512')) wrong.push('sha512');
    if (wrong.length > 0) {
      problems.push({
        sha512,
        path: blobPath,
        problem: 'digest mismatch',
        detail: `${wrong.join(', ')} differ from the record (sha512 is ${digests.sha512})`,
      });
    }
  }
  return { checked: names.length, problems };
}

/** What `collectGarbage` removed (or, in a dry run, would remove). */
export interface GcReport {
  dryRun: boolean;
  /** sha512s of the blobs no record points at. */
  removed: string[];
  bytes: number;
  kept: number;
  /** Work files left in `tmp/` by processes that are no longer running. */
  staleTemp: string[];
  /** Records that are not JSON or name no sha512 (reported; the blobs they might name are kept). */
  unreadable: string[];
}

/**
 * Removes every blob (bytes and record) that no dynamic record (any scope) and no metatools
 * integrity record points at, and the work files of processes that are gone. With `dryRun`, only
 * reports. Reads only each record's sha512; a record it cannot read is reported in `unreadable`,
 * never a reason to stop, and every sha512-like string in it keeps that blob.
 */
export async function collectGarbage(
  store: ArchiveStore,
  options: { dryRun?: boolean } = {},
): Promise<GcReport> {
  const dryRun = options.dryRun === true;
  const { referenced, unreadable } = await store.referencedBlobs();
  const removed: string[] = [];
  let bytes = 0;
  let kept = 0;
  for (const sha512 of await blobNames(store)) {
    if (referenced.has(sha512)) {
      kept++;
      continue;
    }
    const blob = await stat(store.blobPath(sha512)).catch(() => undefined);
    bytes += blob?.size ?? 0;
    removed.push(sha512);
    if (!dryRun) {
      // The blob first: a record without its blob is what a half-finished gc may leave, and find
      // treats that as "not stored", so the next store completes it.
      await rm(store.blobPath(sha512), { force: true });
      await rm(store.blobRecordPath(sha512), { force: true });
    }
  }
  const staleTemp = dryRun ? await store.staleWork() : await store.sweep();
  return { dryRun, removed, bytes, kept, staleTemp, unreadable };
}
