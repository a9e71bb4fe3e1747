// The zip structure rules PyPI enforces on every uploaded wheel and zip sdist since early 2026: an
// archive must read the same through its central directory (what pip and zipfile use) and through a
// front-to-back walk of its local headers (what streaming unzippers use). Written from APPNOTE.TXT
// (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT, sections 4.3.7 to 4.3.16) and the
// rules PyPI documents at https://docs.pypi.org/archives/.
import { readFile } from 'node:fs/promises';

/** Which zip rule an archive breaks; stable ids, used in messages and reports. */
export type ZipRule =
  | 'zip-malformed'
  | 'zip-data-descriptor'
  | 'zip-duplicate-name'
  | 'zip-trailing-data'
  | 'zip-unknown-record'
  | 'zip-directory-mismatch'
  | 'zip-entry-comment'
  | 'zip-name-unprintable'
  | 'zip-multi-disk';

/** One broken rule: the rule, the member it concerns (when one), and what is wrong. */
export interface ZipRuleViolation {
  rule: ZipRule;
  member?: string;
  message: string;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const FLAG_DESCRIPTOR = 0x08;
const MAX32 = 0xffffffff;

interface CentralEntry {
  name: string;
  raw: Buffer;
  flags: number;
  crc: number;
  compressed: number;
  uncompressed: number;
  offset: number;
}

/** Options of `checkZipRules`. */
export interface ZipRuleOptions {
  /**
   * Accept one `#!` line in front of the archive, as a PEX or a Python zipapp starts (the rules
   * then apply to the zip after it). Default false: a wheel has nothing before its first record.
   */
  allowShebang?: boolean;
}

/** Reads a zip file and checks it with `checkZipRules`. */
export async function checkZipFile(path: string, options: ZipRuleOptions = {}): Promise<ZipRuleViolation[]> {
  return checkZipRules(await readFile(path), options);
}

/**
 * Checks a zip archive's bytes against PyPI's archive rules: no data descriptors, no member name
 * twice, nothing before the first record, between records or after the end record, every local
 * header matched by one central directory entry with the same name, sizes, CRC-32 and offset, no
 * per-entry comments, no control characters in names, one disk. Returns every violation found (an
 * empty list for a sound archive). Pure.
 */
export function checkZipRules(input: Uint8Array, options: ZipRuleOptions = {}): ZipRuleViolation[] {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let stub = 0;
  if (options.allowShebang === true && bytes.subarray(0, 2).toString('latin1') === '#!') {
    stub = bytes.indexOf(0x0a) + 1;
  }
  const out: ZipRuleViolation[] = [];
  const add = (rule: ZipRule, message: string, member?: string): void => {
    out.push({ rule, message, ...(member !== undefined ? { member } : {}) });
  };

  const end = findEnd(bytes);
  if (end === undefined) {
    add('zip-malformed', 'no end-of-central-directory record: not a zip archive, or truncated');
    return out;
  }
  if (end.trailing > 0)
    add('zip-trailing-data', `${end.trailing} bytes follow the end-of-central-directory record`);
  if (end.disk !== 0 || end.cdDisk !== 0 || end.entriesOnDisk !== end.entries)
    add('zip-multi-disk', 'the archive is marked as spanning more than one disk');

  // Bytes in front of the archive (a self-extractor stub) shift every offset: zipfile finds the
  // central directory just before the end record, and PyPI refuses the unknown bytes at the start.
  const shift = end.at - end.cdSize - end.cdOffset;
  // Offsets counted from the end of the #! line rather than from the start of the file.
  if (stub > 0 && shift === stub) return checkZipRules(bytes.subarray(stub));
  if (shift > 0 && end.at - end.cdSize >= 0 && bytes.readUInt32LE(end.at - end.cdSize) === SIG_CENTRAL) {
    add(
      'zip-unknown-record',
      `${shift} bytes before the first record belong to no record (a prepended stub)`,
    );
    return out;
  }
  let central: CentralEntry[];
  try {
    central = readCentral(bytes, end.cdOffset, end.cdSize, end.entries, add);
  } catch (error) {
    add('zip-malformed', `the central directory cannot be read: ${(error as Error).message}`);
    return out;
  }
  const byName = new Map<string, CentralEntry>();
  for (const entry of central) {
    if (byName.has(entry.name)) {
      add('zip-duplicate-name', `${entry.name} has two central directory entries`, entry.name);
    } else byName.set(entry.name, entry);
  }

  // Walk the local headers from the start, as a streaming reader would.
  const locals = new Set<string>();
  let at = stub;
  while (at + 4 <= bytes.length && bytes.readUInt32LE(at) === SIG_LOCAL) {
    if (at + 30 > bytes.length) {
      add('zip-malformed', `the local header at offset ${at} is truncated`);
      return out;
    }
    const flags = bytes.readUInt16LE(at + 6);
    const crc = bytes.readUInt32LE(at + 14);
    let compressed = bytes.readUInt32LE(at + 18);
    let uncompressed = bytes.readUInt32LE(at + 22);
    const nameLength = bytes.readUInt16LE(at + 26);
    const extraLength = bytes.readUInt16LE(at + 28);
    const raw = bytes.subarray(at + 30, at + 30 + nameLength);
    const name = raw.toString('utf8');
    const zip64 = findExtra(bytes.subarray(at + 30 + nameLength, at + 30 + nameLength + extraLength), 1);
    if (zip64 !== undefined) {
      if (uncompressed === MAX32 && zip64.length >= 8) uncompressed = Number(zip64.readBigUInt64LE(0));
      if (compressed === MAX32 && zip64.length >= 16) compressed = Number(zip64.readBigUInt64LE(8));
    }
    if (unprintable(raw))
      add('zip-name-unprintable', `member name ${JSON.stringify(name)} holds a control character`, name);
    if (locals.has(name)) add('zip-duplicate-name', `${name} has two local headers`, name);
    locals.add(name);
    const entry = byName.get(name);
    const dataStart = at + 30 + nameLength + extraLength;
    if (entry === undefined) {
      add(
        'zip-directory-mismatch',
        `the local header at offset ${at} names ${name}, which the central directory does not list`,
        name,
      );
    } else if (entry.offset !== at) {
      add(
        'zip-directory-mismatch',
        `the central directory places ${name} at offset ${entry.offset}, its local header is at ${at}`,
        name,
      );
    }
    if ((flags & FLAG_DESCRIPTOR) !== 0) {
      add(
        'zip-data-descriptor',
        `${name} is followed by a data descriptor (general purpose flag bit 3)`,
        name,
      );
      if (entry === undefined) return stopWalk(out, at);
      at = dataStart + entry.compressed;
      // The descriptor: optional signature, CRC-32, then 4- or 8-byte sizes.
      if (at + 4 <= bytes.length && bytes.readUInt32LE(at) === SIG_DESCRIPTOR) at += 4;
      at += zip64 !== undefined ? 20 : 12;
      continue;
    }
    if (entry !== undefined) {
      const differs: string[] = [];
      if (entry.compressed !== compressed)
        differs.push(`compressed size ${compressed} vs ${entry.compressed}`);
      if (entry.uncompressed !== uncompressed) differs.push(`size ${uncompressed} vs ${entry.uncompressed}`);
      if (entry.crc !== crc) differs.push(`CRC-32 ${hex(crc)} vs ${hex(entry.crc)}`);
      if ((entry.flags & ~FLAG_DESCRIPTOR) !== (flags & ~FLAG_DESCRIPTOR))
        differs.push(`flags ${flags} vs ${entry.flags}`);
      if (differs.length > 0) {
        add(
          'zip-directory-mismatch',
          `${name}: its local header and central directory entry disagree (local vs directory: ${differs.join(', ')})`,
          name,
        );
      }
    }
    at = dataStart + compressed;
  }
  if (at !== end.cdOffset) {
    add(
      'zip-unknown-record',
      at === stub
        ? 'the archive does not start with a local header (leading data, or a record of an unknown kind)'
        : `${Math.abs(end.cdOffset - at)} bytes at offset ${Math.min(at, end.cdOffset)} belong to no record`,
    );
  }
  for (const entry of central) {
    if (!locals.has(entry.name))
      add(
        'zip-directory-mismatch',
        `the central directory lists ${entry.name}, which has no local header`,
        entry.name,
      );
  }
  return out;
}

function stopWalk(out: ZipRuleViolation[], at: number): ZipRuleViolation[] {
  out.push({ rule: 'zip-malformed', message: `the local headers cannot be followed past offset ${at}` });
  return out;
}

interface EndRecord {
  /** Where the end-of-central-directory record (or the ZIP64 one) starts. */
  at: number;
  disk: number;
  cdDisk: number;
  entriesOnDisk: number;
  entries: number;
  cdSize: number;
  cdOffset: number;
  trailing: number;
}

/** The last end-of-central-directory record whose comment fits in the file, ZIP64 values applied. */
function findEnd(bytes: Buffer): EndRecord | undefined {
  const lowest = Math.max(0, bytes.length - 22 - 0xffff - 1024 * 1024);
  for (let p = bytes.length - 22; p >= lowest; p--) {
    if (bytes.readUInt32LE(p) !== SIG_EOCD) continue;
    const commentLength = bytes.readUInt16LE(p + 20);
    if (p + 22 + commentLength > bytes.length) continue;
    const record: EndRecord = {
      at: p,
      disk: bytes.readUInt16LE(p + 4),
      cdDisk: bytes.readUInt16LE(p + 6),
      entriesOnDisk: bytes.readUInt16LE(p + 8),
      entries: bytes.readUInt16LE(p + 10),
      cdSize: bytes.readUInt32LE(p + 12),
      cdOffset: bytes.readUInt32LE(p + 16),
      trailing: bytes.length - (p + 22 + commentLength),
    };
    const locator = p - 20;
    if (locator >= 0 && bytes.readUInt32LE(locator) === SIG_EOCD64_LOCATOR) {
      const at = Number(bytes.readBigUInt64LE(locator + 8));
      if (at + 56 <= locator && bytes.readUInt32LE(at) === SIG_EOCD64) {
        record.at = at;
        record.disk = bytes.readUInt32LE(at + 16);
        record.cdDisk = bytes.readUInt32LE(at + 20);
        record.entriesOnDisk = Number(bytes.readBigUInt64LE(at + 24));
        record.entries = Number(bytes.readBigUInt64LE(at + 32));
        record.cdSize = Number(bytes.readBigUInt64LE(at + 40));
        record.cdOffset = Number(bytes.readBigUInt64LE(at + 48));
      }
    }
    return record;
  }
  return undefined;
}

function readCentral(
  bytes: Buffer,
  offset: number,
  size: number,
  count: number,
  add: (rule: ZipRule, message: string, member?: string) => void,
): CentralEntry[] {
  if (offset + size > bytes.length)
    throw new Error(`it lies past the end of the file (offset ${offset}, size ${size})`);
  const entries: CentralEntry[] = [];
  let at = offset;
  while (at < offset + size) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== SIG_CENTRAL)
      throw new Error(`no central directory header at offset ${at}`);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const raw = bytes.subarray(at + 46, at + 46 + nameLength);
    const name = raw.toString('utf8');
    const entry: CentralEntry = {
      name,
      raw,
      flags: bytes.readUInt16LE(at + 8),
      crc: bytes.readUInt32LE(at + 16),
      compressed: bytes.readUInt32LE(at + 20),
      uncompressed: bytes.readUInt32LE(at + 24),
      offset: bytes.readUInt32LE(at + 42),
    };
    const zip64 = findExtra(bytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), 1);
    if (zip64 !== undefined) {
      // The ZIP64 extra holds, in this order, only the fields whose 32-bit value is 0xffffffff.
      let k = 0;
      const next = (): number => {
        const value = Number(zip64.readBigUInt64LE(k));
        k += 8;
        return value;
      };
      if (entry.uncompressed === MAX32) entry.uncompressed = next();
      if (entry.compressed === MAX32) entry.compressed = next();
      if (entry.offset === MAX32) entry.offset = next();
    }
    if (commentLength !== 0) add('zip-entry-comment', `${name} has a comment in the central directory`, name);
    if (unprintable(raw))
      add('zip-name-unprintable', `member name ${JSON.stringify(name)} holds a control character`, name);
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  if (entries.length !== count)
    add(
      'zip-directory-mismatch',
      `the end record counts ${count} entries, the central directory holds ${entries.length}`,
    );
  return entries;
}

function findExtra(extra: Buffer, id: number): Buffer | undefined {
  let at = 0;
  while (at + 4 <= extra.length) {
    const headerId = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (headerId === id) return extra.subarray(at + 4, Math.min(extra.length, at + 4 + size));
    at += 4 + size;
  }
  return undefined;
}

function unprintable(raw: Buffer): boolean {
  return raw.some((b) => b < 0x20 || b === 0x7f);
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
