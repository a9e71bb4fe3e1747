import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PackyardError } from '@packyard/core';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import type { DistributionFilename } from './filename.js';

/** The core metadata fields the index needs (https://packaging.python.org/en/latest/specifications/core-metadata/). */
export interface CoreMetadata {
  metadataVersion?: string;
  name?: string;
  version?: string;
  requiresPython?: string;
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
  return out;
}

/**
 * Reads the core metadata bytes from inside a distribution: `*.dist-info/METADATA` from a wheel's
 * zip, `<name>-<version>/PKG-INFO` from an sdist. Throws ARCHIVE_INVALID, naming the file, when the
 * archive cannot be read or holds no metadata.
 */
export async function readDistributionMetadata(path: string, parsed: DistributionFilename): Promise<Buffer> {
  try {
    if (parsed.kind === 'wheel')
      return await readFromZip(path, isWheelMetadataPath(parsed), 'a *.dist-info/METADATA');
    if (parsed.extension === '.zip')
      return await readFromZip(path, isSdistMetadataPath, 'a <name>-<version>/PKG-INFO');
    return await readFromTarGz(path);
  } catch (error) {
    if (error instanceof PackyardError) throw error;
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `${parsed.filename} is not a readable ${parsed.kind === 'wheel' || parsed.extension === '.zip' ? 'zip' : 'gzip-compressed tar'} archive: ${(error as Error).message}`,
      {
        file: parsed.filename,
        value: path,
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

async function readFromZip(path: string, score: (name: string) => number, what: string): Promise<Buffer> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false });
  try {
    const candidates: { entry: yauzl.Entry; score: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        const s = score(entry.fileName);
        if (s > 0) candidates.push({ entry, score: s });
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
    candidates.sort((a, b) => b.score - a.score);
    const best = candidates[0];
    if (best === undefined) throw noMetadata(path, what);
    if (candidates.length > 1 && candidates[1]?.score === best.score) {
      throw new PackyardError('ARCHIVE_INVALID', `${path} holds more than one ${what.replace(/^an? /, '')}`, {
        file: path,
        value: candidates.map((c) => c.entry.fileName),
        hint: 'a distribution holds the metadata of exactly one project',
      });
    }
    if (best.entry.uncompressedSize > MAX_METADATA_BYTES) throw tooBig(path, best.entry.fileName);
    const stream = await zip.openReadStreamPromise(best.entry);
    return await collect(stream, path, best.entry.fileName);
  } finally {
    zip.close();
  }
}

async function readFromTarGz(path: string): Promise<Buffer> {
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
