import { join } from 'node:path';
import { isPackyardError, PackyardError } from '@packyard/core';
import {
  COMPLETE_PLATFORM_PYTHONS,
  findInterpreter,
  listInterpreterVersions,
  parseRequirements,
  type Tools,
} from '@packyard/pex-builder';
import { readPackageConfig, type PackageConfig } from './config.js';

// The checks that need more than the config text: the machine, the index, the other packages. Each
// reads only; nothing here writes a lock, a state file or a release.

/**
 * Every `versions[i].python` must be buildable here: a CPython X.Y on PATH builds this host's PEX, a
 * shipped platform description builds any platform from wheels. Names each bound that is neither,
 * and says which versions exist.
 */
export async function checkPythonVersions(config: PackageConfig): Promise<void> {
  const problems: Problem[] = [];
  let interpreters: string[] | undefined;
  for (const [index, bound] of config.versions.entries()) {
    if (COMPLETE_PLATFORM_PYTHONS.includes(bound.python)) continue;
    if ((await findInterpreter(bound.python)) !== undefined) continue;
    interpreters ??= await listInterpreterVersions();
    problems.push({
      field: `versions[${index}].python`,
      value: bound.python,
      message: `${JSON.stringify(bound.python)} cannot be built here: no CPython ${bound.python} on PATH and no shipped platform description for it (descriptions: ${COMPLETE_PLATFORM_PYTHONS.join(', ')}; on PATH: ${interpreters.join(', ') || 'none'})`,
    });
  }
  throwProblems(config, problems);
}

interface Problem {
  field: string;
  value: string;
  message: string;
}

/** One error for all problems: the first fills file/field/value, the others follow in the same form. */
function throwProblems(config: PackageConfig, problems: readonly Problem[]): void {
  const [first, ...rest] = problems;
  if (first === undefined) return;
  throw new PackyardError(
    'CONFIG_INVALID',
    [first.message, ...rest.map((p) => `${config.file}: ${p.field}: ${p.message}`)].join('\n'),
    { file: config.file, field: first.field, value: first.value },
  );
}

/**
 * Every `extra_packages` entry must be one PEP 508 requirement (parsed by `packaging`, pip's own
 * parser), and a direct URL reference only when `allow_direct_urls: true`.
 */
export async function checkExtraPackages(
  config: PackageConfig,
  tools: () => Promise<Tools>,
  indexUrl: string,
): Promise<void> {
  if (config.extraPackages.length === 0) return;
  const parsed = await parseRequirements(await tools(), config.extraPackages, { indexUrl });
  const problems: Problem[] = [];
  parsed.forEach((requirement, index) => {
    const field = `extra_packages[${index}]`;
    if ('error' in requirement) {
      problems.push({
        field,
        value: requirement.text,
        message: `${JSON.stringify(requirement.text)} is not a PEP 508 requirement: ${requirement.error.split('\n')[0]}`,
      });
    } else if (requirement.url !== undefined && !config.allowDirectUrls) {
      problems.push({
        field,
        value: requirement.text,
        message: `${JSON.stringify(requirement.text)} is a direct URL reference, which bypasses the index; set allow_direct_urls: true to allow it`,
      });
    }
  });
  throwProblems(config, problems);
}

/** PEP 503's normalised project name: the index treats `Wait_For.It` and `wait-for-it` as one. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * Two package directories naming the same project would write one manifest and one set of releases
 * between them. Returns, per directory name, the error refusing it (naming both files). Directories
 * whose config does not parse are left to their own error.
 */
export async function findDuplicateProjects(
  packagesDir: string,
  dirs: readonly string[],
): Promise<Map<string, PackyardError>> {
  const byProject = new Map<string, Array<{ dir: string; config: PackageConfig }>>();
  for (const dir of dirs) {
    const config = await readPackageConfig(join(packagesDir, dir, 'config.yaml')).catch(() => undefined);
    if (!config) continue;
    const key = normalizeProjectName(config.package);
    byProject.set(key, [...(byProject.get(key) ?? []), { dir, config }]);
  }
  const refused = new Map<string, PackyardError>();
  for (const group of byProject.values()) {
    if (group.length < 2) continue;
    for (const { dir, config } of group) {
      const others = group.filter((g) => g.dir !== dir).map((g) => g.config.file);
      refused.set(
        dir,
        new PackyardError(
          'CONFIG_INVALID',
          `${JSON.stringify(config.package)}${config.packageFromDirectory ? ' (the directory name)' : ''} is also the project of ${others.join(', ')}; one directory per project, so neither is built`,
          { file: config.file, field: 'package', value: config.package },
        ),
      );
    }
  }
  return refused;
}

/** A project the index does not have is a mistake in the config: say which file and key. */
export function projectNotFound(error: unknown, config: PackageConfig): unknown {
  if (!isPackyardError(error, 'INDEX_NOT_FOUND')) return error;
  return new PackyardError('CONFIG_INVALID', error.message, {
    file: config.file,
    field: 'package',
    value: config.package,
    hint: config.packageFromDirectory
      ? 'the project name was taken from the directory name; set package: to the PyPI project'
      : 'check the spelling against the index, or set index_url',
    cause: error,
  });
}
