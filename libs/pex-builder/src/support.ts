import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ALL_PLATFORMS, PackyardError, formatPlatform, type Platform } from '@packyard/core';
import {
  compareVersions,
  createPypiClient,
  isValidVersion,
  normalizeProjectName,
  versionFromFilename,
  type PypiClient,
} from '@packyard/pypi-client';
import { compatibleTagSet, readCompletePlatform, type CompletePlatform } from './complete-platform.js';
import { checkPythonVersion } from './interpreter.js';
import { evaluateMarkers } from './markers.js';
import { parseLockedHashes, parseLockedRequirements, type LockedRequirement } from './requirements.js';
import type { Tools } from '@packyard/python-tools';
import { isWheelCompatible, parseWheelFilename } from './wheel.js';
import type { WheelFile } from './wheelhouse.js';

/** A locked requirement this machine cannot supply for a platform, and why. */
export interface MissingRequirement {
  name: string;
  version: string;
  reason: string;
}

/** Whether a platform's PEX can be built here from wheels alone; if not, it needs a native runner. */
export interface PlatformSupport {
  platform: Platform;
  pythonVersion: string;
  buildable: boolean;
  missing: MissingRequirement[];
  /**
   * Set when the resolve cannot depend on the platform: every wheel a requirement could use here is
   * pure (`-none-any`). Cross-built platforms with the same key get byte-identical PEXes, so one
   * build serves them all (see planSharedBuilds).
   */
  portableKey?: string;
  /**
   * Set by fetchPlatformSupport when the platform is buildable and every wheel it could use is
   * listed with a URL and a sha256 the lock has: the wheels to put in a wheelhouse (fillWheelhouse)
   * so the cross-build resolves offline.
   */
  wheels?: WheelFile[];
}

/** What the planner needs besides the lock and the file lists: the platform as pex sees it. */
export interface PlatformSupportContext {
  /** The platform's description (`readCompletePlatform`). */
  completePlatform: CompletePlatform;
  /** Whether each locked marker holds on the platform (`evaluateMarkers` on its marker_environment). */
  markers: ReadonlyMap<string, boolean>;
}

/** A file of a project on an index; only the name matters to the plan. */
export interface ProjectFile {
  filename: string;
  /** Where the index serves it (fetchPlatformSupport's wheelhouse list). */
  url?: string;
  /** Its sha256 as the index lists it. */
  sha256?: string;
}

const SHOWN_WHEELS = 6;

/**
 * Decides whether `platform`'s PEX can be built on this machine: every locked requirement whose
 * marker holds there needs a wheel of exactly its version whose tags are among the platform's
 * compatible tags. An sdist does not count (what it builds into is unknown until it is built, and a
 * cross-build must not compile on this host), so such a requirement needs a native runner. Pure.
 */
export function planPlatformSupport(
  locked: readonly LockedRequirement[],
  filesByProject: ReadonlyMap<string, readonly ProjectFile[]>,
  platform: Platform,
  pythonVersion: string,
  context: PlatformSupportContext,
): PlatformSupport {
  checkPythonVersion(pythonVersion);
  checkContext(platform, pythonVersion, context.completePlatform);
  const compatible = compatibleTagSet(context.completePlatform);
  const where = `${formatPlatform(platform)} (CPython ${pythonVersion})`;
  const missing: MissingRequirement[] = [];
  // Each applying requirement with the wheels it could use here; undefined once one is not pure.
  let portable: string[] | undefined = [];
  for (const requirement of locked) {
    if (requirement.marker !== undefined) {
      const applies = context.markers.get(requirement.marker);
      if (applies === undefined) {
        throw new PackyardError(
          'INTERNAL',
          `marker ${JSON.stringify(requirement.marker)} was not evaluated`,
          {
            value: requirement.marker,
            hint: 'evaluate every locked marker for the platform (evaluateMarkers) before planning',
          },
        );
      }
      if (!applies) continue;
    }
    const reason = whyUnavailable(requirement, filesByProject, compatible, where);
    if (reason !== undefined) missing.push({ name: requirement.name, version: requirement.version, reason });
    if (portable !== undefined) {
      const usable = compatibleWheels(requirement, filesByProject, compatible);
      portable = usable.every(isPureWheel)
        ? [
            ...portable,
            `${normalizeProjectName(requirement.name)}==${requirement.version}: ${usable.join(' ')}`,
          ]
        : undefined;
    }
  }
  const buildable = missing.length === 0;
  return {
    platform,
    pythonVersion,
    buildable,
    missing,
    ...(buildable && portable !== undefined
      ? { portableKey: `python ${pythonVersion}\n${portable.sort().join('\n')}` }
      : {}),
  };
}

/**
 * Groups platforms whose cross-built PEXes are byte-identical (the same `portableKey`), in the
 * order given; a platform without a key is a group of its own. pex records no platform in a PEX it
 * builds from a platform description, so the same resolve gives the same bytes (tested). Pure.
 */
export function planSharedBuilds(
  supports: readonly Pick<PlatformSupport, 'platform' | 'portableKey'>[],
  platforms: readonly Platform[],
): Platform[][] {
  const groups: Platform[][] = [];
  const byKey = new Map<string, Platform[]>();
  for (const platform of platforms) {
    const key = supports.find(
      (s) => s.platform.os === platform.os && s.platform.arch === platform.arch,
    )?.portableKey;
    const group = key === undefined ? undefined : byKey.get(key);
    if (group) {
      group.push(platform);
      continue;
    }
    const fresh = [platform];
    groups.push(fresh);
    if (key !== undefined) byKey.set(key, fresh);
  }
  return groups;
}

function compatibleWheels(
  requirement: LockedRequirement,
  filesByProject: ReadonlyMap<string, readonly ProjectFile[]>,
  compatible: ReadonlySet<string>,
): string[] {
  const project = normalizeProjectName(requirement.name);
  return (filesByProject.get(project) ?? [])
    .filter(
      (file) =>
        sameVersion(versionFromFilename(file.filename, project), requirement.version) &&
        isCompatible(file.filename, compatible),
    )
    .map((file) => file.filename)
    .sort();
}

// Pure: every tag is `<python>-none-any`, so which one pip prefers depends on the Python version only.
function isPureWheel(filename: string): boolean {
  const wheel = parseWheelFilename(filename);
  return wheel !== undefined && wheel.tags.every((tag) => tag.endsWith('-none-any'));
}

function whyUnavailable(
  requirement: LockedRequirement,
  filesByProject: ReadonlyMap<string, readonly ProjectFile[]>,
  compatible: ReadonlySet<string>,
  where: string,
): string | undefined {
  const project = normalizeProjectName(requirement.name);
  const files = (filesByProject.get(project) ?? []).filter((file) =>
    sameVersion(versionFromFilename(file.filename, project), requirement.version),
  );
  const wheels = files.filter((file) => file.filename.endsWith('.whl'));
  if (wheels.some((file) => isCompatible(file.filename, compatible))) return undefined;
  if (files.length === 0) return `the index has no file of ${requirement.name} ${requirement.version}`;
  if (wheels.length === 0) {
    return `only an sdist (${files.map((f) => f.filename).join(', ')}): it must be built on a ${where} runner`;
  }
  const shown = wheels.slice(0, SHOWN_WHEELS).map((f) => f.filename);
  const more = wheels.length > SHOWN_WHEELS ? `, and ${wheels.length - SHOWN_WHEELS} more` : '';
  return `no wheel for ${where} among ${shown.join(', ')}${more}`;
}

function isCompatible(filename: string, compatible: ReadonlySet<string>): boolean {
  const wheel = parseWheelFilename(filename);
  return wheel !== undefined && isWheelCompatible(wheel, compatible);
}

// `==1.0` matches 1.0.0 (PEP 440 zero padding), and the index's spelling may differ from the lock's.
function sameVersion(fileVersion: string | undefined, locked: string): boolean {
  if (fileVersion === undefined) return false;
  if (fileVersion === locked) return true;
  return isValidVersion(fileVersion) && isValidVersion(locked) && compareVersions(fileVersion, locked) === 0;
}

// Planning with another platform's description would silently give a wrong answer.
function checkContext(platform: Platform, pythonVersion: string, completePlatform: CompletePlatform): void {
  const env = completePlatform.marker_environment;
  const machines = platform.arch === 'amd64' ? ['x86_64'] : ['arm64', 'aarch64'];
  if (
    env['sys_platform'] !== platform.os ||
    !machines.includes(env['platform_machine'] ?? '') ||
    env['python_version'] !== pythonVersion
  ) {
    throw new PackyardError(
      'INTERNAL',
      `the platform description (${env['sys_platform']} ${env['platform_machine']}, Python ${env['python_version']}) is not ${formatPlatform(platform)} with Python ${pythonVersion}`,
      { field: 'completePlatform', hint: 'pass readCompletePlatform(platform, pythonVersion)' },
    );
  }
}

/** Input of `fetchPlatformSupport`. */
export interface FetchPlatformSupportInput {
  /** Path of the lock (`lockRequirements`' requirements.txt). */
  requirementsTxt: string;
  /** `X.Y`, a string. */
  pythonVersion: string;
  indexUrl: string;
  /** Default ALL_PLATFORMS. */
  platforms?: readonly Platform[];
  /** Lists each project's files; default `createPypiClient({ indexUrl })`. */
  client?: Pick<PypiClient, 'listVersions'>;
  /** Directory of the platform descriptions; default the shipped one. */
  platformsDir?: string;
}

const FETCH_CONCURRENCY = 4;

/**
 * Plans every platform for a lock: reads it, evaluates its markers on each platform's description,
 * lists the files of each locked project on the index, and runs `planPlatformSupport`.
 */
export async function fetchPlatformSupport(
  tools: Tools,
  input: FetchPlatformSupportInput,
): Promise<PlatformSupport[]> {
  const pythonVersion = checkPythonVersion(input.pythonVersion);
  const platforms = input.platforms ?? ALL_PLATFORMS;
  const file = resolve(input.requirementsTxt);
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new PackyardError('CONFIG_MISSING', `cannot read the lock ${file}`, {
      file,
      hint: 'lock the package first (lockRequirements)',
      cause: error,
    });
  });
  let locked: LockedRequirement[];
  try {
    locked = parseLockedRequirements(text);
  } catch (error) {
    if (error instanceof PackyardError) {
      throw new PackyardError(error.code, error.message, {
        file,
        field: error.field,
        value: error.value,
        hint: error.hint,
        cause: error,
      });
    }
    throw error;
  }
  const markers = locked.flatMap((r) => (r.marker === undefined ? [] : [r.marker]));

  const contexts = await Promise.all(
    platforms.map(async (platform) => {
      const completePlatform = await readCompletePlatform(platform, pythonVersion, input.platformsDir);
      const results = await evaluateMarkers(tools, markers, completePlatform.marker_environment, {
        indexUrl: input.indexUrl,
      });
      return { completePlatform, markers: results };
    }),
  );

  // Only projects some platform installs: a `sys_platform == 'win32'` dependency is never fetched.
  const needed = new Set<string>();
  for (const requirement of locked) {
    const marker = requirement.marker;
    if (marker === undefined || contexts.some((c) => c.markers.get(marker) === true)) {
      needed.add(normalizeProjectName(requirement.name));
    }
  }
  const client = input.client ?? createPypiClient({ indexUrl: input.indexUrl });
  const filesByProject = new Map<string, ProjectFile[]>();
  const queue = [...needed].sort();
  await Promise.all(
    Array.from({ length: Math.min(FETCH_CONCURRENCY, queue.length) }, async () => {
      for (let project = queue.shift(); project !== undefined; project = queue.shift()) {
        // Pre-releases too: a lock may pin one, and its files are filtered out otherwise.
        const listed = await client.listVersions(project, { includePrereleases: true });
        filesByProject.set(project, listed.files);
      }
    }),
  );

  const hashes = parseLockedHashes(text);
  return platforms.map((platform, index) => {
    const context = contexts[index]!;
    const support = planPlatformSupport(locked, filesByProject, platform, pythonVersion, context);
    if (!support.buildable) return support;
    const wheels = usableWheels(locked, filesByProject, hashes, context);
    return wheels === undefined ? support : { ...support, wheels };
  });
}

// Every compatible wheel of each requirement that applies on the platform, the ones pip could pick
// from the index; undefined when one lacks a URL or a sha256 the lock lists (the build then asks the
// index, as pip checks the hashes anyway).
function usableWheels(
  locked: readonly LockedRequirement[],
  filesByProject: ReadonlyMap<string, readonly ProjectFile[]>,
  hashes: ReadonlyMap<string, ReadonlySet<string>>,
  context: PlatformSupportContext,
): WheelFile[] | undefined {
  const compatible = compatibleTagSet(context.completePlatform);
  const wheels: WheelFile[] = [];
  for (const requirement of locked) {
    if (requirement.marker !== undefined && context.markers.get(requirement.marker) !== true) continue;
    const project = normalizeProjectName(requirement.name);
    const allowed = hashes.get(`${project}==${requirement.version}`);
    const names = new Set(compatibleWheels(requirement, filesByProject, compatible));
    const files = (filesByProject.get(project) ?? []).filter((file) => names.has(file.filename));
    if (files.length === 0) return undefined;
    for (const file of files) {
      const sha256 = file.sha256?.toLowerCase();
      if (file.url === undefined || sha256 === undefined || allowed?.has(sha256) !== true) return undefined;
      wheels.push({ filename: file.filename, url: file.url, sha256 });
    }
  }
  return wheels;
}
