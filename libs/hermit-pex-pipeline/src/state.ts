import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { writeFileAtomically } from '@packyard/core';

/**
 * `packages/<name>/state.yaml`, the seed's format. It is a cache of what the index, the repository
 * and the release store hold; every run recomputes it from them.
 */
export interface VersionState {
  version: string;
  python: string;
  /** A lock (requirements.txt) exists. */
  requirements: boolean;
  /** A release exists. */
  release: boolean;
  /** The release is final (complete and public). */
  published: boolean;
  /** Asset name → sha256, as the release store reports them. */
  assets: Record<string, string>;
  /** Why this version failed in the last run, if it did. */
  error?: string;
}

export interface PackageState {
  config_version: number;
  package: string;
  index_url: string;
  versions: VersionState[];
}

/** The state file text: stable key order, python versions kept as strings. */
export function renderState(state: PackageState): string {
  return stringify(state, { lineWidth: 0 });
}

/** Reads a state file; a missing or unreadable one is simply no cache. */
export async function readState(file: string): Promise<PackageState | undefined> {
  try {
    const data = parse(await readFile(file, 'utf8')) as PackageState | null;
    return data && Array.isArray(data.versions) ? data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(file: string, state: PackageState): Promise<void> {
  await writeFileAtomically(file, renderState(state));
}
