import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import {
  checkZipRules,
  explainDistributionFilename,
  normalizeProjectName,
  parseCoreMetadata,
  parseCsv,
  type DistributionFilename,
} from '@packyard/wheel-index';
import { readZipArchive, type ArchiveContents, type ArchiveMember } from './inspect/archive.js';
import {
  ELF_MACHINE,
  compareVersionParts,
  isElf,
  isMuslInterpreter,
  maxGlibcVersion,
  readElf,
} from './inspect/elf.js';
import { MACHO_CPU, isMachO, readMachO } from './inspect/macho.js';
import { parsePlatformTag, type PlatformClaim } from './inspect/tags.js';

/** One thing wrong with one file; `check` is a stable id (e.g. `binary-arch`, `zip-data-descriptor`). */
export interface VerifyProblem {
  file: string;
  check: string;
  message: string;
}

/** What `checkWheelFile` found in one wheel. */
export interface WheelCheck {
  /** What PyPI refuses, or what breaks an install: each one fails verification. */
  problems: VerifyProblem[];
  /** What the specs advise against but PyPI, pip and twine accept today: reported, never failing. */
  warnings: VerifyProblem[];
  /** The file name taken apart, when it is a valid wheel name. */
  parsed: DistributionFilename | undefined;
  /** What each platform tag of the file name claims. */
  claims: PlatformClaim[];
  /** The members as read back, when the zip reads. */
  contents: ArchiveContents | undefined;
  /** The `<name>-<version>.dist-info` directory, when there is exactly one. */
  distInfo: string | undefined;
}

// Suffixes that say which rule PyPI enforces and which only the spec asks for.
const REFUSED = 'PyPI refuses such uploads';
const ACCEPTED = 'PyPI, pip and twine accept it today';

/**
 * Checks one wheel against what PyPI enforces on upload and what its binaries need, with no release
 * configuration: the zip rules (`checkZipRules`: no data descriptors, no duplicate names, no trailing
 * data, central directory equal to the local headers), a zip that reads back with matching CRC-32s,
 * no escaping or symlink members, one `.dist-info` directory named after the project, RECORD exactly
 * equal to the contents, WHEEL tags equal to the file name's, METADATA's Name and Version equal to
 * the file name's, every License-File present, and every ELF or Mach-O member, wherever it is,
 * against each platform tag (architecture, glibc or musl level, minimum macOS). Never throws for a
 * broken wheel; each finding names the rule (`check`) and the member.
 */
export async function checkWheelFile(path: string): Promise<WheelCheck> {
  const file = basename(path);
  const out: WheelCheck = {
    problems: [],
    warnings: [],
    parsed: undefined,
    claims: [],
    contents: undefined,
    distInfo: undefined,
  };
  const problem = (check: string, message: string): void => {
    out.problems.push({ file, check, message });
  };
  const warn = (check: string, message: string): void => {
    out.warnings.push({ file, check, message });
  };

  const explained = explainDistributionFilename(file);
  if (typeof explained === 'string' || explained.kind !== 'wheel') {
    problem(
      'filename',
      `not a valid wheel file name (PEP 427): ${typeof explained === 'string' ? explained : 'not a .whl'}`,
    );
  } else {
    out.parsed = explained;
    const spelled = explained.normalizedName.replace(/-/g, '_');
    if (explained.name !== spelled) {
      warn(
        'filename-normalized',
        `the file name spells the project ${JSON.stringify(explained.name)}; the wheel spec asks for ${JSON.stringify(spelled)} (${ACCEPTED})`,
      );
    }
    out.claims = [...new Set((explained.tags ?? []).map((t) => t.split('-')[2]!))].map(parsePlatformTag);
  }

  const reported = new Set<string>();
  for (const v of checkZipRules(await readFile(path))) {
    reported.add(v.member !== undefined ? `${v.rule}:${v.member}` : v.rule);
    problem(v.rule, `${v.message} (${REFUSED})`);
  }
  try {
    out.contents = await readZipArchive(path, (name) => /^[^/]+\.dist-info\/[^/]+$/.test(name));
  } catch (error) {
    // An archive with no end record is one problem, already reported by the zip rules.
    if (!reported.has('zip-malformed'))
      problem('zip', `not a readable zip archive: ${(error as Error).message}`);
    return out;
  }
  const contents = out.contents;
  for (const name of contents.escaping) problem('archive-path', `member ${name} is absolute or holds ".."`);
  for (const name of contents.duplicates) {
    if (!reported.has(`zip-duplicate-name:${name}`))
      problem('archive-duplicate', `member ${name} is stored twice`);
  }
  for (const name of contents.symlinks)
    problem(
      'archive-symlink',
      `member ${name} is a symbolic link; installers write it as a file (${REFUSED})`,
    );

  const distInfos = [
    ...new Set(contents.members.map((m) => m.name.split('/')[0]!).filter((d) => d.endsWith('.dist-info'))),
  ];
  if (distInfos.length !== 1) {
    problem(
      'dist-info',
      distInfos.length === 0
        ? 'no <name>-<version>.dist-info directory at the top'
        : `${distInfos.length} .dist-info directories: ${distInfos.join(', ')}`,
    );
    return out;
  }
  const distInfo = distInfos[0]!;
  out.distInfo = distInfo;
  const parsed = out.parsed;
  if (parsed !== undefined) {
    const dirName = distInfo.slice(0, -'.dist-info'.length).split('-')[0]!;
    if (normalizeProjectName(dirName) !== parsed.normalizedName) {
      problem(
        'dist-info',
        `${distInfo} names another project than the file name's ${parsed.name} (pip refuses it)`,
      );
    }
  }
  const member = (name: string): ArchiveMember | undefined => contents.members.find((m) => m.name === name);

  checkRecord(`${distInfo}/RECORD`, contents.members, member, problem);
  if (parsed !== undefined) checkWheelTags(`${distInfo}/WHEEL`, member, parsed, problem, warn);

  const metadataName = `${distInfo}/METADATA`;
  const metadata = member(metadataName)?.bytes?.toString('utf8');
  if (metadata === undefined) {
    problem('metadata-missing', `no ${metadataName}`);
  } else {
    const meta = parseCoreMetadata(metadata);
    if (
      parsed !== undefined &&
      meta.name !== undefined &&
      normalizeProjectName(meta.name) !== parsed.normalizedName
    ) {
      problem(
        'metadata-name',
        `${metadataName} has Name ${meta.name}, but the file name says ${parsed.name} (${REFUSED})`,
      );
    }
    if (
      parsed !== undefined &&
      meta.version !== undefined &&
      pep440.clean(meta.version) !== parsed.normalizedVersion
    ) {
      problem(
        'metadata-version',
        `${metadataName} has Version ${meta.version}, but the file name says ${parsed.version} (${REFUSED})`,
      );
    }
    checkLicenseFiles(distInfo, metadata, contents.members, problem, warn);
  }

  for (const m of contents.members) {
    if (m.bytes !== undefined && (isElf(m.bytes) || isMachO(m.bytes)))
      checkNative(m.name, m.bytes, out.claims, problem);
  }
  return out;
}

type Report = (check: string, message: string) => void;

// RECORD: https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file
function checkRecord(
  recordName: string,
  members: readonly ArchiveMember[],
  member: (name: string) => ArchiveMember | undefined,
  problem: Report,
): void {
  const record = member(recordName);
  if (record?.bytes === undefined) {
    problem('record', `no ${recordName}`);
    return;
  }
  let rows: string[][] = [];
  try {
    rows = parseCsv(record.bytes.toString('utf8'));
  } catch (error) {
    problem('record', `${recordName} is not CSV: ${(error as Error).message}`);
  }
  const listed = new Set<string>();
  for (const [index, row] of rows.entries()) {
    const [name = '', hash = '', size = ''] = row;
    if (name === '') continue;
    const where = `${recordName} line ${index + 1}`;
    if (listed.has(name)) problem('record', `${where} lists ${name} a second time`);
    listed.add(name);
    if (name === recordName) {
      if (hash !== '' || size !== '')
        problem(
          'record',
          `${where} gives RECORD itself a hash or size; it must list it as "${recordName},,"`,
        );
      continue;
    }
    const found = member(name);
    if (found === undefined) {
      problem('record', `${where} lists ${name}, which the wheel does not hold`);
      continue;
    }
    if (!hash.startsWith('sha256=')) {
      problem(
        'record',
        `${where} gives ${name} the hash ${JSON.stringify(hash)}; expected sha256=<urlsafe base64>`,
      );
    } else if (hash.slice('sha256='.length) !== found.sha256) {
      problem(
        'record',
        `${name} has sha256 ${found.sha256}, but ${where} says ${hash.slice('sha256='.length)}`,
      );
    }
    if (size !== String(found.size)) {
      problem('record', `${name} is ${found.size} bytes, but ${where} says ${JSON.stringify(size)}`);
    }
  }
  if (!listed.has(recordName)) problem('record', `${recordName} does not list itself`);
  for (const m of members) {
    if (!listed.has(m.name) && !/\.dist-info\/RECORD\.(jws|p7s)$/.test(m.name)) {
      problem('record', `${m.name} is in the wheel but not in ${recordName}`);
    }
  }
}

// WHEEL: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory
function checkWheelTags(
  wheelName: string,
  member: (name: string) => ArchiveMember | undefined,
  parsed: DistributionFilename,
  problem: Report,
  warn: Report,
): void {
  const text = member(wheelName)?.bytes?.toString('utf8');
  if (text === undefined) {
    problem('wheel-file', `no ${wheelName}`);
    return;
  }
  const values = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((l) => /^Tag:/i.test(l))
    .map((l) => l.slice(4).trim().toLowerCase());
  const expanded = [...new Set(values.flatMap(expandTagSet))].sort();
  const expected = [...new Set(parsed.tags ?? [])].sort();
  if (expanded.join(' ') !== expected.join(' ')) {
    problem(
      'wheel-tags',
      `${wheelName} has Tag ${values.join(', ') || '(none)'}, but the file name says ${expected.join(', ')} (${REFUSED})`,
    );
    return;
  }
  const compressed = values.filter((v) => expandTagSet(v).length > 1);
  if (compressed.length > 0) {
    warn(
      'wheel-tag-compressed',
      `${wheelName} has the compressed tag set ${compressed.join(', ')} on one Tag line; the spec wants one line per tag (${ACCEPTED})`,
    );
  }
}

/** `py3-none-a.b` → `py3-none-a`, `py3-none-b`: a compressed tag set (PEP 425) as single tags. */
function expandTagSet(value: string): string[] {
  const [py = '', abi = '', plat = ''] = value.split('-');
  const out: string[] = [];
  for (const p of py.split('.'))
    for (const a of abi.split('.')) for (const t of plat.split('.')) out.push(`${p}-${a}-${t}`);
  return out;
}

// License-File: https://packaging.python.org/en/latest/specifications/core-metadata/#license-file (2.4)
// places each file under .dist-info/licenses/; before 2.4 the field was setuptools' own and tools put
// the files in .dist-info/ or .dist-info/licenses/.
function checkLicenseFiles(
  distInfo: string,
  metadata: string,
  members: readonly ArchiveMember[],
  problem: Report,
  warn: Report,
): void {
  const fields = headerFields(metadata);
  const version = (fields.get('metadata-version')?.[0] ?? '').split('.').map(Number);
  const strict = compareVersionParts(version, [2, 4]) >= 0;
  const names = new Set(members.map((m) => m.name));
  for (const value of fields.get('license-file') ?? []) {
    const where = `${distInfo}/licenses/${value}`;
    if (names.has(where)) continue;
    if (strict) {
      problem(
        'license-file',
        `${distInfo}/METADATA names License-File ${value}, but the wheel has no ${where} (${REFUSED})`,
      );
    } else if (!names.has(`${distInfo}/${value}`) && ![...names].some((n) => n.endsWith(`/${value}`))) {
      warn(
        'license-file',
        `${distInfo}/METADATA (Metadata-Version ${version.join('.')}) names License-File ${value}, which the wheel does not hold (${ACCEPTED} before Metadata-Version 2.4)`,
      );
    }
  }
}

/** Every header value of a core metadata file, by lower-cased key (up to the first blank line). */
export function headerFields(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line)) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    out.set(key, [...(out.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** The ELF e_machine of each Linux platform tag's architecture. */
const ELF_ARCH: Readonly<Record<string, number>> = {
  x86_64: 62,
  aarch64: 183,
  i686: 3,
  armv7l: 40,
  ppc64le: 21,
  s390x: 22,
  riscv64: 243,
};
/** The Mach-O cputypes each macOS platform tag's architecture needs (universal2: both). */
const MACHO_ARCH: Readonly<Record<string, number[]>> = {
  x86_64: [0x01000007],
  arm64: [0x0100000c],
  universal2: [0x01000007, 0x0100000c],
  intel: [0x01000007],
};

/**
 * Checks one ELF or Mach-O member against every Linux or macOS platform tag of its wheel: an ELF
 * under a macOS tag (or the reverse), another architecture, a glibc symbol version newer than a
 * manylinux tag's level, glibc under musllinux or musl under manylinux, a minimum macOS newer than
 * the tag's. Tags of other platforms (Windows, `any`) are not checked. Reports with the member's name.
 */
export function checkNative(
  name: string,
  bytes: Buffer,
  claims: readonly PlatformClaim[],
  problem: Report,
): void {
  const fail = (check: string, message: string): void => problem(check, `${name}: ${message}`);
  // Tags of one architecture (manylinux2014_x86_64 and manylinux_2_17_x86_64) are checked together,
  // so each finding is reported once.
  const linux = new Map<string, PlatformClaim[]>();
  const mac = new Map<string, PlatformClaim[]>();
  for (const claim of claims) {
    const arch = /^(?:manylinux\d*|musllinux|linux)(?:_\d+_\d+)?_(.+)$/.exec(claim.tag)?.[1];
    const macArch = /^macosx_\d+_\d+_(.+)$/.exec(claim.tag)?.[1];
    if (arch !== undefined) linux.set(arch, [...(linux.get(arch) ?? []), claim]);
    else if (macArch !== undefined) mac.set(macArch, [...(mac.get(macArch) ?? []), claim]);
  }
  for (const [arch, group] of linux) checkElf(bytes, group, arch, fail);
  for (const [arch, group] of mac) checkMachO(bytes, group, arch, fail);
}

/** The claim promising the lowest level (the one a binary must meet), and the tags it stands for. */
function lowest(group: readonly PlatformClaim[]): PlatformClaim | undefined {
  return [...group]
    .filter((c) => c.level !== undefined)
    .sort((a, b) => compareVersionParts(a.level!, b.level!))[0];
}

function checkElf(bytes: Buffer, group: readonly PlatformClaim[], arch: string, fail: Report): void {
  const tags = group.map((c) => c.tag).join(', ');
  if (!isElf(bytes)) {
    fail('binary-format', `a Mach-O file, but the platform tag ${tags} needs ELF`);
    return;
  }
  let elf;
  try {
    elf = readElf(bytes);
  } catch (error) {
    fail('binary-format', `a malformed ELF file: ${(error as Error).message}`);
    return;
  }
  const machine = ELF_ARCH[arch];
  const name = (m: number): string => ELF_MACHINE[m] ?? `e_machine ${m}`;
  if (machine !== undefined && elf.machine !== machine) {
    fail(
      'binary-arch',
      `the binary is ELF${elf.bits} ${name(elf.machine)}, but the platform tag ${tags} needs ${name(machine)}`,
    );
    return;
  }
  const glibc = maxGlibcVersion(elf);
  const musl = elf.interpreter !== undefined && isMuslInterpreter(elf.interpreter);
  const many = group.filter((c) => c.family === 'manylinux');
  const muslTags = group.filter((c) => c.family === 'musllinux');
  if (many.length > 0) {
    const claim = lowest(many);
    if (musl) {
      fail(
        'libc',
        `the binary is linked against musl (${elf.interpreter}), but ${many.map((c) => c.tag).join(', ')} promises glibc`,
      );
    } else if (glibc !== undefined && claim !== undefined && compareVersionParts(glibc, claim.level!) > 0) {
      fail(
        'glibc-level',
        `the binary needs GLIBC_${glibc.join('.')}, newer than glibc ${claim.level!.join('.')} that ${claim.tag} promises`,
      );
    }
  }
  if (muslTags.length > 0 && !musl && (elf.interpreter !== undefined || glibc !== undefined)) {
    fail(
      'libc',
      `the binary is linked against glibc (${elf.interpreter ?? `GLIBC_${glibc!.join('.')}`}), but ${muslTags.map((c) => c.tag).join(', ')} promises musl`,
    );
  }
}

function checkMachO(bytes: Buffer, group: readonly PlatformClaim[], arch: string, fail: Report): void {
  const tags = group.map((c) => c.tag).join(', ');
  if (!isMachO(bytes)) {
    fail('binary-format', `an ELF file, but the platform tag ${tags} needs Mach-O`);
    return;
  }
  let slices;
  try {
    slices = readMachO(bytes);
  } catch (error) {
    fail('binary-format', `a malformed Mach-O file: ${(error as Error).message}`);
    return;
  }
  const wanted = MACHO_ARCH[arch] ?? [];
  const cpuName = (cpu: number): string => MACHO_CPU[cpu] ?? `cputype 0x${cpu.toString(16)}`;
  for (const cpu of wanted) {
    if (!slices.some((s) => s.cputype === cpu)) {
      fail(
        'binary-arch',
        `the binary is Mach-O ${slices.map((s) => cpuName(s.cputype)).join(' + ')}, but the platform tag ${tags} needs ${cpuName(cpu)}`,
      );
    }
  }
  const claim = lowest(group);
  for (const slice of slices) {
    if (!wanted.includes(slice.cputype) || slice.minimumOs === undefined || claim === undefined) continue;
    if (compareVersionParts(slice.minimumOs, claim.level!) > 0) {
      const [major, minor, patch] = slice.minimumOs;
      fail(
        'macos-min',
        `the ${cpuName(slice.cputype)} binary needs macOS ${patch === 0 ? `${major}.${minor}` : `${major}.${minor}.${patch}`}, newer than the ${claim.level!.join('.')} that ${claim.tag} promises`,
      );
    }
  }
}
