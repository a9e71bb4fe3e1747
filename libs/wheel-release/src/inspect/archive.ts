import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createGunzip } from 'node:zlib';
import { forEachZipEntry } from '@packyard/wheel-index';
import type { Entry } from 'yauzl';

/** One member of a wheel or sdist as read back from its archive. */
export interface ArchiveMember {
  name: string;
  size: number;
  /** sha256, urlsafe base64 without padding (the RECORD form). */
  sha256: string;
  /** The bytes, when the caller asked to keep them. */
  bytes?: Buffer;
  /** Unix permission bits from the zip's external attributes or the tar header, when recorded. */
  mode?: number;
}

/** What an archive holds, or why it cannot be read. */
export interface ArchiveContents {
  members: ArchiveMember[];
  /** Names that are absolute or hold `..` (they would leave the install directory). */
  escaping: string[];
  /** Names stored more than once. */
  duplicates: string[];
  /** Members stored as symbolic links (S_IFLNK in a zip's external attributes, a tar symlink or hard link). */
  symlinks: string[];
}

/** Whether a member's first bytes are an ELF or Mach-O header (its bytes are kept to check it). */
export function looksNative(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const be = Buffer.from(head.buffer, head.byteOffset, 4).readUInt32BE(0);
  return (
    be === 0x7f454c46 || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xcafebabf].includes(be)
  );
}

function escapes(name: string): boolean {
  return name.startsWith('/') || name.split(/[/\\]/).includes('..') || /^[A-Za-z]:/.test(name);
}

/**
 * Reads every member of a zip to its end with yauzl, checking each against the central directory's
 * CRC-32 (yauzl checks the sizes), and keeps the bytes of the members `keep` selects. Rejects with
 * an Error saying what is wrong when the file is not a sound zip.
 */
export async function readZipArchive(
  path: string,
  keep: (name: string) => boolean,
): Promise<ArchiveContents> {
  const yauzl = (await import('yauzl')).default;
  // With decodeStrings, yauzl refuses the whole archive at an escaping name; names are decoded here
  // instead (the wheel spec makes them UTF-8), so that is reported as one problem and reading goes on.
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, decodeStrings: false });
  const out: ArchiveContents = { members: [], escaping: [], duplicates: [], symlinks: [] };
  const seen = new Set<string>();
  await forEachZipEntry(zip, readEntry);
  return out;

  async function readEntry(entry: Entry): Promise<void> {
    const name = (entry.fileName as unknown as Buffer).toString('utf8');
    if (escapes(name)) out.escaping.push(name);
    if (name.endsWith('/')) return;
    if (seen.has(name)) out.duplicates.push(name);
    seen.add(name);
    const stream = await zip.openReadStreamPromise(entry);
    const { sha256, size, bytes, crc } = await drain(stream, keep(name), true);
    if (crc >>> 0 !== entry.crc32 >>> 0) {
      throw new Error(`member ${name}: its data does not match the CRC-32 the zip directory records`);
    }
    // The high 16 bits of the external attributes hold st_mode when the zip was made on Unix.
    const made = entry.versionMadeBy >>> 8;
    if (made === 3 && ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000)
      out.symlinks.push(name);
    const mode = (entry.externalFileAttributes >>> 16) & 0o7777;
    out.members.push({ name, size, sha256, ...(bytes ? { bytes } : {}), ...(mode ? { mode } : {}) });
  }
}

/** Reads a gzip-compressed tar to its end (so a truncated one is refused), keeping the members `keep` selects. */
export async function readTarGzArchive(
  path: string,
  keep: (name: string) => boolean,
): Promise<ArchiveContents> {
  const tar = (await import('tar-stream')).default;
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(path), createGunzip(), extract);
  // Awaited below; the loop sees the same failure through `extract`.
  feeding.catch(() => {});
  const out: ArchiveContents = { members: [], escaping: [], duplicates: [], symlinks: [] };
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const { name, type, mode } = entry.header;
      if (escapes(name)) out.escaping.push(name);
      if (type === 'symlink' || type === 'link') out.symlinks.push(name);
      if (type !== 'file') {
        entry.resume();
        continue;
      }
      if (seen.has(name)) out.duplicates.push(name);
      seen.add(name);
      const { sha256, size, bytes } = await drain(entry as unknown as Readable, keep(name), false);
      out.members.push({ name, size, sha256, ...(bytes ? { bytes } : {}), ...(mode ? { mode } : {}) });
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    throw error;
  }
  return out;
}

async function drain(
  stream: Readable,
  keepAll: boolean,
  withCrc: boolean,
): Promise<{ sha256: string; size: number; bytes: Buffer | undefined; crc: number }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  let crc = 0;
  let keep = keepAll;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    // An ELF or Mach-O file is kept wherever it is, so that every binary is checked against the tag.
    if (size === 0 && !keep) keep = looksNative(bytes);
    hash.update(bytes);
    if (withCrc) crc = crc32(bytes, crc);
    size += bytes.length;
    if (keep) chunks.push(bytes);
  }
  return { sha256: hash.digest('base64url'), size, bytes: keep ? Buffer.concat(chunks) : undefined, crc };
}
