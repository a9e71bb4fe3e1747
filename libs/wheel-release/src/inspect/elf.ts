// A reader of the few ELF fields wheel verification needs, from the System V ABI (gABI) and the LSB's
// symbol versioning chapter (https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/symversion.html).

/** What verification reads from an ELF file: class, machine, interpreter and required symbol versions. */
export interface ElfInfo {
  /** 32 or 64 (EI_CLASS). */
  bits: 32 | 64;
  /** e_machine: 62 is x86-64, 183 is AArch64. */
  machine: number;
  /** The PT_INTERP path (e.g. `/lib64/ld-linux-x86-64.so.2`), undefined for a static binary. */
  interpreter: string | undefined;
  /** Every version the file requires (`.gnu.version_r`), as `library` → names (`libc.so.6` → `GLIBC_2.17`). */
  versionNeeds: { library: string; versions: string[] }[];
}

/** The e_machine values packyard's wheel platforms use. */
export const ELF_MACHINE: Readonly<Record<number, string>> = Object.freeze({
  3: 'x86 (i386)',
  40: 'ARM (32-bit)',
  62: 'x86-64',
  183: 'AArch64',
});

const PT_INTERP = 3;
const SHT_GNU_VERNEED = 0x6ffffffe;

/** Whether `bytes` starts with the ELF magic. Pure. */
export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
  );
}

/** Reads an ELF file's header, program headers and version-needs section; throws Error on a malformed file. Pure. */
export function readElf(bytes: Uint8Array): ElfInfo {
  if (!isElf(bytes)) throw new Error('not an ELF file (no \\x7fELF magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 1 && cls !== 2) throw new Error(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new Error(`unknown ELF data encoding ${data}`);
  const le = data === 1;
  const is64 = cls === 2;
  const need = (offset: number, size: number): void => {
    if (offset < 0 || offset + size > bytes.length)
      throw new Error(`truncated ELF file (needs bytes ${offset}..${offset + size})`);
  };
  const u16 = (o: number): number => (need(o, 2), view.getUint16(o, le));
  const u32 = (o: number): number => (need(o, 4), view.getUint32(o, le));
  const word = (o: number): number => {
    if (!is64) return u32(o);
    need(o, 8);
    const value = view.getBigUint64(o, le);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('ELF offset out of range');
    return Number(value);
  };
  need(0, is64 ? 64 : 52);
  const machine = u16(18);
  const phoff = word(is64 ? 32 : 28);
  const shoff = word(is64 ? 40 : 32);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const shentsize = u16(is64 ? 58 : 46);
  const shnum = u16(is64 ? 60 : 48);

  let interpreter: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(ph) !== PT_INTERP) continue;
    const offset = word(is64 ? ph + 8 : ph + 4);
    const size = word(is64 ? ph + 32 : ph + 16);
    need(offset, size);
    interpreter = cString(bytes, offset, offset + size);
  }

  const sections: { type: number; offset: number; size: number; link: number; info: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    sections.push({
      type: u32(sh + 4),
      offset: word(is64 ? sh + 24 : sh + 16),
      size: word(is64 ? sh + 32 : sh + 20),
      link: u32(is64 ? sh + 40 : sh + 24),
      info: u32(is64 ? sh + 44 : sh + 28),
    });
  }
  const versionNeeds: ElfInfo['versionNeeds'] = [];
  for (const section of sections) {
    if (section.type !== SHT_GNU_VERNEED) continue;
    const strtab = sections[section.link];
    if (strtab === undefined) throw new Error('.gnu.version_r links to a missing string table');
    need(strtab.offset, strtab.size);
    const name = (offset: number): string => {
      if (offset >= strtab.size) throw new Error('.gnu.version_r names a string outside its table');
      return cString(bytes, strtab.offset + offset, strtab.offset + strtab.size);
    };
    // Elfxx_Verneed { vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 } and
    // Elfxx_Vernaux { vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 }: the
    // same layout in both classes. sh_info counts the Verneed entries.
    let entry = section.offset;
    for (let n = 0; n < section.info; n++) {
      const count = u16(entry + 2);
      const library = name(u32(entry + 4));
      const versions: string[] = [];
      let aux = entry + u32(entry + 8);
      for (let k = 0; k < count; k++) {
        versions.push(name(u32(aux + 8)));
        const next = u32(aux + 12);
        if (next === 0) break;
        aux += next;
      }
      versionNeeds.push({ library, versions });
      const next = u32(entry + 12);
      if (next === 0) break;
      entry += next;
    }
  }
  return { bits: is64 ? 64 : 32, machine, interpreter, versionNeeds };
}

/**
 * The highest `GLIBC_x.y[.z]` version an ELF file requires from any library, as auditwheel reads it
 * (the symbol versions in `.gnu.version_r`; `GLIBC_PRIVATE` is not a version). Undefined when none. Pure.
 */
export function maxGlibcVersion(info: ElfInfo): number[] | undefined {
  let best: number[] | undefined;
  for (const { versions } of info.versionNeeds) {
    for (const version of versions) {
      const match = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(version);
      if (match === null) continue;
      const parts = match[1]!.split('.').map(Number);
      if (best === undefined || compareVersionParts(parts, best) > 0) best = parts;
    }
  }
  return best;
}

/** Compares dotted version numbers part by part, missing parts as 0. Pure. */
export function compareVersionParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether a PT_INTERP path is musl's dynamic loader (`/lib/ld-musl-<arch>.so.1`). Pure. */
export function isMuslInterpreter(interpreter: string): boolean {
  return /(^|\/)ld-musl-[^/]+\.so\.1$/.test(interpreter);
}

function cString(bytes: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, stop - start).toString('latin1');
}
