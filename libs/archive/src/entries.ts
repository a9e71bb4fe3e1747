import { PackyardError } from '@packyard/core';

/** Where an entry's bytes come from: a file on disk (streamed) or bytes held in memory. */
export type ArchiveSource = { path: string } | { data: string | Uint8Array };

/** One file in an archive; `name` is its relative, '/'-separated path inside the archive. */
export interface ArchiveEntry {
  name: string;
  source: ArchiveSource;
  executable?: boolean;
}

/**
 * Validates every entry name and returns the entries sorted by the UTF-8 bytes of their names, so
 * the archive does not depend on the order the caller listed them in. Pure.
 */
export function planArchiveEntries(entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  const seen = new Set<string>();
  for (const entry of entries) {
    checkEntryName(entry.name);
    if (seen.has(entry.name)) {
      throw invalidName(entry.name, 'appears more than once', 'give every entry a distinct name');
    }
    seen.add(entry.name);
  }
  return [...entries].sort((a, b) => compareNames(a.name, b.name));
}

/** Orders names by their UTF-8 bytes (what `LC_ALL=C sort` does), not by UTF-16 code units. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// Only canonical relative names are accepted: then two different strings can never extract to the
// same path, so the duplicate check above is exact, and no entry can escape the extraction directory.
function checkEntryName(name: string): void {
  const hint = "use a relative path with '/' separators, e.g. 'bin/tool'";
  if (typeof name !== 'string' || name === '') throw invalidName(String(name), 'is empty', hint);
  if (name.includes('\0')) throw invalidName(name, 'contains a NUL character', hint);
  if (name.includes('\\')) throw invalidName(name, "contains '\\'; separate path parts with '/'", hint);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw invalidName(name, 'is absolute', hint);
  for (const segment of name.split('/')) {
    if (segment === '..') throw invalidName(name, "has a '..' segment", hint);
    if (segment === '.') throw invalidName(name, "has a '.' segment", hint);
    if (segment === '')
      throw invalidName(name, 'has an empty path segment (a double or trailing slash)', hint);
  }
}

function invalidName(name: string, problem: string, hint: string): PackyardError {
  return new PackyardError('ARCHIVE_INVALID', `archive entry name ${JSON.stringify(name)} ${problem}`, {
    field: 'name',
    value: name,
    hint,
  });
}
