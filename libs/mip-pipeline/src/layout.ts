import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildRecord } from './metadata.js';

/** The key of a package's published metadata. Pure. */
export function metadataKey(prefix: string, mhl: string): string {
  return `${prefix}${mhl}.mhl.mip.json`;
}

/** Where a package file's own output (stdout and stderr of its build) is kept: beside its `.dir`. */
export function prepareLogPath(preparedDir: string, mhl: string): string {
  return join(preparedDir, `${mhl}.prepare.log`);
}

/** Where the measured values of a prepared package are kept: beside its `.dir`, never inside it. */
export function buildRecordPath(preparedDir: string, mhl: string): string {
  return join(preparedDir, `${mhl}.build.json`);
}

/** Reads `<mhl>.build.json`; a package prepared by another tool gets an empty record. */
export async function readBuildRecord(preparedDir: string, mhl: string): Promise<BuildRecord> {
  const text = await readFile(buildRecordPath(preparedDir, mhl), 'utf8').catch(() => undefined);
  if (text === undefined) return { prepare_duration: 0, compile_duration: 0, compile_status: 'none' };
  return JSON.parse(text) as BuildRecord;
}

/** The prepared `<mhl>.dir` folders, sorted. */
export async function listPreparedDirs(preparedDir: string): Promise<string[]> {
  const entries = await readdir(preparedDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.endsWith('.dir') && !e.name.startsWith('.'))
    .map((e) => e.name.slice(0, -'.dir'.length))
    .sort();
}

/** The bundles in the bundled directory that have their metadata beside them, sorted. */
export async function listBundles(bundledDir: string): Promise<string[]> {
  const files = new Set(await readdir(bundledDir).catch(() => [] as string[]));
  return [...files]
    .filter((f) => f.endsWith('.mhl') && files.has(`${f}.mip.json`))
    .map((f) => f.slice(0, -'.mhl'.length))
    .sort();
}
