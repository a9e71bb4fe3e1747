import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from '@packyard/archive';
import { planGarbage, type GcPlan } from './plan.js';
import { walkFiles, type ArchiveStore } from './store.js';

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
export async function listBlobNames(store: ArchiveStore): Promise<string[]> {
  const names = new Set<string>();
  for await (const path of walkFiles(join(store.root, 'blos'))) {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.blob$/, '');
    if (SHA512_HEX.test(name)) names.add(name);
  }
  return [...names].sort();
}

/** Re-hashes one blob and compares it with its record and its name; undefined when all match. */
export async function checkBlob(store: ArchiveStore, sha512: string): Promise<BlobProblem | undefined> {
  const blobPath = store.blobPath(sha512);
  let record;
  try {
    record = await store.readBlobRecord(sha512);
  } catch (error) {
    const detail = (error as Error).message;
    return { sha512, path: store.blobRecordPath(sha512), problem: 'corrupt record', detail };
  }
  const blob = await stat(blobPath).catch(() => undefined);
  if (record === undefined) {
    return { sha512, path: blobPath, problem: 'no record', detail: 'a blob with no hash record beside it' };
  }
  if (blob === undefined) {
    return { sha512, path: blobPath, problem: 'missing blob', detail: 'the record has no blob beside it' };
  }
  const { digests, size } = await digestFile(blobPath);
  const wrong: string[] = (['sha512', 'sha256', 'blake2b'] as const).filter(
    (name) => digests[name] !== record[name],
  );
  if (size !== record.size) wrong.push('size');
  if (digests.sha512 !== sha512 && !wrong.includes('sha512')) wrong.push('sha512');
  if (wrong.length === 0) return undefined;
  return {
    sha512,
    path: blobPath,
    problem: 'digest mismatch',
    detail: `${wrong.join(', ')} differ from the record (sha512 is ${digests.sha512})`,
  };
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
 * Reads what `gc` decides on (every blob and its size, what the records point at, the stale work
 * files) and plans it with `planGarbage`. Reads only each record's sha512; a record it cannot read
 * is listed in `unreadable`, and every sha512-like string in it keeps that blob.
 */
export async function readGcPlan(store: ArchiveStore, options: { dryRun?: boolean } = {}): Promise<GcPlan> {
  const { referenced, unreadable } = await store.referencedBlobs();
  const blobs: Array<{ sha512: string; size: number }> = [];
  for (const sha512 of await listBlobNames(store)) {
    const blob = referenced.has(sha512)
      ? undefined
      : await stat(store.blobPath(sha512)).catch(() => undefined);
    blobs.push({ sha512, size: blob?.size ?? 0 });
  }
  return planGarbage(
    { blobs, referenced, unreadable, staleWork: await store.staleWork() },
    options.dryRun === true,
  );
}
