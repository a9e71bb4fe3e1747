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

/** An entry with the bytes its name is stored as, computed once (see `nameBytes`). */
export interface NamedItem<T extends ArchiveItem = ArchiveItem> {
  entry: T;
  name: Buffer;
}

/**
 * Validates every entry name and returns the entries sorted by the bytes of their names, so the
 * archive does not depend on the order the caller listed them in. Pure.
 */
export function planArchiveEntries<T extends ArchiveItem>(entries: readonly T[]): T[] {
  return planNamedEntries(entries).map(({ entry }) => entry);
}

// Printable ASCII and the control characters: a name of these has the same UTF-16 code units as bytes.
const ASCII = /^[\0-\x7f]*$/;

/** `planArchiveEntries`, keeping each name's bytes for the writer. Pure. */
export function planNamedEntries<T extends ArchiveItem>(entries: readonly T[]): NamedItem<T>[] {
  const keyed = entries.map((entry) => {
    // An ASCII name is its own byte-order key (one code unit per byte), with no second copy.
    const ascii = entry.rawName === undefined && typeof entry.name === 'string' && ASCII.test(entry.name);
    const name = ascii ? Buffer.from(entry.name, 'latin1') : nameBytes(entry);
    checkEntryName(entry.name, name);
    return { entry, name, key: ascii ? entry.name : name.toString('latin1') };
  });
  // Each byte is one code unit of the latin1 key, so comparing keys compares the bytes.
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Sorted, equal names are neighbours.
  for (let index = 1; index < keyed.length; index++) {
    if (keyed[index]!.key === keyed[index - 1]!.key) {
      throw invalidName(
        keyed[index]!.entry.name,
        'appears more than once',
        'give every entry a distinct name',
      );
    }
  }
  return keyed;
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
  // One pass over the bytes: NUL and '\\' anywhere, and the first '/'-separated segment that is '', '.'
  // or '..'; reported in that order of precedence.
  let nul = false;
  let backslash = false;
  let segment: string | undefined;
  let start = 0;
  for (let index = 0; index <= bytes.length; index++) {
    const byte = index < bytes.length ? bytes[index]! : 0x2f;
    if (byte === 0) nul = true;
    else if (byte === 0x5c) backslash = true;
    else if (byte === 0x2f) {
      const length = index - start;
      if (segment === undefined && length < 3) {
        if (length === 0) segment = 'has an empty path segment (a double or trailing slash)';
        else if (bytes[start] === 0x2e && (length === 1 || bytes[start + 1] === 0x2e))
          segment = length === 1 ? "has a '.' segment" : "has a '..' segment";
      }
      start = index + 1;
    }
  }
  if (nul) throw invalidName(name, 'contains a NUL character', hint);
  if (backslash) throw invalidName(name, "contains '\\'; separate path parts with '/'", hint);
  if (bytes[0] === 0x2f || /^[A-Za-z]:\//.test(name)) throw invalidName(name, 'is absolute', hint);
  if (segment !== undefined) throw invalidName(name, segment, hint);
}

function invalidName(name: string, problem: string, hint: string): PackyardError {
  return new PackyardError('ARCHIVE_INVALID', `archive entry name ${JSON.stringify(name)} ${problem}`, {
    field: 'name',
    value: name,
    hint,
  });
}
