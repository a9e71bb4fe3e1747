import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeZip, type ArchiveEntry } from '@packyard/archive';
import { isAccessible, writeFileAtomically } from '@packyard/core';
import { contentAddressedKey, listFiles } from '@packyard/mip';
import { mhlName } from '../config.js';
import { listPreparedDirs, readBuildRecord } from '../layout.js';
import { renderPublishedMetadata, type MipJson } from '../metadata.js';
import { planBundle } from '../plan.js';
import type { Context, PackageResult } from '../types.js';
import { forEachPackage } from './each.js';

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
  return forEachPackage(
    ctx,
    names,
    { label: 'bundle', describe: (mhl) => ({ name: mhl, line: `${mhl}.dir` }), failureCode: 'BUILD_FAILED' },
    async (mhl) => {
      const dir = join(ctx.preparedDir, `${mhl}.dir`);
      const mip = JSON.parse(await readFile(join(dir, 'mip.json'), 'utf8')) as MipJson;
      const record = await readBuildRecord(ctx.preparedDir, mhl);
      planBundle({
        mhl,
        named: mhlName(mip),
        dir,
        record,
        hasCompileScript: await isAccessible(join(dir, 'compile.m')),
        compileLog: join(ctx.preparedDir, `${mhl}.compile.log`),
      });
      if (options.dryRun) {
        return { name: mhl, status: 'done', detail: `would write ${mhl}.mhl and ${mhl}.mhl.mip.json` };
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
      return { name: mhl, status: 'done', detail: `bundled ${out}` };
    },
  );
}
