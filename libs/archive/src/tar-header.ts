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

// Writes `octal(value, width)` as bytes at `at` and returns the sum of those bytes.
function putOctal(block: Uint8Array, at: number, value: number, width: number): number {
  let sum = 0x20;
  block[at + width] = 0x20;
  if (value >= 8 ** width) {
    for (let index = 0; index < width; index++) block[at + index] = 0x37;
    return sum + 0x37 * width;
  }
  for (let index = width - 1; index >= 0; index--) {
    const digit = 0x30 + (value % 8);
    block[at + index] = digit;
    sum += digit;
    value = Math.floor(value / 8);
  }
  return sum;
}

// Writes the size field and returns the sum of its bytes.
function writeSize(block: Uint8Array, at: number, size: number): number {
  if (size >= 8 ** 11) {
    // GNU base-256 for sizes beyond 8 GiB, as tar-stream writes it.
    let sum = 0x80;
    block[at + 124] = 0x80;
    let rest = size;
    for (let index = 11; index > 0; index--) {
      block[at + 124 + index] = rest & 0xff;
      sum += rest & 0xff;
      rest = Math.floor(rest / 0x100);
    }
    return sum;
  }
  return putOctal(block, at + 124, size, 11);
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

// One ustar block at `at`: the template, then the name, mode, size, typeflag, prefix and checksum.
function writeUstarBlock(
  block: Uint8Array,
  at: number,
  name: Uint8Array,
  prefix: Uint8Array,
  typeflag: number,
  fields: TarHeaderFields,
  size: number,
): void {
  const { block: shared, sum: sharedSum } = templateFor(fields.mtime);
  block.set(shared, at);
  // Name, mode, size, typeflag and prefix: the bytes the template holds as zeros.
  let sum = sharedSum + typeflag;
  for (let index = 0; index < name.length; index++) sum += block[at + index] = name[index]!;
  sum += putOctal(block, at + 100, fields.mode & 0o7777, 6);
  sum += writeSize(block, at, size);
  block[at + 156] = typeflag;
  for (let index = 0; index < prefix.length; index++) sum += block[at + 345 + index] = prefix[index]!;
  putOctal(block, at + 148, sum, 6);
}

function ustarBlock(
  name: Buffer,
  prefix: Buffer,
  typeflag: number,
  fields: TarHeaderFields,
  size: number,
): Buffer {
  const block = Buffer.allocUnsafe(BLOCK);
  writeUstarBlock(block, 0, name, prefix, typeflag, fields, size);
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
  const typeflag = fields.directory ? TYPE_DIRECTORY : TYPE_FILE;
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
    ustarBlock(paxName, empty, TYPE_PAX, fields, records.length),
    records,
    Buffer.alloc(padding(records.length)),
    ustarBlock(paxName, empty, typeflag, fields, fields.size),
  ]);
}

/**
 * Writes a file's header straight into `target` at `offset` when it is one ustar block (a name of at
 * most 100 bytes that `encodeTarHeader` would write in ustar's name field) and returns 512; returns 0,
 * writing nothing, for any other header (then use `encodeTarHeader`). The same bytes either way.
 */
export function writeFileHeader(target: Buffer, offset: number, fields: TarHeaderFields): number {
  const name = fields.name;
  if (fields.directory || name.length > 100 || !(fields.binaryName || isAscii(name))) return 0;
  writeUstarBlock(target, offset, name, EMPTY, TYPE_FILE, fields, fields.size);
  return BLOCK;
}

const EMPTY = Buffer.alloc(0);
const TYPE_FILE = 0x30;
const TYPE_DIRECTORY = 0x35;
const TYPE_PAX = 0x78;

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
