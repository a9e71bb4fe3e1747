// A reader of the Mach-O fields wheel verification needs, from Apple's <mach-o/loader.h> and
// <mach-o/fat.h>: the header's cputype and the minimum macOS version in the load commands.

/** One architecture of a Mach-O file (a thin file has one). */
export interface MachOSlice {
  /** cputype: 0x01000007 is x86_64, 0x0100000c is arm64. */
  cputype: number;
  bits: 32 | 64;
  /** The minimum OS version as [major, minor, patch], from LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX. */
  minimumOs: [number, number, number] | undefined;
  /** LC_BUILD_VERSION's platform (1 is macOS), undefined when only LC_VERSION_MIN_MACOSX is there. */
  platform: number | undefined;
}

/** The cputype values packyard's macOS platforms use. */
export const MACHO_CPU: Readonly<Record<number, string>> = Object.freeze({
  7: 'i386',
  12: 'arm',
  0x01000007: 'x86_64',
  0x0100000c: 'arm64',
});

const MH_MAGIC = 0xfeedface;
const MH_MAGIC_64 = 0xfeedfacf;
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_BUILD_VERSION = 0x32;
// A Java class file also starts with 0xcafebabe; its next field is a version far above this.
const MAX_FAT_ARCHES = 64;

/** Whether `bytes` starts with a thin (either byte order) or fat Mach-O magic. Pure. */
export function isMachO(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const be = view.getUint32(0, false);
  const le = view.getUint32(0, true);
  if (be === FAT_MAGIC || be === FAT_MAGIC_64) return view.getUint32(4, false) <= MAX_FAT_ARCHES;
  return [MH_MAGIC, MH_MAGIC_64].includes(be) || [MH_MAGIC, MH_MAGIC_64].includes(le);
}

/** Reads every architecture of a thin or fat (universal) Mach-O file; throws Error on a malformed one. Pure. */
export function readMachO(bytes: Uint8Array): MachOSlice[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new Error('truncated Mach-O file');
  const magic = view.getUint32(0, false);
  if (magic === FAT_MAGIC || magic === FAT_MAGIC_64) {
    // The fat header and fat_arch records are big-endian whatever the slices are.
    const is64 = magic === FAT_MAGIC_64;
    const count = view.getUint32(4, false);
    if (count > MAX_FAT_ARCHES) throw new Error(`fat header claims ${count} architectures`);
    const size = is64 ? 32 : 20;
    if (8 + count * size > bytes.length) throw new Error('truncated fat header');
    const slices: MachOSlice[] = [];
    for (let i = 0; i < count; i++) {
      const at = 8 + i * size;
      const offset = is64 ? Number(view.getBigUint64(at + 8, false)) : view.getUint32(at + 8, false);
      const length = is64 ? Number(view.getBigUint64(at + 16, false)) : view.getUint32(at + 12, false);
      if (offset + length > bytes.length)
        throw new Error(`fat architecture ${i} lies past the end of the file`);
      const slice = readThin(bytes.subarray(offset, offset + length));
      const cputype = view.getUint32(at, false);
      if (slice.cputype !== cputype) {
        throw new Error(
          `fat architecture ${i} says cputype ${hex(cputype)} but its slice is ${hex(slice.cputype)}`,
        );
      }
      slices.push(slice);
    }
    return slices;
  }
  return [readThin(bytes)];
}

function readThin(bytes: Uint8Array): MachOSlice {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 28) throw new Error('truncated Mach-O header');
  const le = view.getUint32(0, true) === MH_MAGIC || view.getUint32(0, true) === MH_MAGIC_64;
  const magic = view.getUint32(0, le);
  if (magic !== MH_MAGIC && magic !== MH_MAGIC_64) throw new Error('not a Mach-O file');
  const is64 = magic === MH_MAGIC_64;
  const cputype = view.getUint32(4, le);
  const ncmds = view.getUint32(16, le);
  const sizeofcmds = view.getUint32(20, le);
  let at = is64 ? 32 : 28;
  const end = at + sizeofcmds;
  if (end > bytes.length) throw new Error('Mach-O load commands lie past the end of the file');
  let minimumOs: MachOSlice['minimumOs'];
  let platform: number | undefined;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > end) throw new Error(`Mach-O load command ${i} lies past sizeofcmds`);
    const cmd = view.getUint32(at, le);
    const cmdsize = view.getUint32(at + 4, le);
    if (cmdsize < 8 || at + cmdsize > end) throw new Error(`Mach-O load command ${i} has size ${cmdsize}`);
    if (cmd === LC_BUILD_VERSION && cmdsize >= 24) {
      // build_version_command { cmd, cmdsize, platform, minos, sdk, ntools }; 1 = PLATFORM_MACOS.
      const p = view.getUint32(at + 8, le);
      if (p === 1 || minimumOs === undefined) {
        platform = p;
        minimumOs = decodeVersion(view.getUint32(at + 12, le));
      }
    } else if (cmd === LC_VERSION_MIN_MACOSX && cmdsize >= 16 && platform === undefined) {
      // version_min_command { cmd, cmdsize, version, sdk }.
      minimumOs = decodeVersion(view.getUint32(at + 8, le));
    }
    at += cmdsize;
  }
  return { cputype, bits: is64 ? 64 : 32, minimumOs, platform };
}

// X.Y.Z is encoded in nibbles xxxx.yy.zz.
function decodeVersion(value: number): [number, number, number] {
  return [value >>> 16, (value >>> 8) & 0xff, value & 0xff];
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
