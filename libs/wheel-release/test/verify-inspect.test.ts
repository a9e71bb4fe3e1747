import { readFile } from 'node:fs/promises';
import { parsePlatformTag, readElf, readMachO } from '../src/index.js';

describe('parsePlatformTag', () => {
  it.each([
    ['manylinux1_x86_64', ['linux-amd64'], 'manylinux', [2, 5]],
    ['manylinux2010_x86_64', ['linux-amd64'], 'manylinux', [2, 12]],
    ['manylinux2014_aarch64', ['linux-arm64'], 'manylinux', [2, 17]],
    ['manylinux_2_28_x86_64', ['linux-amd64'], 'manylinux', [2, 28]],
    ['musllinux_1_2_aarch64', ['linux-arm64'], 'musllinux', [1, 2]],
    ['linux_x86_64', ['linux-amd64'], 'linux', undefined],
    ['macosx_10_12_x86_64', ['darwin-amd64'], 'macosx', [10, 12]],
    ['macosx_11_0_universal2', ['darwin-amd64', 'darwin-arm64'], 'macosx', [11, 0]],
    ['manylinux_2_17_ppc64le', [], 'manylinux', [2, 17]],
    ['win_amd64', [], 'other', undefined],
  ])('%s', (tag, platforms, family, level) => {
    const claim = parsePlatformTag(tag);
    expect(claim.platforms).toEqual(platforms);
    expect(claim.family).toBe(family);
    expect(claim.level).toEqual(level);
  });
});

describe('the ELF and Mach-O readers refuse malformed files with a reason, not a crash', () => {
  it('an ELF header cut short', async () => {
    const node = await readFile(process.execPath);
    expect(() => readElf(node.subarray(0, 40))).toThrow(/^truncated ELF file/);
    // The whole file reads: node itself is an ELF64 on the Linux machines the suite runs on.
    expect(readElf(node)).toMatchObject({ bits: 64, machine: process.arch === 'arm64' ? 183 : 62 });
  });

  it('a fat header claiming more architectures than any universal binary holds', () => {
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(1000, 4);
    expect(() => readMachO(fat)).toThrow('fat header claims 1000 architectures');
  });

  it('a thin Mach-O whose load commands run past the file', () => {
    const thin = Buffer.alloc(32);
    thin.writeUInt32LE(0xfeedfacf, 0);
    thin.writeUInt32LE(0x0100000c, 4);
    thin.writeUInt32LE(1, 16);
    thin.writeUInt32LE(4096, 20);
    expect(() => readMachO(thin)).toThrow('Mach-O load commands lie past the end of the file');
  });
});
