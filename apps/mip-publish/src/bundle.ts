import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeZip, type ArchiveEntry } from '@packyard/archive';
import { PackyardError, isAccessible, toPackyardError, writeFileAtomically } from '@packyard/core';
import { contentAddressedKey } from '@packyard/mip';
import { readBuildRecord, listPreparedDirs } from './compile.js';
import type { Context, PackageResult } from './context.js';
import { renderPublishedMetadata, type MipJson } from './metadata.js';
import { listFiles } from './prepare.js';
import { mhlName } from './config.js';
import { stat } from 'node:fs/promises';

/**
 * The deterministic zip behind every .mhl: entries sorted, fixed timestamps and modes, sha256 computed
 * while writing (libs/archive's writeZip). One function, so the writer can be swapped in one place.
 */
export async function writeMhl(
  dir: string,
  out: string,
  mtime: number,
): Promise<{ sha256: string; size: number }> {
  const entries: ArchiveEntry[] = [];
  for (const name of await listFiles(dir)) {
    const info = await stat(join(dir, name));
    entries.push({ name, source: { path: join(dir, name) }, executable: (info.mode & 0o111) !== 0 });
  }
  const result = await writeZip(out, entries, { mtime });
  return { sha256: result.sha256, size: result.size };
}

/**
 * bundle: zips each prepared `<mhl>.dir` into `<mhl>.mhl` and writes `<mhl>.mhl.mip.json` (mip.json,
 * the measured durations, and the bundle's sha256 and size) into the bundled directory.
 */
export async function bundlePackages(
  ctx: Context,
  options: { dryRun?: boolean } = {},
): Promise<PackageResult[]> {
  const names = await listPreparedDirs(ctx.preparedDir);
  ctx.log.info(`Found ${names.length} .dir package(s) in ${ctx.preparedDir}`);
  const results: PackageResult[] = [];
  let n = 0;
  for (const mhl of names) {
    n++;
    ctx.log.info(`[${n}/${names.length}] ${mhl}.dir`);
    try {
      const dir = join(ctx.preparedDir, `${mhl}.dir`);
      const mip = JSON.parse(await readFile(join(dir, 'mip.json'), 'utf8')) as MipJson;
      if (mhlName(mip) !== mhl) {
        throw new PackyardError('CONFIG_INVALID', `mip.json names ${mhlName(mip)}, not ${mhl}`, {
          file: join(dir, 'mip.json'),
        });
      }
      const record = await readBuildRecord(ctx.preparedDir, mhl);
      if (record.compile_status === 'failed') {
        throw new PackyardError('BUILD_FAILED', 'its compile.m failed; it is not bundled', {
          file: join(dir, 'compile.m'),
          hint: `see ${join(ctx.preparedDir, `${mhl}.compile.log`)}`,
        });
      }
      if (record.compile_status === 'none' && (await isAccessible(join(dir, 'compile.m')))) {
        throw new PackyardError('BUILD_FAILED', 'it has a compile.m that has not been run', {
          file: join(dir, 'compile.m'),
          hint: 'run the compile step first',
        });
      }
      if (options.dryRun) {
        results.push({ name: mhl, status: 'done', detail: `would write ${mhl}.mhl and ${mhl}.mhl.mip.json` });
        continue;
      }
      const mtime = Math.floor(Date.parse(mip.timestamp) / 1000);
      const out = join(ctx.bundledDir, `${mhl}.mhl`);
      const { sha256, size } = await writeMhl(dir, out, mtime);
      await writeFileAtomically(
        `${out}.mip.json`,
        renderPublishedMetadata({
          ...mip,
          prepare_duration: record.prepare_duration,
          compile_duration: record.compile_duration,
          sha256,
          size,
          mhl_sha256: sha256,
          mhl_key: contentAddressedKey(`${mhl}.mhl`, sha256),
        }),
      );
      ctx.log.info(`  ${out} (${size} bytes, sha256 ${sha256})`);
      results.push({ name: mhl, status: 'done', detail: `bundled ${out}` });
    } catch (error) {
      const failure = toPackyardError(error, 'BUILD_FAILED');
      ctx.log.error(`  ${mhl}: ${failure.format()}`);
      results.push({ name: mhl, status: 'failed', detail: failure.format(), code: failure.code });
    }
  }
  return results;
}

/** The bundles in the bundled directory that have their metadata beside them, sorted. */
export async function listBundles(bundledDir: string): Promise<string[]> {
  const files = new Set(await readdir(bundledDir).catch(() => [] as string[]));
  return [...files]
    .filter((f) => f.endsWith('.mhl') && files.has(`${f}.mip.json`))
    .map((f) => f.slice(0, -'.mhl'.length))
    .sort();
}
