import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, isAccessible, toPackyardError } from '@packyard/core';
import { mhlName, readMipYaml, type PackageDefinition } from './config.js';
import { readPythonPackages } from './python.js';
import type { Context } from './types.js';

/** A package file that could not be read or validated. */
export interface DefinitionFailure {
  file: string;
  error: PackyardError;
}

const PACKAGE_FILES = ['mip.yaml', 'packages.py', 'package.py'] as const;

/** Reads every package definition under the packages directory; a bad one is reported, the others go on. */
export async function readPackageDefinitions(
  ctx: Pick<Context, 'packagesDir' | 'python'>,
): Promise<{ definitions: PackageDefinition[]; failures: DefinitionFailure[] }> {
  const definitions: PackageDefinition[] = [];
  const failures: DefinitionFailure[] = [];
  const entries = (
    await readdir(ctx.packagesDir, { withFileTypes: true }).catch((error: unknown) => {
      throw new PackyardError(
        'CONFIG_MISSING',
        `cannot read the packages directory: ${(error as Error).message}`,
        {
          file: ctx.packagesDir,
          cause: error,
        },
      );
    })
  )
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const name of entries) {
    const dir = join(ctx.packagesDir, name);
    let found = false;
    for (const fileName of PACKAGE_FILES) {
      const file = join(dir, fileName);
      if (!(await isAccessible(file))) continue;
      found = true;
      try {
        if (fileName === 'mip.yaml') definitions.push(await readMipYaml(file, dir));
        else {
          for (const item of await readPythonPackages(ctx.python, file, dir)) {
            if (item instanceof PackyardError) failures.push({ file, error: item });
            else definitions.push(item);
          }
        }
      } catch (error) {
        failures.push({ file, error: toPackyardError(error, 'CONFIG_INVALID') });
      }
      break;
    }
    if (!found) {
      failures.push({
        file: dir,
        error: new PackyardError('CONFIG_MISSING', 'no mip.yaml, packages.py or package.py', { file: dir }),
      });
    }
  }
  return { definitions: refuseDuplicates(definitions, failures), failures };
}

/** Two definitions of one .mhl would overwrite each other: both are refused (added to `failures`). */
function refuseDuplicates(
  definitions: PackageDefinition[],
  failures: DefinitionFailure[],
): PackageDefinition[] {
  const byName = new Map<string, PackageDefinition[]>();
  for (const d of definitions)
    byName.set(mhlName(d.metadata), [...(byName.get(mhlName(d.metadata)) ?? []), d]);
  return definitions.filter((d) => {
    const same = byName.get(mhlName(d.metadata))!;
    if (same.length === 1) return true;
    failures.push({
      file: d.file,
      error: new PackyardError(
        'CONFIG_INVALID',
        `${mhlName(d.metadata)} is also defined by ${same
          .filter((o) => o !== d)
          .map((o) => o.file)
          .join(', ')}`,
        {
          file: d.file,
          field: 'name',
          value: d.metadata.name,
        },
      ),
    });
    return false;
  });
}
