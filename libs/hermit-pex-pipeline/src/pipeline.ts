import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, runSteps, toPackyardError, writeFileAtomically, type Step } from '@packyard/core';
import { isFinalRelease } from '@packyard/github-releases';
import { parseManifest, removeVersions, renderManifest } from '@packyard/hermit-render';
import { formatPlatform, missingPlatforms, planVersions, releaseTag } from '@packyard/pex-builder';
import { readPackageConfig } from './config.js';
import { listPackageDirs, plan, type PipelinePlan, type PlanRequest } from './plan.js';
import { writeState } from './state.js';
import { selectSteps } from './steps/index.js';
import type { PackageContext, PackageReport, PackageWork, PipelineOptions, StepName } from './types.js';
import { fetchReleases, renderPackageState } from './versions.js';

/**
 * Carries out a plan, package by package: the requested steps run in order through the step kernel
 * (timing, `[n/N]` events to `options.onEvent`); a failing version is reported and skipped, the
 * others carry on; a failing step stops its package only. Removes the plan's temporary directory.
 */
export async function runPlan(
  options: PipelineOptions,
  pipelinePlan: PipelinePlan,
): Promise<PackageReport[]> {
  const { steps, dryRun = false } = pipelinePlan.request;
  try {
    for (const { report, work } of pipelinePlan.packages) {
      await runPackage(options, selectSteps(steps), report, work, dryRun);
    }
  } finally {
    if (pipelinePlan.scratch !== undefined) await rm(pipelinePlan.scratch, { recursive: true, force: true });
  }
  return pipelinePlan.reports;
}

/**
 * `plan`, then `runPlan`: the given steps for every package (or those in `only`). The state file is
 * written after every step, so an interrupted run resumes; `dryRun` writes nothing.
 */
export async function runPipeline(
  options: PipelineOptions,
  steps: readonly StepName[],
  only: readonly string[] = [],
  flags: Omit<PlanRequest, 'steps' | 'only'> = {},
): Promise<PackageReport[]> {
  return runPlan(options, await plan(options, { steps, only, ...flags }));
}

/** Runs one package's steps over its planned work, then reports each version's outcome. */
async function runPackage(
  options: PipelineOptions,
  steps: readonly Step<PackageContext>[],
  report: PackageReport,
  work: PackageWork,
  dryRun: boolean,
): Promise<void> {
  const save = async () => {
    if (!dryRun) await writeState(join(work.dir, 'state.yaml'), renderPackageState(work));
  };
  try {
    await runSteps(
      steps,
      { options, pkg: work, actions: report.plan, dryRun, save },
      { label: work.name, ...(options.onEvent ? { onEvent: options.onEvent } : {}) },
    );
  } catch (error) {
    // A step-level failure (not one version's) stops this package only.
    report.error = toPackyardError(error);
    options.log.error(`${work.name}: ${report.error.format()}`);
  }
  await save();
  report.versions = work.versions.map((v) => {
    const published = v.release !== undefined && isFinalRelease(v.release);
    return {
      version: v.version,
      error: v.error,
      published,
      lacks: published
        ? []
        : !v.locked
          ? ['a lock']
          : !v.release
            ? ['a release']
            : missingPlatforms(work.name, v.release, options.platforms).map(
                (p) => `${formatPlatform(p)} tarball`,
              ),
      performed: v.performed,
    };
  });
}

/**
 * Takes published versions out of a package's manifest: the one way a version leaves it. Refused for a
 * version the config still asks for while the store publishes it, since the next run would add it back.
 */
export async function removeManifestVersions(
  options: Pick<PipelineOptions, 'packagesDir' | 'manifestDir' | 'store' | 'log'>,
  name: string,
  versions: readonly string[],
): Promise<void> {
  const [dir] = await listPackageDirs(options.packagesDir, [name]);
  const config = await readPackageConfig(join(options.packagesDir, dir!, 'config.yaml'));
  const file = join(options.manifestDir, `${config.package}.hcl`);
  if (!existsSync(file)) {
    throw new PackyardError('CONFIG_MISSING', `no manifest for ${config.package}`, { file });
  }
  const manifest = await parseManifest(await readFile(file, 'utf8'), file);
  const listed = new Set(manifest.versions.map((v) => v.version));
  const releases = await fetchReleases(options.store);
  for (const version of versions) {
    if (!listed.has(version)) {
      throw new PackyardError('CONFIG_INVALID', `${config.package} ${version} is not in the manifest`, {
        file,
        value: version,
        hint: `it lists ${[...listed].join(', ') || 'no version'}`,
      });
    }
    const release = releases.get(releaseTag(config.package, version));
    if (release && isFinalRelease(release) && planVersions(config.versions, [version]).length > 0) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `${config.package} ${version} is still published as ${release.tag} and asked for by the config; the next run would add it back`,
        {
          file: config.file,
          field: 'versions',
          value: version,
          hint: `raise the lower bound in versions above ${version}, or delete the release ${release.tag}, then remove it`,
        },
      );
    }
  }
  await writeFileAtomically(file, renderManifest(removeVersions(manifest, versions)));
  options.log.info(`${config.package}: removed ${versions.join(', ')} from ${file}`);
}
