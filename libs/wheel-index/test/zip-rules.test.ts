import { crc32 } from 'node:zlib';
import { checkZipRules } from '../src/index.js';

// A hand-laid stored (uncompressed) zip, record by record as APPNOTE.TXT describes them, so each test
// can break exactly one field. `descriptor` sets general purpose bit 3 and writes a data descriptor.
interface Member {
  name: string;
  data: string;
  descriptor?: boolean;
  comment?: string;
  localName?: string;
  localSize?: number;
}

function zip(members: Member[], { cdNames = new Map<string, string>() } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const data = Buffer.from(m.data);
    const crc = crc32(data);
    const flags = m.descriptor ? 0x08 : 0;
    const localName = Buffer.from(m.localName ?? m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt32LE(m.descriptor ? 0 : crc, 14);
    local.writeUInt32LE(m.descriptor ? 0 : (m.localSize ?? data.length), 18);
    local.writeUInt32LE(m.descriptor ? 0 : (m.localSize ?? data.length), 22);
    local.writeUInt16LE(localName.length, 26);
    const record = [local, localName, data];
    if (m.descriptor) {
      const d = Buffer.alloc(16);
      d.writeUInt32LE(0x08074b50, 0);
      d.writeUInt32LE(crc, 4);
      d.writeUInt32LE(data.length, 8);
      d.writeUInt32LE(data.length, 12);
      record.push(d);
    }
    const name = Buffer.from(cdNames.get(m.name) ?? m.name);
    const comment = Buffer.from(m.comment ?? '');
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x031e, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(comment.length, 32);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name, comment);
    for (const p of record) offset += p.length;
    parts.push(...record);
  }
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, eocd]);
}

const A = { name: 'pkg/__init__.py', data: 'x = 1\n' };
const B = { name: 'pkg-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: pkg\n' };
const rules = (bytes: Buffer) => checkZipRules(bytes).map((v) => [v.rule, v.member]);

describe('checkZipRules (PyPI archive rules)', () => {
  it('passes a sound archive, and an empty one', () => {
    expect(checkZipRules(zip([A, B]))).toEqual([]);
    expect(checkZipRules(zip([]))).toEqual([]);
  });

  it('refuses a data descriptor', () => {
    expect(rules(zip([A, { ...B, descriptor: true }]))).toEqual([['zip-data-descriptor', B.name]]);
  });

  it('refuses a name stored twice, in the local headers and the central directory', () => {
    expect(rules(zip([A, B, A]))).toEqual([
      ['zip-duplicate-name', A.name],
      ['zip-duplicate-name', A.name],
      ['zip-directory-mismatch', A.name],
    ]);
  });

  it('refuses bytes after the end record and before the first local header', () => {
    expect(rules(Buffer.concat([zip([A]), Buffer.from('junk')]))).toEqual([['zip-trailing-data', undefined]]);
    expect(checkZipRules(Buffer.concat([Buffer.from('#!/bin/sh\n'), zip([A])]))).toEqual([
      {
        rule: 'zip-unknown-record',
        message: '10 bytes before the first record belong to no record (a prepended stub)',
      },
    ]);
  });

  it('accepts a #! line in front only when asked (a PEX or zipapp), with offsets from either start', () => {
    const shebang = Buffer.from('#!/usr/bin/env python3\n');
    const relative = Buffer.concat([shebang, zip([A, B])]);
    expect(checkZipRules(relative, { allowShebang: true })).toEqual([]);
    expect(rules(relative)).toEqual([['zip-unknown-record', undefined]]);
    // Offsets counted from the start of the file, as zipfile writes after the #! line.
    const inner = zip([A]);
    const absolute = Buffer.concat([shebang, inner]);
    const cd = absolute.length - 22;
    absolute.writeUInt32LE(inner.readUInt32LE(inner.length - 6) + shebang.length, cd + 16);
    const entry = shebang.length + inner.readUInt32LE(inner.length - 6);
    absolute.writeUInt32LE(shebang.length, entry + 42);
    expect(checkZipRules(absolute, { allowShebang: true })).toEqual([]);
    expect(rules(absolute)).toEqual([
      ['zip-unknown-record', undefined],
      ['zip-directory-mismatch', A.name],
    ]);
  });

  it('refuses a central directory that disagrees with the local headers', () => {
    expect(rules(zip([A, { ...B, localSize: 3 }])).map((r) => r[0])).toContain('zip-directory-mismatch');
    const renamed = checkZipRules(
      zip([A, B], { cdNames: new Map([[B.name, 'pkg-1.0.dist-info/METADATX']]) }),
    );
    expect(renamed.map((v) => v.message)).toEqual([
      `the local header at offset 51 names ${B.name}, which the central directory does not list`,
      'the central directory lists pkg-1.0.dist-info/METADATX, which has no local header',
    ]);
  });

  it('refuses an entry comment and a control character in a name', () => {
    expect(rules(zip([{ ...A, comment: 'hi' }]))).toEqual([['zip-entry-comment', A.name]]);
    const bad = 'pkg/\u0001.py';
    expect(rules(zip([{ ...A, name: bad }]))).toEqual([
      ['zip-name-unprintable', bad],
      ['zip-name-unprintable', bad],
    ]);
  });

  it('says what is wrong with something that is not a zip', () => {
    expect(rules(Buffer.from('not a zip at all, just text'))).toEqual([['zip-malformed', undefined]]);
    expect(rules(zip([A, B]).subarray(0, 60))).toEqual([['zip-malformed', undefined]]);
  });
});
