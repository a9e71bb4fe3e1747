import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { normalizeProjectName } from '@packyard/core';
import { explainIndexFilename, pausePoint } from '@packyard/wheel-index';
import busboy from 'busboy';

/** An upload form as read: its fields (first value of each) and the staged `content` file. */
export interface UploadForm {
  fields: Map<string, string>;
  file?: { filename: string; path: string; size: number; sha256: string; md5: string } | undefined;
  /** Why the form cannot be used even before its fields are checked. */
  problem?: { status: number; message: string } | undefined;
}

/** An upload that ended before its form could be read: the status to answer with. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** Limits of readUploadForm. */
export interface UploadLimits {
  maxBytes: number;
}

/**
 * Reads a multipart upload (busboy) into `staging`: the fields, and the `content` file hashed while
 * it is written. Every way a body can end badly (cut short, no closing boundary, the client gone,
 * a write that fails, e.g. a full disk) rejects with an UploadError once every write has settled,
 * so no promise is left to reject unobserved and the caller can remove `staging` safely.
 */
export async function readUploadForm(
  req: IncomingMessage,
  staging: string,
  limits: UploadLimits,
): Promise<UploadForm> {
  const form: UploadForm = { fields: new Map() };
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Keep the name as sent, so a path in it is refused rather than silently cut to its last part.
      preservePath: true,
      limits: { files: 1, fileSize: limits.maxBytes, fields: 256, fieldSize: 4 * 1024 * 1024, parts: 300 },
    });
  } catch (error) {
    req.resume();
    throw new UploadError(400, `bad multipart request: ${(error as Error).message}`);
  }
  const writes: Array<Promise<void>> = [];
  const tees: PassThrough[] = [];
  let writeError: Error | undefined;
  const setProblem = (status: number, message: string) => {
    form.problem ??= { status, message };
  };
  // What a client sends decides what these handlers see (a part with no name, no filename): a
  // handler that threw would throw from busboy's event, out of every promise, and end the process.
  parser.on('field', (name: string | undefined, value, info) => {
    if (name === undefined || name === '') return setProblem(400, 'a form field has no name');
    if (info.valueTruncated) setProblem(413, `field ${quote(name)} is too long`);
    if (!form.fields.has(name)) form.fields.set(name, value);
  });
  parser.on('file', (name: string | undefined, stream, info) => {
    if (name !== 'content' || form.file !== undefined) {
      setProblem(400, `unexpected file field ${quote(name ?? '')}`);
      stream.resume();
      return;
    }
    const filename = typeof info.filename === 'string' ? info.filename : '';
    // The index's own check, so the client hears the reason the index would give; nothing is
    // staged under a name the index could not hold.
    const explained = explainIndexFilename(filename);
    if (typeof explained === 'string') {
      setProblem(
        400,
        `${quote(filename.length > 300 ? `${filename.slice(0, 300)}…` : filename)} cannot be indexed: ${explained}`,
      );
      stream.resume();
      return;
    }
    const path = join(staging, filename);
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sha256.update(chunk);
        md5.update(chunk);
        const first = size === 0;
        size += chunk.length;
        if (first) return callback(null, chunk);
        // Once the first bytes are on their way to disk, a test may hold the upload here.
        pausePoint('upload-receiving').then(() => callback(null, chunk), callback);
      },
    });
    stream.on('limit', () => setProblem(413, `the file is larger than ${limits.maxBytes} bytes`));
    form.file = { filename, path, size: 0, sha256: '', md5: '' };
    // busboy's file stream feeds a tee, so a failed write can be cut off while the rest of the
    // form is still read (and dropped): the client then hears why instead of a stalled upload.
    const tee = new PassThrough();
    tees.push(tee);
    stream.on('error', (error: Error) => tee.destroy(error));
    stream.pipe(tee);
    const write = pipeline(tee, hashing, createWriteStream(path)).then(
      () => {
        form.file = { filename, path, size, sha256: sha256.digest('hex'), md5: md5.digest('base64url') };
      },
      (error: unknown) => {
        stream.unpipe(tee);
        stream.resume();
        writeError ??= error as Error;
      },
    );
    writes.push(write);
  });
  parser.on('filesLimit', () => setProblem(400, 'only one file per upload'));
  parser.on('fieldsLimit', () => setProblem(413, 'too many fields'));
  parser.on('partsLimit', () => setProblem(413, 'too many parts'));
  try {
    await pipeline(req, parser);
  } catch (error) {
    const reason = new UploadError(400, `bad multipart request: ${(error as Error).message}`);
    for (const tee of tees) tee.destroy(reason);
    await Promise.all(writes);
    throw reason;
  }
  await Promise.all(writes);
  if (writeError !== undefined) {
    const full = (writeError as NodeJS.ErrnoException).code === 'ENOSPC';
    throw new UploadError(
      full ? 507 : 500,
      full ? 'no space left to stage the upload' : 'cannot stage the upload',
    );
  }
  return form;
}

/**
 * Checks a read upload form against the legacy upload API (https://docs.pypi.org/api/upload/):
 * `:action=file_upload`, protocol 1, a `content` file, a matching sha256 (hex) or md5 (urlsafe
 * base64 without padding; hex from old clients) digest, and a `name` that is the file's project. Pure.
 */
export function checkUploadForm(form: UploadForm): { status: number; message: string } | undefined {
  if (form.problem !== undefined) return form.problem;
  const action = form.fields.get(':action');
  if (action !== 'file_upload') return { status: 400, message: `unsupported :action ${quote(action ?? '')}` };
  const protocol = form.fields.get('protocol_version');
  if (protocol !== undefined && protocol !== '1')
    return { status: 400, message: `unsupported protocol_version ${quote(protocol)}` };
  const file = form.file;
  if (file === undefined) return { status: 400, message: 'no content file' };
  const sha256 = form.fields.get('sha256_digest')?.trim().toLowerCase();
  const md5 = form.fields.get('md5_digest')?.trim();
  if (!sha256 && !md5) return { status: 400, message: 'a sha256_digest or md5_digest is required' };
  if (sha256 && sha256 !== file.sha256)
    return { status: 400, message: 'sha256_digest does not match the content' };
  if (md5 && md5 !== file.md5 && md5.toLowerCase() !== Buffer.from(file.md5, 'base64url').toString('hex')) {
    return { status: 400, message: 'md5_digest does not match the content' };
  }
  const name = form.fields.get('name');
  const project = projectOfFilename(file.filename);
  if (
    name !== undefined &&
    project !== undefined &&
    normalizeProjectName(name) !== normalizeProjectName(project)
  ) {
    return { status: 400, message: `name ${quote(name)} is not the project of ${file.filename}` };
  }
  return undefined;
}

/** The project part of a wheel (`name-version-…whl`) or sdist (`name-version.tar.gz`) file name. Pure. */
export function projectOfFilename(filename: string): string | undefined {
  if (filename.endsWith('.whl')) return filename.split('-')[0];
  const stem = filename.replace(/\.(?:tar\.gz|zip)$/, '');
  const dash = stem.lastIndexOf('-');
  return dash > 0 ? stem.slice(0, dash) : undefined;
}

/**
 * Client-supplied text, JSON-quoted with markup characters escaped, so no answer can carry live
 * HTML whatever a client (or a browser sniffing the type) makes of it. Pure.
 */
export function quote(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&']/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
