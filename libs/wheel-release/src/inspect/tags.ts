// What a wheel's platform tag claims, per the platform compatibility tag specs:
// https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/

/** One platform tag taken apart: the packyard platform(s) it stands for and the level it promises. */
export interface PlatformClaim {
  tag: string;
  /** The WHEEL_TARGETS keys this tag installs on (two for macOS universal2). */
  platforms: string[];
  family: 'manylinux' | 'musllinux' | 'linux' | 'macosx' | 'other';
  /** manylinux: the glibc, musllinux: the musl, macosx: the macOS version, as [major, minor]. */
  level?: [number, number];
}

// PEP 600 keeps the legacy aliases: manylinux1 = 2_5, manylinux2010 = 2_12, manylinux2014 = 2_17.
const LEGACY_MANYLINUX: Readonly<Record<string, [number, number]>> = {
  manylinux1: [2, 5],
  manylinux2010: [2, 12],
  manylinux2014: [2, 17],
};
const LINUX_ARCH: Readonly<Record<string, string>> = { x86_64: 'linux-amd64', aarch64: 'linux-arm64' };
const MAC_ARCH: Readonly<Record<string, string[]>> = {
  x86_64: ['darwin-amd64'],
  arm64: ['darwin-arm64'],
  universal2: ['darwin-amd64', 'darwin-arm64'],
};

/** Parses a platform tag (`manylinux_2_17_x86_64`, `macosx_11_0_arm64`, …) into what it claims. Pure. */
export function parsePlatformTag(tag: string): PlatformClaim {
  let m = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(tag);
  if (m) return linux(tag, 'manylinux', m[3]!, [Number(m[1]), Number(m[2])]);
  m = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(tag);
  if (m) return linux(tag, 'manylinux', m[2]!, LEGACY_MANYLINUX[m[1]!]!);
  m = /^musllinux_(\d+)_(\d+)_(.+)$/.exec(tag);
  if (m) return linux(tag, 'musllinux', m[3]!, [Number(m[1]), Number(m[2])]);
  m = /^linux_(.+)$/.exec(tag);
  if (m) return linux(tag, 'linux', m[1]!, undefined);
  m = /^macosx_(\d+)_(\d+)_(.+)$/.exec(tag);
  if (m) {
    return { tag, platforms: MAC_ARCH[m[3]!] ?? [], family: 'macosx', level: [Number(m[1]), Number(m[2])] };
  }
  return { tag, platforms: [], family: 'other' };
}

function linux(
  tag: string,
  family: PlatformClaim['family'],
  arch: string,
  level: [number, number] | undefined,
): PlatformClaim {
  const platform = LINUX_ARCH[arch];
  return { tag, platforms: platform === undefined ? [] : [platform], family, ...(level ? { level } : {}) };
}

/** The ELF e_machine (and class) each Linux platform's binary must have. */
export const LINUX_MACHINE: Readonly<Record<string, { machine: number; bits: 64 }>> = {
  'linux-amd64': { machine: 62, bits: 64 },
  'linux-arm64': { machine: 183, bits: 64 },
};

/** The Mach-O cputype each macOS platform's binary must hold. */
export const DARWIN_CPU: Readonly<Record<string, number>> = {
  'darwin-amd64': 0x01000007,
  'darwin-arm64': 0x0100000c,
};
