import { PackyardError } from '@packyard/core';

/** Where an entry's bytes come from: a file on disk (streamed) or bytes held in memory. */
export type ArchiveSource = { path: string | Buffer } | { data: string | Uint8Array };

/** One file in an archive; `name` is its relative, '/'-separated path inside the archive. */
export interface ArchiveEntry {
  name: string;
  source: ArchiveSource;
  executable?: boolean;
  /**
   * The name's exact bytes, for a name that is not valid UTF-8 (as `readTreeEntries` finds them);
   * `name` then holds a readable form for messages. Tar stores these bytes; zip refuses them.
   */
  rawName?: Uint8Array;
}

/** A directory in an archive (written for empty directories, so they survive extraction). */
export interface ArchiveDirectoryEntry {
  name: string;
  directory: true;
  /** As for a file: the exact bytes of a name that is not valid UTF-8. */
  rawName?: Uint8Array;
}

/** One entry of an archive: a file or a directory (what the writers take). */
export type ArchiveItem = ArchiveEntry | ArchiveDirectoryEntry;

/** Whether an entry is a directory. */
export function isDirectoryEntry(entry: ArchiveItem): entry is ArchiveDirectoryEntry {
  return 'directory' in entry && entry.directory === true;
}

/** The bytes an entry's name is stored as: `rawName`, else the UTF-8 of `name`. */
export function nameBytes(entry: ArchiveItem): Buffer {
  return entry.rawName === undefined
    ? Buffer.from(entry.name, 'utf8')
    : Buffer.from(entry.rawName.buffer, entry.rawName.byteOffset, entry.rawName.byteLength);
}

/**
 * Validates every entry name and returns the entries sorted by the bytes of their names, so the
 * archive does not depend on the order the caller listed them in. Pure.
 */
export function planArchiveEntries<T extends ArchiveItem>(entries: readonly T[]): T[] {
  const seen = new Set<string>();
  const keyed = entries.map((entry) => {
    const bytes = nameBytes(entry);
    checkEntryName(entry.name, bytes);
    const key = bytes.toString('latin1');
    if (seen.has(key)) {
      throw invalidName(entry.name, 'appears more than once', 'give every entry a distinct name');
    }
    seen.add(key);
    return { entry, key };
  });
  // Each byte is one code unit of the latin1 key, so comparing keys compares the bytes.
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(({ entry }) => entry);
}

/** Orders names by their UTF-8 bytes (what `LC_ALL=C sort` does), not by UTF-16 code units. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// Only canonical relative names are accepted: then two different strings can never extract to the
// same path, so the duplicate check above is exact, and no entry can escape the extraction directory.
// Absolute means what it means to an extractor: a leading '/', or a drive and a slash ("C:/x");
// "c:notes.txt" is an ordinary relative name on POSIX, and GNU tar stores it as one.
function checkEntryName(name: string, bytes: Buffer): void {
  const hint = "use a relative path with '/' separators, e.g. 'bin/tool'";
  if (typeof name !== 'string' || bytes.length === 0) throw invalidName(String(name), 'is empty', hint);
  if (bytes.includes(0)) throw invalidName(name, 'contains a NUL character', hint);
  if (bytes.includes(0x5c)) throw invalidName(name, "contains '\\'; separate path parts with '/'", hint);
  if (bytes[0] === 0x2f || /^[A-Za-z]:\//.test(name)) throw invalidName(name, 'is absolute', hint);
  for (const segment of bytes.toString('latin1').split('/')) {
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
