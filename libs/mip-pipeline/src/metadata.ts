import type { PackageMetadata } from './config.js';

/** The contents of a bundle's `mip.json`, in the order the seed's channels write it. No wall-clock value. */
export interface MipJson extends PackageMetadata {
  exposed_symbols: string[];
  /** sha256 over the package's source files and definition: a changed source is a rebuild. */
  source_hash: string;
  /** From SOURCE_DATE_EPOCH or the commit date, so bundles are reproducible. */
  timestamp: string;
}

/** What a build measured, kept beside the `.dir` and published only in the `.mhl.mip.json`. */
export interface BuildRecord {
  prepare_duration: number;
  compile_duration: number;
  /** `failed` when compile.m failed; the bundle step refuses such a package. */
  compile_status: 'none' | 'compiled' | 'failed';
}

/** The published `<mhl>.mip.json`: mip.json plus the measured durations and the bundle's sha256 and size. */
export interface PublishedMetadata extends MipJson {
  prepare_duration: number;
  compile_duration: number;
  sha256: string;
  size: number;
  /** The same digest under the name today's mip client reads. */
  mhl_sha256: string;
  /** The bundle's content-addressed key, relative to the prefix (`sha256/<digest>/<mhl>.mhl`). */
  mhl_key: string;
}

const MIP_JSON_ORDER = [
  'name',
  'description',
  'version',
  'build_number',
  'dependencies',
  'homepage',
  'repository',
  'license',
  'matlab_tag',
  'abi_tag',
  'platform_tag',
  'usage_examples',
  'exposed_symbols',
  'source_hash',
  'timestamp',
] as const;

/** The fields that decide whether a published package is up to date (durations and digests are not among them). */
export const COMPARED_FIELDS = [
  ...MIP_JSON_ORDER.filter((f) => f !== 'timestamp' && f !== 'exposed_symbols'),
] as const;

/** Renders mip.json with its fields in order, through JSON.stringify (strings escaped as JSON requires). Pure. */
export function renderMipJson(data: MipJson): string {
  const ordered: Record<string, unknown> = {};
  for (const key of MIP_JSON_ORDER) ordered[key] = data[key];
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Renders the published metadata: mip.json's fields, then durations, sha256 and size. Pure. */
export function renderPublishedMetadata(data: PublishedMetadata): string {
  const ordered: Record<string, unknown> = {};
  for (const key of MIP_JSON_ORDER) ordered[key] = data[key];
  ordered['prepare_duration'] = data.prepare_duration;
  ordered['compile_duration'] = data.compile_duration;
  ordered['sha256'] = data.sha256;
  ordered['size'] = data.size;
  ordered['mhl_sha256'] = data.mhl_sha256;
  ordered['mhl_key'] = data.mhl_key;
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Whether published metadata describes the same package as `wanted`: every compared field equal,
 * with the schema's defaults applied to both sides (a package without usage_examples matches a
 * published `[]`, so it is not rebuilt on every run). Pure.
 */
export function metadataMatches(
  published: Record<string, unknown>,
  wanted: Omit<MipJson, 'timestamp' | 'exposed_symbols'>,
): string | undefined {
  const defaults: Record<string, unknown> = {
    build_number: 0,
    dependencies: [],
    homepage: '',
    repository: '',
    license: '',
    matlab_tag: 'any',
    abi_tag: 'none',
    platform_tag: 'any',
    usage_examples: [],
  };
  for (const field of COMPARED_FIELDS) {
    const have = published[field] ?? defaults[field];
    const want = (wanted as Record<string, unknown>)[field] ?? defaults[field];
    if (JSON.stringify(have) !== JSON.stringify(want)) return field;
  }
  return undefined;
}

/** Whether two published metadata texts differ only in the measured durations. Pure. */
export function sameButDurations(a: string, b: string): boolean {
  try {
    const strip = (text: string) => {
      const {
        prepare_duration: _p,
        compile_duration: _c,
        ...rest
      } = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    return strip(a) === strip(b);
  } catch {
    return false;
  }
}
