import pep440 from '@renovatebot/pep440';
import {
  compareVersionStrings,
  explainDistributionFilename,
  parseCoreMetadata,
  parseDistributionFilename,
} from '@packyard/wheel-index';

describe('parseDistributionFilename', () => {
  it('takes a wheel name apart, expanding compressed tag sets (PEP 425)', () => {
    expect(
      parseDistributionFilename(
        'GT4Py_Dep-1.0.post2-7-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      ),
    ).toEqual({
      filename: 'GT4Py_Dep-1.0.post2-7-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      kind: 'wheel',
      name: 'GT4Py_Dep',
      normalizedName: 'gt4py-dep',
      version: '1.0.post2',
      normalizedVersion: '1.0.post2',
      extension: '.whl',
      build: '7',
      tags: ['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64'],
    });
    expect(parseDistributionFilename('six-1.17.0-py2.py3-none-any.whl')?.tags).toEqual([
      'py2-none-any',
      'py3-none-any',
    ]);
    expect(parseDistributionFilename('pkg-1.0+local.7-py3-none-any.whl')?.normalizedVersion).toBe(
      '1.0+local.7',
    );
    expect(parseDistributionFilename('pkg-1!2.0RC1-py3-none-any.whl')?.normalizedVersion).toBe('1!2.0rc1');
  });

  it('takes an sdist name apart at its last dash (PEP 625), legacy names and .zip included', () => {
    expect(parseDistributionFilename('zope.interface-5.4.0.tar.gz')).toEqual({
      filename: 'zope.interface-5.4.0.tar.gz',
      kind: 'sdist',
      name: 'zope.interface',
      normalizedName: 'zope-interface',
      version: '5.4.0',
      normalizedVersion: '5.4.0',
      extension: '.tar.gz',
    });
    expect(parseDistributionFilename('dumb-init-1.1.2.tar.gz')).toMatchObject({
      normalizedName: 'dumb-init',
      version: '1.1.2',
    });
    expect(parseDistributionFilename('legacy-2.0.zip')).toMatchObject({ kind: 'sdist', extension: '.zip' });
  });

  it.each([
    ['a<b-1.0.tar.gz', 'has characters'],
    ['a b-1.0.tar.gz', 'has characters'],
    ['../evil-1.0.tar.gz', 'has characters'],
    ['dir/evil-1.0.tar.gz', 'has characters'],
    ['.hidden-1.0.tar.gz', 'has characters'],
    ['evil"-1.0.tar.gz', 'has characters'],
    ['pkg-1.0.tar.bz2', 'neither a wheel'],
    ['pkg.tar.gz', 'has no "-<version>"'],
    ['pkg-1.0-py3-none.whl', 'has 4'],
    ['pkg-1.0-x1-py3-none-any.whl', 'build tag "x1"'],
    ['pkg-1.0-py3-none-any$.whl', 'has characters'],
    ['_pkg-1.0.tar.gz', 'has characters'],
    ['pkg_-1.0.tar.gz', 'is not a valid project name'],
    ['pkg-1.0..tar.gz', 'is not a PEP 440 version'],
  ])('refuses %s, saying why', (filename, why) => {
    expect(parseDistributionFilename(filename)).toBeUndefined();
    expect(explainDistributionFilename(filename)).toContain(why);
  });
});

describe('compareVersionStrings', () => {
  const versions = [
    '1.0.dev0',
    '1.0a1',
    '1.0a1.post1',
    '1.0a2.dev1',
    '1.0b1',
    '1.0rc1',
    '1.0c2',
    '1.0',
    '1.0.0',
    '1.0+local',
    '1.0+local.2',
    '1.0+local.10',
    '1.0+abc',
    '1.0+1',
    '1.0.post1',
    '1.0.post1.dev2',
    '1.0-3',
    '1.1',
    '1.10',
    '1.9.9',
    '2!0.1',
    '1!1.0',
    '0.9',
    '1.0.dev0+x',
    '1.0rc1+y',
    'v1.2',
    '1.2.0.0.0',
    '1.0a',
    '1.0.POST',
    '1.0.r5',
  ];

  it('orders exactly as PEP 440 says (checked against pep440.compare on every pair)', () => {
    for (const a of versions) {
      for (const b of versions)
        expect([a, b, Math.sign(compareVersionStrings(a, b))]).toEqual([
          a,
          b,
          Math.sign(pep440.compare(a, b)),
        ]);
    }
  });
});

describe('parseCoreMetadata', () => {
  it('reads the header fields, case-insensitively, up to the body', () => {
    const text =
      'Metadata-Version: 2.1\r\nname: Demo\r\nVersion: 1.0\r\nRequires-Python: >=3.8,\r\n  <4\r\nSummary: x\r\n\r\nName: not-this\r\n';
    expect(parseCoreMetadata(text)).toEqual({
      metadataVersion: '2.1',
      name: 'Demo',
      version: '1.0',
      requiresPython: '>=3.8, <4',
      summary: 'x',
    });
  });

  it('leaves out what is missing', () => {
    expect(parseCoreMetadata('Keywords: only\n')).toEqual({});
  });
});
