/**
 * Tar headers as packyard writes them: ustar when the name fits, else a pax extended header (the
 * layout tar-stream 3 writes, so archives written before packyard wrote its own headers keep their
 * bytes). Pure.
 */

const BLOCK = 512;
const USTAR_MAGIC = Buffer.from('ustar\0', 'latin1');
const USTAR_VERSION = Buffer.from('00', 'latin1');

/** One header's fields; everything else is fixed (uid/gid 0, empty uname/gname, no device). */
export interface TarHeaderFields {
  /** The name's bytes, without a trailing slash. */
  name: Buffer;
  directory: boolean;
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Whether `name` is not valid UTF-8 (pax then says `hdrcharset=BINARY`). */
  binaryName: boolean;
}

function octal(value: number, width: number): string {
  const digits = value.toString(8);
  if (digits.length > width) return `${'7'.repeat(width)} `;
  return `${'0'.repeat(width - digits.length)}${digits} `;
}

function writeSize(block: Buffer, size: number): void {
  if (size.toString(8).length > 11) {
    // GNU base-256 for sizes beyond 8 GiB, as tar-stream writes it.
    block[124] = 0x80;
    let rest = size;
    for (let index = 11; index > 0; index--) {
      block[124 + index] = rest & 0xff;
      rest = Math.floor(rest / 0x100);
    }
  } else block.write(octal(size, 11), 124, 'latin1');
}

function byteSum(bytes: Buffer, from: number, to: number): number {
  let sum = 0;
  for (let index = from; index < to; index++) sum += bytes[index]!;
  return sum;
}

// The fields every header of an archive shares (uid, gid, mtime, magic, version, device numbers),
// written once per mtime, with the sum of their bytes (and the checksum field's eight spaces), so a
// header costs a copy and the sum of the bytes that differ.
let template: { mtime: number; block: Buffer; sum: number } | undefined;

function templateFor(mtime: number): { block: Buffer; sum: number } {
  if (template?.mtime === mtime) return template;
  const block = Buffer.alloc(BLOCK);
  block.write(octal(0, 6), 108, 'latin1');
  block.write(octal(0, 6), 116, 'latin1');
  block.write(octal(mtime, 11), 136, 'latin1');
  USTAR_MAGIC.copy(block, 257);
  USTAR_VERSION.copy(block, 263);
  block.write(octal(0, 6), 329, 'latin1');
  block.write(octal(0, 6), 337, 'latin1');
  template = { mtime, block, sum: 8 * 32 + byteSum(block, 0, BLOCK) };
  return template;
}

function ustarBlock(
  name: Buffer,
  prefix: Buffer,
  typeflag: string,
  fields: TarHeaderFields,
  size: number,
): Buffer {
  const { block: shared, sum: sharedSum } = templateFor(fields.mtime);
  const block = Buffer.allocUnsafe(BLOCK);
  shared.copy(block);
  name.copy(block, 0);
  block.write(octal(fields.mode & 0o7777, 6), 100, 'latin1');
  writeSize(block, size);
  block.write(typeflag, 156, 'latin1');
  prefix.copy(block, 345);
  // Name, mode, size, typeflag and prefix: the bytes the template holds as zeros.
  const sum =
    sharedSum +
    byteSum(block, 0, name.length) +
    byteSum(block, 100, 108) +
    byteSum(block, 124, 136) +
    block[156]! +
    byteSum(block, 345, 345 + prefix.length);
  block.write(octal(sum, 6), 148, 'latin1');
  return block;
}

// Splits a name at its first slashes until the rest fits the 100-byte name field, as tar-stream does.
function splitUstar(name: Buffer): { name: Buffer; prefix: Buffer } | undefined {
  let rest: Buffer = name;
  let prefix: Buffer = Buffer.alloc(0);
  while (rest.length > 100) {
    const slash = rest.indexOf(0x2f);
    if (slash === -1) return undefined;
    prefix =
      prefix.length === 0
        ? rest.subarray(0, slash)
        : Buffer.concat([prefix, Buffer.from('/'), rest.subarray(0, slash)]);
    rest = rest.subarray(slash + 1);
  }
  if (prefix.length > 155) return undefined;
  return { name: rest, prefix };
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'latin1'), value, Buffer.from('\n', 'latin1')]);
  let digits = Math.floor(Math.log10(body.length)) + 1;
  if (body.length + digits >= 10 ** digits) digits++;
  return Buffer.concat([Buffer.from(String(body.length + digits), 'latin1'), body]);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * The header block(s) of one entry. A directory's name ends in '/' (as GNU tar writes it). A UTF-8
 * name that is pure ASCII and fits ustar's name and prefix fields is written there; a name that is
 * not valid UTF-8 is written there too, as its bytes, when it fits. Any other name goes into a pax
 * `path` record (with `hdrcharset=BINARY` first for a non-UTF-8 name), whose own header and the
 * entry's header are both named `PaxHeader`, as tar-stream writes them.
 */
export function encodeTarHeader(fields: TarHeaderFields): Buffer {
  const name = fields.directory ? Buffer.concat([fields.name, Buffer.from('/')]) : fields.name;
  const typeflag = fields.directory ? '5' : '0';
  const plain = fields.binaryName || isAscii(name);
  const split = plain ? splitUstar(name) : undefined;
  if (split !== undefined) return ustarBlock(split.name, split.prefix, typeflag, fields, fields.size);
  const records = Buffer.concat([
    ...(fields.binaryName ? [paxRecord('hdrcharset', Buffer.from('BINARY', 'latin1'))] : []),
    paxRecord('path', name),
  ]);
  const paxName = Buffer.from('PaxHeader', 'latin1');
  const empty = Buffer.alloc(0);
  return Buffer.concat([
    ustarBlock(paxName, empty, 'x', fields, records.length),
    records,
    Buffer.alloc(padding(records.length)),
    ustarBlock(paxName, empty, typeflag, fields, fields.size),
  ]);
}

function isAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte >= 0x80) return false;
  return true;
}

/** How many zero bytes pad `size` bytes of file data to a whole block. */
export function paddingBytes(size: number): number {
  return padding(size);
}

/** The two zero blocks that end a tar. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
