import { describe, expect, it } from '@jest/globals';
import { isPackyardError } from '@packyard/core';
import { parseSimpleHtml, parseSimpleJson } from '@packyard/pypi-client';

const SHA = '0123456789abcdef'.repeat(4);

describe('parseSimpleHtml (PEP 503)', () => {
  const page = `<!DOCTYPE html><html><body>
    <a href="../../packages/demo-1.0.tar.gz#sha256=${SHA.toUpperCase()}" data-requires-python="&gt;=3.8,&lt;4">demo-1.0.tar.gz</a>
    <a href="https://files.example.org/demo-1.1.tar.gz" data-yanked="">demo-1.1.tar.gz</a>
    <a href="/abs/demo-1.2.tar.gz" data-yanked="bad &amp; broken">demo-1.2.tar.gz</a>
    <a href="demo-1.2-py3-none-any.whl">demo-1.2-py3-none-any.whl</a>
    <A HREF="demo-2.0b1.tar.gz">demo-2.0b1.tar.gz</A>
    <a href="demo-garbage.tar.gz">demo-garbage.tar.gz</a>
    <a name="not-a-link">anchor</a>
  </body></html>`;
  const pageUrl = 'https://idx.example.org/simple/demo/';

  it('reads hrefs, HTML-unescaped attributes and the sha256 fragment', () => {
    const result = parseSimpleHtml(page, 'Demo', pageUrl);
    expect(result.normalizedName).toBe('demo');
    expect(result.indexUrl).toBe('https://idx.example.org/simple');
    expect(result.files.find((f) => f.version === '1.0')).toEqual({
      filename: 'demo-1.0.tar.gz',
      url: 'https://idx.example.org/packages/demo-1.0.tar.gz',
      version: '1.0',
      yanked: false,
      requiresPython: '>=3.8,<4',
      sha256: SHA,
    });
    // An empty data-yanked still yanks; its value, when present, is the reason.
    expect(result.files.find((f) => f.version === '1.1')?.yanked).toBe(true);
    expect(result.files.find((f) => f.filename === 'demo-1.2.tar.gz')).toMatchObject({
      url: 'https://idx.example.org/abs/demo-1.2.tar.gz',
      yanked: 'bad & broken',
    });
    expect(result.files.find((f) => f.filename === 'demo-1.2-py3-none-any.whl')?.url).toBe(
      'https://idx.example.org/simple/demo/demo-1.2-py3-none-any.whl',
    );
  });

  it('lists versions with yanked and pre-releases set apart', () => {
    expect(parseSimpleHtml(page, 'demo', pageUrl)).toMatchObject({
      versions: ['1.0', '1.2'],
      yanked: ['1.1'],
    });
    expect(parseSimpleHtml(page, 'demo', pageUrl, { includePrereleases: true }).versions).toEqual([
      '1.0',
      '1.2',
      '2.0b1',
    ]);
  });

  it('honours <base href> and gives an empty result for a page without links', () => {
    const based = parseSimpleHtml(
      '<base href="https://cdn.example.org/x/"><a href="demo-1.0.zip">demo-1.0.zip</a>',
      'demo',
      pageUrl,
    );
    expect(based.files[0]?.url).toBe('https://cdn.example.org/x/demo-1.0.zip');
    expect(parseSimpleHtml('<html><body></body></html>', 'demo', pageUrl)).toMatchObject({
      versions: [],
      yanked: [],
      files: [],
    });
  });
});

describe('parseSimpleJson (PEP 691 + PEP 700)', () => {
  const body = {
    meta: { 'api-version': '1.1' },
    name: 'demo',
    versions: ['0.9', '1.0', '1.0.0.post1', '1.1', '2.0rc1', '3.0'],
    files: [
      {
        filename: 'demo-1.0.tar.gz',
        url: 'https://files.example.org/demo-1.0.tar.gz',
        hashes: { sha256: SHA },
        'requires-python': '>=3.9',
        yanked: false,
      },
      {
        filename: 'demo-1.0.0.post1-py3-none-any.whl',
        url: '../../f/demo-1.0.0.post1-py3-none-any.whl',
        hashes: {},
        yanked: false,
      },
      { filename: 'demo-1.1.tar.gz', url: '/f/demo-1.1.tar.gz', hashes: {}, yanked: 'security hole' },
      { filename: 'demo-2.0rc1.tar.gz', url: '/f/demo-2.0rc1.tar.gz', hashes: {}, yanked: false },
      { filename: 'demo-7.0.tar.gz', url: '/f/demo-7.0.tar.gz', hashes: {} },
      { filename: 'demo-3.0.0-py3-none-any.whl', url: '/f/demo-3.0.0-py3-none-any.whl', hashes: {} },
      { filename: 'demo_legacy-name-3.0.tar.gz', url: '/f/demo_legacy-name-3.0.tar.gz', hashes: {} },
    ],
  };

  it('counts a version only when a non-yanked file has it, spelled as PEP 700 lists it', () => {
    const result = parseSimpleJson(body, 'demo', 'https://idx.example.org/simple/');
    // 0.9 has no file, so it is dropped; 3.0.0 is release 3.0; 7.0 is only in a filename.
    expect(result.versions).toEqual(['1.0', '1.0.0.post1', '3.0', '7.0']);
    // A sdist named after another spelling of the project is placed by the listed versions.
    expect(result.files.find((f) => f.filename === 'demo_legacy-name-3.0.tar.gz')?.version).toBe('3.0');
    expect(result.files.find((f) => f.filename === 'demo-3.0.0-py3-none-any.whl')?.version).toBe('3.0');
    expect(result.yanked).toEqual(['1.1']);
    expect(result.indexUrl).toBe('https://idx.example.org/simple');
    expect(result.files.find((f) => f.version === '1.1')?.yanked).toBe('security hole');
    expect(result.files.find((f) => f.version === '1.0.0.post1')?.url).toBe(
      'https://idx.example.org/f/demo-1.0.0.post1-py3-none-any.whl',
    );
    expect(result.files.find((f) => f.version === '1.0')).toMatchObject({
      requiresPython: '>=3.9',
      sha256: SHA,
    });
  });

  it('works without PEP 700 versions, and merges PEP 440-equal spellings', () => {
    const { versions: _dropped, ...v10 } = body;
    const files = [
      ...v10.files.slice(0, 5),
      { filename: 'demo-1.0.0-py3-none-any.whl', url: '/f/w.whl', hashes: {}, yanked: true },
    ];
    const result = parseSimpleJson({ ...v10, files }, 'demo', 'https://idx.example.org/simple');
    expect(result.versions).toEqual(['1.0', '1.0.0.post1', '7.0']);
    expect(
      parseSimpleJson({ ...v10, files }, 'demo', 'https://idx.example.org/simple', { minVersion: '1.0.1' })
        .versions,
    ).toEqual(['7.0']);
  });

  it('rejects bodies that are not PEP 691, and a minVersion that is not PEP 440', () => {
    for (const bad of [
      null,
      [],
      'files',
      { files: 'x' },
      { files: [{ filename: 'a' }] },
      { meta: { 'api-version': '2.0' }, files: [] },
    ]) {
      expect(() => parseSimpleJson(bad, 'demo', 'https://idx.example.org/simple')).toThrow(/cannot be read/);
    }
    let thrown: unknown;
    try {
      parseSimpleJson(body, 'demo', 'https://idx.example.org/simple', { minVersion: 'soon' });
    } catch (error) {
      thrown = error;
    }
    expect(isPackyardError(thrown, 'CONFIG_INVALID')).toBe(true);
  });
});
