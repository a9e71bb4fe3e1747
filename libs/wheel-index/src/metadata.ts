import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { crc32, createGunzip } from 'node:zlib';
import { PackyardError } from '@packyard/core';
import type yauzl from 'yauzl';
import type { DistributionFilename } from './filename.js';

/** The core metadata fields the index needs (https://packaging.python.org/en/latest/specifications/core-metadata/). */
export interface CoreMetadata {
  metadataVersion?: string;
  name?: string;
  version?: string;
  requiresPython?: string;
  summary?: string;
  /** `License-Expression` (metadata 2.4, SPDX), else the free-text `License` field's first line. */
  license?: string;
  /** `Home-page` and every `Project-URL` (`label, url`), in order, http(s) links only. */
  links?: { label: string; url: string }[];
}

// Real METADATA files are a few kB to a few hundred; anything this big is not one.
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/**
 * Reads the header fields of a METADATA / PKG-INFO file: RFC 822 style `Key: value` lines up to the
 * first blank line, with continuation lines starting with whitespace. Field names are
 * case-insensitive; the first occurrence of a single-use field wins. Pure.
 */
export function parseCoreMetadata(text: string): CoreMetadata {
  const fields = new Map<string, string>();
  const projectUrls: string[] = [];
  let last: string | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (last !== undefined && fields.get(last) !== undefined)
        fields.set(last, `${fields.get(last)}\n${line}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    last = key;
    // Project-URL is a multiple-use field; every other field the index reads is single-use.
    if (key === 'project-url') projectUrls.push(line.slice(colon + 1).trim());
    if (!fields.has(key)) fields.set(key, line.slice(colon + 1).trim());
  }
  const out: CoreMetadata = {};
  const metadataVersion = fields.get('metadata-version');
  const name = fields.get('name');
  const version = fields.get('version');
  const requiresPython = fields.get('requires-python');
  if (metadataVersion) out.metadataVersion = metadataVersion;
  if (name) out.name = name;
  if (version) out.version = version;
  if (requiresPython) out.requiresPython = requiresPython.replace(/\s*\n\s*/g, ' ').trim();
  const summary = fields
    .get('summary')
    ?.replace(/\s*\n\s*/g, ' ')
    .trim();
  if (summary) out.summary = summary;
  const license = fields.get('license-expression') || fields.get('license')?.split('\n')[0]?.trim();
  if (license && license.toUpperCase() !== 'UNKNOWN') out.license = license;
  const links: { label: string; url: string }[] = [];
  const homePage = fields.get('home-page');
  if (homePage && isWebLink(homePage)) links.push({ label: 'Homepage', url: homePage });
  for (const value of projectUrls) {
    const comma = value.indexOf(',');
    const label = value.slice(0, comma).trim();
    const url = value.slice(comma + 1).trim();
    if (comma > 0 && isWebLink(url) && !links.some((link) => link.url === url)) links.push({ label, url });
  }
  if (links.length > 0) out.links = links;
  return out;
}

// Only http(s) links reach a page: a `javascript:` URL in someone's metadata is not a link.
function isWebLink(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}

/**
 * Reads the core metadata bytes from inside a distribution, `*.dist-info/METADATA` from a wheel's
 * zip or `<name>-<version>/PKG-INFO` from an sdist, after reading the whole archive back: every zip
 * member must decompress to its recorded size and CRC-32, and every wheel member must match its
 * RECORD hash and size (https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory);
 * a tar.gz must decompress to its end with its gzip check intact. Throws ARCHIVE_INVALID, naming
 * the file and the member, for anything that would fail an installer later.
 */
export async function readDistributionMetadata(path: string, parsed: DistributionFilename): Promise<Buffer> {
  try {
    if (parsed.kind === 'wheel') return await readWheel(path, parsed);
    if (parsed.extension === '.zip') {
      const { metadata } = await readSoundZip(
        path,
        parsed,
        isSdistMetadataPath,
        'a <name>-<version>/PKG-INFO',
      );
      return metadata;
    }
    return await readFromTarGz(path);
  } catch (error) {
    if (error instanceof PackyardError) throw error;
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `${parsed.filename} is not a readable ${parsed.kind === 'wheel' || parsed.extension === '.zip' ? 'zip' : 'gzip-compressed tar'} archive: ${(error as Error).message}`,
      {
        file: path,
        hint: `rebuild the ${parsed.kind} (a file of that name must be a ${parsed.kind === 'wheel' ? 'wheel, a zip' : 'source distribution'})`,
        cause: error,
      },
    );
  }
}

// The wheel spec puts METADATA in `{distribution}-{version}.dist-info/` at the archive root. Only
// that depth is looked at, so a vendored package's dist-info deeper in the tree is never taken.
function isWheelMetadataPath(parsed: DistributionFilename): (name: string) => number {
  const expected = `${parsed.name}-${parsed.version}.dist-info/METADATA`.toLowerCase();
  return (name) => {
    const parts = name.split('/');
    if (parts.length !== 2 || parts[1] !== 'METADATA' || !parts[0]?.endsWith('.dist-info')) return 0;
    return name.toLowerCase() === expected ? 2 : 1;
  };
}

function isSdistMetadataPath(name: string): number {
  const parts = name.replace(/^\.\//, '').split('/');
  return parts.length === 2 && parts[1] === 'PKG-INFO' && parts[0] !== '' ? 1 : 0;
}

/** One zip member as read back: its digest and size, as RECORD states them. */
interface ReadMember {
  size: number;
  sha256: Buffer;
  /** Other digests RECORD asked for, by hashlib name. */
  other?: Map<string, Buffer>;
}

interface SoundZip {
  metadata: Buffer;
  metadataName: string;
  members: Map<string, ReadMember>;
  /** Bytes kept for the caller: the RECORD of the metadata's dist-info directory (wheels). */
  kept: Map<string, Buffer>;
}

/**
 * Reads every member of a zip to its end, checking each against the central directory's size and
 * CRC-32 (yauzl checks sizes; CRCs are checked here), and refuses duplicate or escaping names.
 */
async function readSoundZip(
  path: string,
  parsed: DistributionFilename,
  score: (name: string) => number,
  what: string,
  keep: (name: string) => boolean = () => false,
): Promise<SoundZip> {
  const zip = await (
    await loadYauzl()
  ).openPromise(path, {
    lazyEntries: true,
    autoClose: false,
    strictFileNames: false,
  });
  const members = new Map<string, ReadMember>();
  const kept = new Map<string, Buffer>();
  const candidates: { name: string; bytes: Buffer; score: number }[] = [];
  await forEachZipEntry(zip, readMember);

  async function readMember(entry: yauzl.Entry): Promise<void> {
    const name = entry.fileName;
    if (name.endsWith('/')) return;
    if (members.has(name)) throw damaged(path, parsed, name, 'it is stored twice');
    if (name.startsWith('/') || name.split(/[/\\]/).includes('..') || /^[A-Za-z]:/.test(name)) {
      throw damaged(path, parsed, name, 'its path leaves the archive (absolute, or with "..")');
    }
    const s = score(name);
    const collect = s > 0 || keep(name);
    if (collect && entry.uncompressedSize > MAX_METADATA_BYTES) throw tooBig(path, name);
    let stream: Readable;
    try {
      stream = await zip.openReadStreamPromise(entry);
    } catch (error) {
      throw damaged(path, parsed, name, `it cannot be read: ${(error as Error).message}`, error);
    }
    const sha256 = createHash('sha256');
    const chunks: Buffer[] = [];
    let crc = 0;
    let size = 0;
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        crc = crc32(bytes, crc);
        sha256.update(bytes);
        size += bytes.length;
        if (collect) chunks.push(bytes);
      }
    } catch (error) {
      throw damaged(path, parsed, name, `it does not decompress: ${(error as Error).message}`, error);
    }
    if (crc >>> 0 !== entry.crc32 >>> 0) {
      throw damaged(
        path,
        parsed,
        name,
        `its data has CRC-32 ${hex32(crc)}, but the zip directory records ${hex32(entry.crc32)}`,
      );
    }
    members.set(name, { size, sha256: sha256.digest() });
    if (collect) {
      const bytes = Buffer.concat(chunks);
      if (s > 0) candidates.push({ name, bytes, score: s });
      if (keep(name)) kept.set(name, bytes);
    }
  }

  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  if (best === undefined) throw noMetadata(path, what);
  if (candidates.length > 1 && candidates[1]?.score === best.score) {
    throw new PackyardError('ARCHIVE_INVALID', `${path} holds more than one ${what.replace(/^an? /, '')}`, {
      file: path,
      value: candidates.map((c) => c.name),
      hint: 'a distribution holds the metadata of exactly one project',
    });
  }
  return { metadata: best.bytes, metadataName: best.name, members, kept };
}

async function readWheel(path: string, parsed: DistributionFilename): Promise<Buffer> {
  const zip = await readSoundZip(
    path,
    parsed,
    isWheelMetadataPath(parsed),
    'a *.dist-info/METADATA',
    (name) => /^[^/]+\.dist-info\/RECORD$/.test(name),
  );
  const distInfo = zip.metadataName.slice(0, zip.metadataName.lastIndexOf('/'));
  const recordName = `${distInfo}/RECORD`;
  const record = zip.kept.get(recordName);
  if (record === undefined) {
    throw new PackyardError('ARCHIVE_INVALID', `${parsed.filename} has no ${recordName}`, {
      file: path,
      field: recordName,
      hint: 'a wheel lists every file it holds, with its hash, in .dist-info/RECORD; rebuild it with a standard build backend',
    });
  }
  await checkRecord(path, parsed, zip.members, recordName, record);
  return zip.metadata;
}

/**
 * Checks a wheel's RECORD against what was read: every member but RECORD and its signatures is
 * listed with a hash that matches (and a size, when given, that matches), and every listed file is
 * in the wheel.
 */
async function checkRecord(
  path: string,
  parsed: DistributionFilename,
  members: Map<string, ReadMember>,
  recordName: string,
  record: Buffer,
): Promise<void> {
  const unsigned = new Set([recordName, `${recordName}.jws`, `${recordName}.p7s`]);
  const listed = new Set<string>();
  let rows: string[][];
  try {
    rows = parseCsv(record.toString('utf8'));
  } catch (error) {
    throw damaged(path, parsed, recordName, `it is not CSV: ${(error as Error).message}`, error);
  }
  for (const [index, row] of rows.entries()) {
    const [name = '', hash = '', size = ''] = row;
    if (name === '' || name.endsWith('/')) continue;
    const where = `${recordName} line ${index + 1}`;
    listed.add(name);
    if (unsigned.has(name)) continue;
    const member = members.get(name);
    if (member === undefined)
      throw damaged(path, parsed, name, `${where} lists it, but the wheel does not hold it`);
    const eq = hash.indexOf('=');
    if (eq <= 0) throw damaged(path, parsed, name, `${where} gives it no hash`);
    const algorithm = hash.slice(0, eq).toLowerCase();
    if (algorithm === 'md5' || algorithm === 'sha1') {
      throw damaged(
        path,
        parsed,
        name,
        `${where} hashes it with ${algorithm}, which the wheel format does not allow`,
      );
    }
    const expected = hash.slice(eq + 1).replace(/=+$/, '');
    const actual = await digestOf(path, parsed, name, member, algorithm, where);
    if (actual.toString('base64url') !== expected) {
      throw damaged(
        path,
        parsed,
        name,
        `its ${algorithm} is ${actual.toString('base64url')}, but ${where} says ${expected}`,
      );
    }
    if (size !== '' && Number(size) !== member.size) {
      throw damaged(path, parsed, name, `it is ${member.size} bytes, but ${where} says ${size}`);
    }
  }
  for (const name of members.keys()) {
    if (!listed.has(name) && !unsigned.has(name)) {
      throw damaged(path, parsed, name, `${recordName} does not list it`);
    }
  }
}

// sha256 is what every build backend writes; anything else RECORD names is computed on demand.
async function digestOf(
  path: string,
  parsed: DistributionFilename,
  name: string,
  member: ReadMember,
  algorithm: string,
  where: string,
): Promise<Buffer> {
  if (algorithm === 'sha256') return member.sha256;
  const known = member.other?.get(algorithm);
  if (known !== undefined) return known;
  const nodeName =
    algorithm === 'blake2b' ? 'blake2b512' : algorithm === 'blake2s' ? 'blake2s256' : algorithm;
  let hash;
  try {
    hash = createHash(nodeName);
  } catch {
    throw damaged(path, parsed, name, `${where} hashes it with "${algorithm}", which packyard cannot check`);
  }
  const zip = await (await loadYauzl()).openPromise(path, { lazyEntries: true, autoClose: false });
  try {
    const digest = await new Promise<Buffer>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          stream.on('data', (chunk: Buffer) => hash.update(chunk));
          stream.on('error', reject);
          stream.on('end', () => resolve(hash.digest()));
        });
      });
      zip.on('end', () => reject(new Error(`${name} vanished`)));
      zip.on('error', reject);
      zip.readEntry();
    });
    member.other ??= new Map();
    member.other.set(algorithm, digest);
    return digest;
  } finally {
    zip.close();
  }
}

/** RFC 4180 CSV as Python's csv module writes it (RECORD files): quoted fields, `""` escapes. Pure. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i += 1;
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
    i += 1;
  }
  if (quoted) throw new Error('a quoted field is not closed');
  row.push(field);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  return rows;
}

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

function damaged(
  path: string,
  parsed: DistributionFilename,
  member: string,
  why: string,
  cause?: unknown,
): PackyardError {
  return new PackyardError('ARCHIVE_INVALID', `${parsed.filename} is damaged: member ${member}: ${why}`, {
    file: path,
    field: member,
    hint: `an installer would fail on it; rebuild the ${parsed.kind}, or download it again`,
    cause,
  });
}

// The archive readers load on first use: building pages from a package list never reads one.
/**
 * Runs `onEntry` on each entry of a zip opened with `lazyEntries: true, autoClose: false`, one after
 * another in the archive's order, then closes it; rejects on the first error (yauzl's or `onEntry`'s).
 */
export async function forEachZipEntry(
  zip: yauzl.ZipFile,
  onEntry: (entry: yauzl.Entry) => Promise<void>,
): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        onEntry(entry).then(
          () => zip.readEntry(),
          (error: unknown) => reject(error as Error),
        );
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function loadYauzl(): Promise<typeof yauzl> {
  return (await import('yauzl')).default;
}

async function readFromTarGz(path: string): Promise<Buffer> {
  const tar = (await import('tar-stream')).default;
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(path), createGunzip(), extract);
  // Handled here and awaited below: the loop sees the same failure through `extract`.
  feeding.catch(() => {});
  let found: Buffer | undefined;
  try {
    // The archive is read to its end, so a truncated or corrupt sdist is refused rather than indexed.
    for await (const entry of extract) {
      const { header } = entry;
      if (found === undefined && header.type === 'file' && isSdistMetadataPath(header.name) > 0) {
        found = await collect(entry as unknown as Readable, path, header.name);
      } else {
        entry.resume();
      }
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    throw error;
  }
  if (found === undefined) throw noMetadata(path, 'a <name>-<version>/PKG-INFO');
  return found;
}

async function collect(stream: Readable, path: string, entry: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_METADATA_BYTES) {
      stream.destroy();
      throw tooBig(path, entry);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function noMetadata(path: string, what: string): PackyardError {
  return new PackyardError(
    'ARCHIVE_INVALID',
    `${path} holds no ${what.replace(/^an? /, '')} at its top level`,
    {
      file: path,
      hint: `a distribution must contain ${what}; rebuild it with a standard build backend`,
    },
  );
}

function tooBig(path: string, entry: string): PackyardError {
  return new PackyardError(
    'ARCHIVE_INVALID',
    `${entry} in ${path} is larger than ${MAX_METADATA_BYTES} bytes`,
    {
      file: path,
      field: entry,
    },
  );
}
