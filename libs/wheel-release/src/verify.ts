import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import { PackyardError, sha256File } from '@packyard/core';
import {
  explainDistributionFilename,
  normalizeProjectName,
  parseCoreMetadata,
  type DistributionFilename,
} from '@packyard/wheel-index';
import { WHEEL_TARGETS } from './platforms.js';
import { readTarGzArchive, type ArchiveContents } from './inspect/archive.js';
import { type PlatformClaim } from './inspect/tags.js';
import { checkWheelFile, headerFields, type VerifyProblem } from './verify-wheel.js';
import { provisionTwine, runPythonChecks, type PackagingRequirement } from './verify-tools.js';
import { runInstallTest, type VersionCheck } from './install-test.js';

/** What `verifyRelease` checks: the release directory and what the release is configured to hold. */
export interface VerifyInput {
  /** The release files: every *.whl plus the sdist *.tar.gz (nothing else is counted). */
  dir: string;
  /** The release version (PEP 440; a Cargo semver spelling of it is accepted where binaries print it). */
  version: string;
  /** The platform-wheel project: its distribution name, its platforms (WHEEL_TARGETS keys), the binaries in each wheel. */
  wheels: {
    project: string;
    platforms: readonly string[];
    binaries: readonly string[];
    /** How the install test checks each binary's output (default DEFAULT_VERSION_CHECK), or false: not checked. */
    versionCheck?: VersionCheck | false;
  };
  /** The pure-Python project: its distribution name and the console script the install test runs. */
  sdist: { project: string; command?: string; versionCheck?: VersionCheck | false };
  /** Install the host's wheel and the sdist into a fresh venv and run `--version` (default true). */
  installTest?: boolean;
  /** When given, every `--version` output must show its first 8 hex digits. */
  gitSha?: string;
  /** Where the install test gets third-party dependencies and the sdist's build backend; default the index pip is configured with. */
  indexUrl?: string;
  home?: string;
  log?: (line: string) => void;
}

export type { VerifyProblem } from './verify-wheel.js';

/** What `verifyRelease` found: every file's digest, every problem, and which checks ran. */
export interface VerifyResult {
  files: { name: string; platform?: string; sha256: string; size: number }[];
  problems: VerifyProblem[];
  /** What the specs advise against but PyPI, pip and twine accept today (never failing). */
  warnings?: VerifyProblem[];
  /** The checks that ran, and `<check>: not run: <why>` for the ones that could not. */
  checks: string[];
}

/** A wheel as read for verification. */
interface WheelFile {
  name: string;
  path: string;
  parsed: DistributionFilename | undefined;
  claims: PlatformClaim[];
  /** Every configured platform this wheel stands for: one, or both macOS ones for universal2. */
  platforms: string[];
  contents: ArchiveContents | undefined;
}

/**
 * Verifies a release directory before anything is published: file names and tags (PEP 427/425), the
 * binary in each wheel against its platform tag (ELF machine, glibc level, musl; Mach-O cputype and
 * minimum macOS), one wheel per configured platform plus one sdist, METADATA / PKG-INFO, RECORD and
 * WHEEL, zip sanity, `twine check --strict`, and a native install test. Collects every problem;
 * throws a PackyardError only when it cannot run (no directory, bad input, a tool that fails).
 */
export async function verifyRelease(input: VerifyInput): Promise<VerifyResult> {
  return (await verifyReleases([input]))[0]!;
}

/**
 * Verifies several release directories (e.g. a release set, one version per directory) like
 * `verifyRelease`, with one Python process for all their twine checks (run beside the reading) and
 * one for all their requirement parsing.
 * Tools are provisioned under the first input's `home`. Results are in the order of `inputs`.
 */
export async function verifyReleases(inputs: readonly VerifyInput[]): Promise<VerifyResult[]> {
  const listed: Awaited<ReturnType<typeof listRelease>>[] = [];
  for (const input of inputs) listed.push(await listRelease(input));
  if (listed.length === 0) return [];
  const first = inputs[0]!;
  const tools = await provisionTwine({ home: first.home, log: first.log });
  // twine's check runs beside the reading below (the machine's other core); its findings on files
  // that turn out unreadable are dropped, since those are problems already.
  const candidates = listed.flatMap((l) =>
    l.names.filter((n) => n.endsWith('.whl') || n.endsWith('.tar.gz')).map((n) => join(l.input.dir, n)),
  );
  const twineRun = runPythonChecks(tools, candidates, []);
  twineRun.catch(() => {});
  const passes = await Promise.all(listed.map(readRelease));
  const requirements = passes.flatMap((p) => p.pins.flatMap((pin) => pin.requirements));
  const parsedRequirements = (await runPythonChecks(tools, [], requirements)).requirements;
  const twineFindings = (await twineRun).twine;
  let next = 0;
  const results: VerifyResult[] = [];
  for (const pass of passes) {
    const problem: Report = (file, check, message) => pass.problems.push({ file, check, message });
    for (const pin of pass.pins) {
      const parsed = parsedRequirements.slice(next, next + pin.requirements.length);
      next += pin.requirements.length;
      checkPin(pin.file, parsed, pass.input, pass.release, problem);
    }
    pass.checks.push('twine-check');
    for (const name of pass.readable) {
      const found = twineFindings.get(join(pass.input.dir, name));
      if (found !== undefined) problem(name, 'twine', found);
    }
    results.push(await finishRelease(pass));
  }
  return results;
}

/** One release as read so far: its problems, and what the later steps need. */
interface ReleasePass {
  input: VerifyInput;
  release: string;
  problems: VerifyProblem[];
  warnings: VerifyProblem[];
  checks: string[];
  files: VerifyResult['files'];
  wheels: WheelFile[];
  /** Files whose archive reads back: twine checks these. */
  readable: string[];
  /** The sdist, when there is exactly one and it reads back. */
  sdistOk: string | undefined;
  /** Each readable sdist's Requires-Dist values. */
  pins: { file: string; requirements: string[] }[];
}

async function listRelease(
  input: VerifyInput,
): Promise<{ input: VerifyInput; release: string; names: string[] }> {
  const release = validateInput(input);
  try {
    return { input, release, names: (await readdir(input.dir)).sort() };
  } catch (error) {
    throw new PackyardError('CONFIG_MISSING', `cannot read the release directory ${input.dir}`, {
      file: input.dir,
      hint: 'build the wheels and the sdist first',
      cause: error,
    });
  }
}

async function readRelease({
  input,
  release,
  names,
}: {
  input: VerifyInput;
  release: string;
  names: string[];
}): Promise<ReleasePass> {
  const problems: VerifyProblem[] = [];
  const problem = (file: string, check: string, message: string): void => {
    problems.push({ file, check, message });
  };
  const checks: string[] = [];
  const wheelNames = names.filter((name) => name.endsWith('.whl'));
  const sdistNames = names.filter((name) => name.endsWith('.tar.gz'));
  const files: VerifyResult['files'] = [];
  const pins: ReleasePass['pins'] = [];
  const wheels: WheelFile[] = [];
  const wheelProject = normalizeProjectName(input.wheels.project);
  const sdistProject = normalizeProjectName(input.sdist.project);

  const warnings: VerifyProblem[] = [];
  checks.push('names', 'zip-rules', 'zip', 'record', 'wheel-file', 'metadata', 'license-file', 'binary');
  // Every wheel is read at once: inflating runs on libuv's thread pool, so the reads overlap.
  const reads = new Map(wheelNames.map((name) => [name, checkWheelFile(join(input.dir, name))]));
  for (const name of wheelNames) {
    const path = join(input.dir, name);
    const wheel: WheelFile = {
      name,
      path,
      parsed: undefined,
      claims: [],
      platforms: [],
      contents: undefined,
    };
    wheels.push(wheel);
    const checked = await reads.get(name)!;
    problems.push(...checked.problems);
    warnings.push(...checked.warnings);
    const explained = explainDistributionFilename(name);
    if (typeof explained !== 'string') {
      wheel.parsed = explained;
      wheel.claims = checked.claims;
      checkNameAndVersion(name, explained, wheelProject, input.wheels.project, release, problem);
      checkTags(wheel, input.wheels.platforms, problem);
    }
    const { size } = await stat(path);
    files.push({
      name,
      ...(wheel.platforms.length > 0 ? { platform: wheel.platforms.join('+') } : {}),
      sha256: await sha256File(path),
      size,
    });
    wheel.contents = checked.contents;
    if (wheel.parsed && checked.contents && checked.distInfo)
      checkWheelContents(wheel, checked.distInfo, input, release, problem);
  }

  checks.push('complete');
  for (const platform of input.wheels.platforms) {
    const found = wheels.filter((w) => w.platforms.includes(platform));
    if (found.length === 0) {
      problem(
        input.dir,
        'platform-missing',
        `no wheel for platform ${platform} (${WHEEL_TARGETS[platform]})`,
      );
    } else if (found.length > 1) {
      for (const w of found) {
        problem(
          w.name,
          'platform-duplicate',
          `one of ${found.length} wheels for platform ${platform}: ${found.map((f) => f.name).join(', ')}`,
        );
      }
    }
  }
  if (sdistNames.length === 0)
    problem(input.dir, 'sdist-missing', `no sdist (*.tar.gz) of ${input.sdist.project}`);
  if (sdistNames.length > 1) {
    for (const name of sdistNames)
      problem(name, 'sdist-duplicate', `one of ${sdistNames.length} sdists: ${sdistNames.join(', ')}`);
  }

  checks.push('sdist');
  const readable: string[] = wheels.filter((w) => w.contents !== undefined).map((w) => w.name);
  let sdistOk: string | undefined;
  for (const name of sdistNames) {
    const path = join(input.dir, name);
    const { size } = await stat(path);
    files.push({ name, sha256: await sha256File(path), size });
    const explained = explainDistributionFilename(name);
    if (typeof explained === 'string') {
      problem(name, 'filename', `not a valid sdist file name (PEP 625): ${explained}`);
      continue;
    }
    checkNameAndVersion(name, explained, sdistProject, input.sdist.project, release, problem);
    let contents: ArchiveContents;
    try {
      contents = await readTarGzArchive(path, (member) =>
        /^[^/]+\/PKG-INFO$/.test(member.replace(/^\.\//, '')),
      );
    } catch (error) {
      problem(name, 'archive', `not a readable gzip-compressed tar: ${(error as Error).message}`);
      continue;
    }
    readable.push(name);
    for (const m of contents.escaping) problem(name, 'archive-path', `member ${m} is absolute or holds ".."`);
    for (const m of contents.duplicates) problem(name, 'archive-duplicate', `member ${m} is stored twice`);
    for (const m of contents.symlinks) problem(name, 'archive-symlink', `member ${m} is a link`);
    const top = `${explained.name}-${explained.version}/`;
    const foreign = contents.members.filter((m) => !m.name.replace(/^\.\//, '').startsWith(top));
    if (foreign.length > 0) {
      problem(
        name,
        'sdist-layout',
        `members outside ${top}: ${foreign
          .slice(0, 5)
          .map((m) => m.name)
          .join(', ')}`,
      );
    }
    const pkgInfo = contents.members.find((m) => m.name.replace(/^\.\//, '') === `${top}PKG-INFO`)?.bytes;
    if (pkgInfo === undefined) {
      problem(name, 'metadata-missing', `no ${top}PKG-INFO`);
      continue;
    }
    const text = pkgInfo.toString('utf8');
    checkMetadata(name, 'PKG-INFO', text, input.sdist.project, sdistProject, release, problem);
    pins.push({ file: name, requirements: headerFields(text).get('requires-dist') ?? [] });
    if (sdistNames.length === 1) sdistOk = name;
  }
  return { input, release, problems, warnings, checks, files, wheels, readable, sdistOk, pins };
}

async function finishRelease(pass: ReleasePass): Promise<VerifyResult> {
  const { input, release, problems, warnings, checks, files, wheels, sdistOk } = pass;
  const log = input.log ?? (() => {});
  if (input.installTest ?? true) {
    const ran = await runInstallTest({
      dir: input.dir,
      wheels: wheels
        .filter((w) => w.platforms.length > 0 && w.contents !== undefined)
        .flatMap((w) =>
          w.platforms.map((platform) => ({ name: w.name, platform, members: w.contents!.members })),
        ),
      sdist: sdistOk,
      input,
      release,
      log,
    });
    checks.push(...ran.checks);
    for (const p of ran.problems) problems.push(p);
  } else {
    checks.push('install: not run: installTest is false');
  }
  return { files, problems, warnings, checks };
}

/** Throws VERIFY_FAILED listing every problem with its file, when there is any. */
export function assertVerified(result: VerifyResult): void {
  if (result.problems.length === 0) return;
  const lines = result.problems.map((p) => `  ${p.file}: ${p.check}: ${p.message}`);
  throw new PackyardError(
    'VERIFY_FAILED',
    `the release failed verification (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    {
      file: result.problems[0]!.file,
      value: result.problems,
      hint: 'publish nothing from this set; rebuild the files named above and verify again',
    },
  );
}

function validateInput(input: VerifyInput): string {
  const release = pep440.clean(input.version);
  if (release === null || release === undefined) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `release version ${JSON.stringify(input.version)} is not PEP 440`,
      {
        field: 'version',
        value: input.version,
      },
    );
  }
  for (const platform of input.wheels.platforms) {
    if (!Object.hasOwn(WHEEL_TARGETS, platform)) {
      throw new PackyardError('CONFIG_INVALID', `unknown platform ${JSON.stringify(platform)}`, {
        field: 'wheels.platforms',
        value: platform,
        hint: `use ${Object.keys(WHEEL_TARGETS).join(', ')}`,
      });
    }
  }
  if (input.gitSha !== undefined && !/^[0-9a-f]{8,40}$/.test(input.gitSha)) {
    throw new PackyardError('CONFIG_INVALID', `git sha ${JSON.stringify(input.gitSha)} is not hex`, {
      field: 'gitSha',
      value: input.gitSha,
    });
  }
  return release;
}

type Report = (file: string, check: string, message: string) => void;

function checkNameAndVersion(
  file: string,
  parsed: DistributionFilename,
  normalized: string,
  project: string,
  release: string,
  problem: Report,
): void {
  if (parsed.normalizedName !== normalized) {
    problem(file, 'project-name', `the file name's project ${JSON.stringify(parsed.name)} is not ${project}`);
  } else if (parsed.kind === 'wheel' && parsed.name !== normalized.replace(/-/g, '_')) {
    // https://packaging.python.org/en/latest/specifications/binary-distribution-format/#escaping-and-unicode
    problem(
      file,
      'project-name',
      `the file name spells the project ${JSON.stringify(parsed.name)}; a wheel name uses ${JSON.stringify(normalized.replace(/-/g, '_'))}`,
    );
  }
  if (parsed.normalizedVersion !== release) {
    problem(
      file,
      'version',
      `the file name's version ${parsed.version} is not the release version ${release}`,
    );
  }
}

function checkTags(wheel: WheelFile, configured: readonly string[], problem: Report): void {
  const platforms = new Set(wheel.claims.flatMap((c) => c.platforms));
  for (const claim of wheel.claims) {
    if (claim.family === 'linux') {
      problem(
        wheel.name,
        'tag-platform',
        `platform tag ${claim.tag} is refused by PyPI: use a manylinux or musllinux tag`,
      );
    } else if (claim.platforms.length === 0) {
      problem(
        wheel.name,
        'tag-platform',
        `platform tag ${claim.tag} is none of ${Object.keys(WHEEL_TARGETS).join(', ')}`,
      );
    }
  }
  if (platforms.size === 0) return;
  const sorted = [...platforms].sort();
  // A universal2 wheel stands for both macOS platforms; any other mix of platforms is a mistake.
  const universal =
    wheel.claims.every((c) => c.family === 'macosx') && sorted.every((p) => p.startsWith('darwin-'));
  if (sorted.length > 1 && !universal) {
    problem(
      wheel.name,
      'tag-platform',
      `its platform tags name more than one platform: ${sorted.join(', ')}`,
    );
    return;
  }
  const unconfigured = sorted.filter((p) => !configured.includes(p));
  for (const p of unconfigured) {
    problem(
      wheel.name,
      'platform-unconfigured',
      `platform ${p} is not configured (${configured.join(', ')})`,
    );
  }
  wheel.platforms = sorted.filter((p) => configured.includes(p));
}

function checkWheelContents(
  wheel: WheelFile,
  distInfo: string,
  input: VerifyInput,
  release: string,
  problem: Report,
): void {
  const parsed = wheel.parsed!;
  const members = wheel.contents!.members;
  const dataDir = `${parsed.name}-${parsed.version}.data`;
  const member = (name: string) => members.find((m) => m.name === name);

  const wheelFile = member(`${distInfo}/WHEEL`)?.bytes?.toString('utf8');
  if (wheelFile !== undefined) {
    const purelib = headerFields(wheelFile).get('root-is-purelib')?.[0]?.toLowerCase();
    if (purelib !== 'false') {
      problem(
        wheel.name,
        'wheel-purelib',
        `${distInfo}/WHEEL has Root-Is-Purelib ${purelib ?? '(missing)'}; a platform wheel needs false`,
      );
    }
  }

  // Name and Version are checked against the file name (checkWheelFile), and the file name against
  // the release (checkNameAndVersion): only what the release adds is left.
  const metadata = member(`${distInfo}/METADATA`)?.bytes?.toString('utf8');
  if (metadata !== undefined && parseCoreMetadata(metadata).requiresPython === undefined)
    problem(wheel.name, 'metadata-requires-python', `${distInfo}/METADATA has no Requires-Python`);

  for (const binary of input.wheels.binaries) {
    const path = `${dataDir}/scripts/${binary}`;
    if (member(path) === undefined && member(`${path}.exe`) === undefined)
      problem(wheel.name, 'binary-missing', `no ${path}`);
  }
}

function checkMetadata(
  file: string,
  where: string,
  text: string,
  project: string,
  normalized: string,
  release: string,
  problem: Report,
): void {
  const meta = parseCoreMetadata(text);
  if (meta.name === undefined) problem(file, 'metadata-name', `${where} has no Name`);
  else if (normalizeProjectName(meta.name) !== normalized)
    problem(file, 'metadata-name', `${where} has Name ${meta.name}, not ${project}`);
  if (meta.version === undefined) problem(file, 'metadata-version', `${where} has no Version`);
  else if (pep440.clean(meta.version) !== release) {
    problem(
      file,
      'metadata-version',
      `${where} has Version ${meta.version}, not the release version ${release}`,
    );
  }
  if (meta.requiresPython === undefined)
    problem(file, 'metadata-requires-python', `${where} has no Requires-Python`);
}

function checkPin(
  file: string,
  parsed: readonly PackagingRequirement[],
  input: VerifyInput,
  release: string,
  problem: Report,
): void {
  const wheelProject = normalizeProjectName(input.wheels.project);
  const pins = [];
  for (const r of parsed) {
    if ('error' in r) {
      problem(
        file,
        'sdist-requirement',
        `PKG-INFO has Requires-Dist ${JSON.stringify(r.text)}, which is not PEP 508: ${r.error}`,
      );
    } else if (normalizeProjectName(r.name) === wheelProject) {
      pins.push(r);
    }
  }
  if (pins.length === 0) {
    problem(
      file,
      'sdist-pin',
      `PKG-INFO has no Requires-Dist on ${input.wheels.project}; expected ${input.wheels.project}==${release}`,
    );
    return;
  }
  for (const pin of pins) {
    const exact =
      pin.specifiers.length === 1 &&
      (pin.specifiers[0]!.operator === '==' || pin.specifiers[0]!.operator === '===') &&
      !pin.specifiers[0]!.version.endsWith('.*') &&
      pep440.clean(pin.specifiers[0]!.version) === release;
    if (!exact) {
      problem(
        file,
        'sdist-pin',
        `PKG-INFO has Requires-Dist ${JSON.stringify(pin.text)}; expected ${input.wheels.project}==${release}`,
      );
    }
  }
}
