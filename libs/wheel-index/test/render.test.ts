import { fileURLToPath } from 'node:url';
import { Parser } from 'htmlparser2';
import { runTool } from '@packyard/core';
import { goldenFiles } from '@packyard/test-helpers';
import {
  formatSize,
  latestVersion,
  parseCoreMetadata,
  parsePageSettings,
  parseProjectJson,
  renderBrowseProjectHtml,
  renderBrowseRootHtml,
  summarizeProject,
  renderProjectHtml,
  renderProjectJson,
  renderRootHtml,
  renderRootJson,
  sortIndexEntries,
  type IndexEntry,
  type ProjectPage,
} from '@packyard/wheel-index';

// Rendered pages are compared with committed files, so a reviewer reads real output in the diff.
// UPDATE_GOLDEN=1 rewrites them.
const expectGolden = goldenFiles(fileURLToPath(new URL('./testdata/', import.meta.url)), {
  suffix: '.golden',
});

const hostile = '"><script>alert(1)</script>';
const files: IndexEntry[] = [
  {
    filename: 'demo-1.10.0.tar.gz',
    url: '../../files/demo/demo-1.10.0.tar.gz',
    version: '1.10.0',
    hashes: { sha256: 'c'.repeat(64) },
    requiresPython: '>=3.8,<4',
    size: 3000,
    uploadTime: '2024-01-03T00:00:00.000000Z',
  },
  {
    filename: 'demo-1.9.0-py3-none-any.whl',
    url: '../../files/demo/demo-1.9.0-py3-none-any.whl',
    version: '1.9.0',
    hashes: { sha256: 'a'.repeat(64) },
    requiresPython: `>=3.8 ${hostile}`,
    coreMetadata: { sha256: 'b'.repeat(64) },
    yanked: `broken ${hostile} & 'quoted'`,
    size: 1000,
    uploadTime: '2024-01-01T00:00:00.000000Z',
  },
  {
    filename: 'demo-1.10.0-py3-none-any.whl',
    url: '../../files/demo/demo-1.10.0-py3-none-any.whl',
    version: '1.10.0',
    hashes: { sha256: 'd'.repeat(64) },
    coreMetadata: true,
    yanked: true,
    size: 2000,
    uploadTime: '2024-01-02T00:00:00.000000Z',
  },
];
const page: ProjectPage = { name: 'demo', files: sortIndexEntries(files) };

it('renders a project page in PEP 440 order, wheels before the sdist', async () => {
  expect(page.files.map((f) => f.filename)).toEqual([
    'demo-1.9.0-py3-none-any.whl',
    'demo-1.10.0-py3-none-any.whl',
    'demo-1.10.0.tar.gz',
  ]);
  await expectGolden('project.html', renderProjectHtml(page));
  await expectGolden('project.json', renderProjectJson(page));
  await expectGolden('root.html', renderRootHtml(['demo', 'other-project']));
  await expectGolden('root.json', renderRootJson(['demo', 'other-project']));
});

it('escapes every attribute and text so hostile values stay data', () => {
  const html = renderProjectHtml(page);
  expect(html).not.toContain('<script>');
  const anchors: Record<string, string>[] = [];
  const scripts: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'a') anchors.push(attribs);
        if (name === 'script') scripts.push(name);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  expect(scripts).toEqual([]);
  expect(anchors).toHaveLength(3);
  // An HTML parser gives back exactly the values that went in.
  expect(anchors[0]).toEqual({
    href: `../../files/demo/demo-1.9.0-py3-none-any.whl#sha256=${'a'.repeat(64)}`,
    'data-requires-python': `>=3.8 ${hostile}`,
    'data-core-metadata': `sha256=${'b'.repeat(64)}`,
    'data-dist-info-metadata': `sha256=${'b'.repeat(64)}`,
    'data-yanked': `broken ${hostile} & 'quoted'`,
  });
  expect(anchors[1]).toEqual({
    href: `../../files/demo/demo-1.10.0-py3-none-any.whl#sha256=${'d'.repeat(64)}`,
    'data-core-metadata': 'true',
    'data-dist-info-metadata': 'true',
    'data-yanked': '',
  });
  expect(anchors[2]).toEqual({
    href: `../../files/demo/demo-1.10.0.tar.gz#sha256=${'c'.repeat(64)}`,
    'data-requires-python': '>=3.8,<4',
  });
});

it('reads its own JSON page back into the same entries', () => {
  expect(parseProjectJson(renderProjectJson(page), 'demo/index.json')).toEqual(page);
});

it('says API 1.0 when a file has no size, since PEP 700 makes size mandatory in 1.1', () => {
  const withoutSize = { name: 'demo', files: page.files.map(({ size: _size, ...rest }) => rest) };
  expect(JSON.parse(renderProjectJson(withoutSize)).meta).toEqual({ 'api-version': '1.0' });
  expect(renderProjectHtml(withoutSize)).toContain(`<meta name='pypi:repository-version' content='1.0' />`);
  expect(JSON.parse(renderProjectJson(page)).meta).toEqual({ 'api-version': '1.1' });
});

it('marks an archived or deprecated project (PEP 792) in both forms, at API 1.4', () => {
  const archived: ProjectPage = { ...page, status: { status: 'archived', reason: 'moved to demo2' } };
  const json = JSON.parse(renderProjectJson(archived)) as Record<string, unknown>;
  expect(json['meta']).toEqual({ 'api-version': '1.4' });
  expect(json['project-status']).toEqual({ status: 'archived', reason: 'moved to demo2' });
  const html = renderProjectHtml(archived);
  expect(html).toContain(`<meta name='pypi:project-status' content='archived' />`);
  expect(html).toContain(`<meta name='pypi:project-status-reason' content='moved to demo2' />`);
  expect(parseProjectJson(renderProjectJson(archived), 'demo/index.json')).toEqual(archived);
  expect(renderBrowseProjectHtml(archived)).toContain('This project is archived.');
  // Active is the default: it says nothing, and the page stays at 1.1.
  const active: ProjectPage = { ...page, status: { status: 'active' } };
  expect(renderProjectJson(active)).toBe(renderProjectJson(page));
  expect(renderProjectHtml(active)).toBe(renderProjectHtml(page));
});

describe('pages for people', () => {
  it('render a project page and a root page (golden), hostile values as text', async () => {
    const html = renderBrowseProjectHtml(page);
    await expectGolden('browse-project.html', html);
    await expectGolden(
      'browse-root.html',
      renderBrowseRootHtml([summarizeProject(page), { name: 'other-project', versions: 1, files: 1 }]),
    );
    const texts: string[] = [];
    const tags = new Set<string>();
    const parser = new Parser(
      {
        onopentag: (name) => tags.add(name),
        ontext: (text) => texts.push(text),
      },
      { decodeEntities: true },
    );
    parser.write(html);
    parser.end();
    expect(tags.has('script')).toBe(false);
    expect(texts.join('')).toContain(`broken ${hostile} & 'quoted'`);
    expect(texts.join('')).toContain(`>=3.8 ${hostile}`);
  });

  it('name the index in the install line, warn for names PyPI also has, show summary, licence and links (golden)', async () => {
    const details = parseCoreMetadata(
      [
        'Metadata-Version: 2.4',
        'Name: demo',
        'Version: 1.10.0',
        'Summary: A demo project',
        '  on two lines',
        'License-Expression: MIT OR Apache-2.0',
        'Home-page: https://demo.example/',
        'Project-URL: Source, https://git.example/demo',
        'Project-URL: Bad, javascript:alert(1)',
        '',
        'Long description.',
      ].join('\n'),
    );
    expect(details.links).toEqual([
      { label: 'Homepage', url: 'https://demo.example/' },
      { label: 'Source', url: 'https://git.example/demo' },
    ]);
    const settings = parsePageSettings(
      JSON.stringify({ indexUrl: 'https://index.example/simple/', alsoOnPypi: ['Demo'] }),
      'pages.json',
    );
    const html = renderBrowseProjectHtml(page, { settings, details });
    await expectGolden('browse-project-details.html', html);
    expect(html).toContain('pip install --index-url https://index.example/simple/ demo==1.10.0');
    expect(html).toContain('PyPI has another project named demo.');
    expect(
      renderBrowseProjectHtml(page, { settings: { indexUrl: 'https://index.example/simple/' } }),
    ).not.toContain('PyPI has another project');
  });

  it('refuse page settings they cannot use, naming the file, the key and the value', () => {
    const refused = (text: string): unknown => {
      try {
        parsePageSettings(text, 'pages.json');
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(refused('{"indexUrl": "ftp://x/"}')).toMatchObject({
      code: 'CONFIG_INVALID',
      file: 'pages.json',
      field: 'indexUrl',
      value: 'ftp://x/',
    });
    expect(refused('{"alsoOnPypi": "six"}')).toMatchObject({ field: 'alsoOnPypi', value: 'six' });
    expect(refused('{"indexURL": "https://x/"}')).toMatchObject({ field: 'indexURL' });
    expect(refused('[')).toMatchObject({ code: 'CONFIG_INVALID', file: 'pages.json' });
  });

  it('call the highest final release with an unyanked file the latest, then a pre-release', () => {
    const entry = (version: string, yanked?: true): IndexEntry => ({
      filename: `demo-${version}.tar.gz`,
      url: `demo-${version}.tar.gz`,
      version,
      hashes: {},
      ...(yanked ? { yanked } : {}),
    });
    const sorted = (...entries: IndexEntry[]) => sortIndexEntries(entries);
    expect(latestVersion(sorted(entry('1.0'), entry('2.0rc1'), entry('1.10')))).toBe('1.10');
    expect(latestVersion(sorted(entry('1.0'), entry('1.1', true)))).toBe('1.0');
    expect(latestVersion(sorted(entry('1.0rc1'), entry('1.0.dev2')))).toBe('1.0rc1');
    expect(latestVersion(sorted(entry('1.0', true)))).toBeUndefined();
    expect(summarizeProject(page)).toEqual({
      name: 'demo',
      latest: '1.10.0',
      released: '2024-01-03T00:00:00.000000Z',
      versions: 2,
      files: 3,
    });
  });

  it('format sizes in binary units', () => {
    expect([0, 1023, 1024, 11053, 5 * 1024 * 1024, 300 * 1024 * 1024].map(formatSize)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '10.8 KiB',
      '5.0 MiB',
      '300 MiB',
    ]);
  });
});

it('ships templates precompiled from the current templates/*.hbs', async () => {
  const script = fileURLToPath(new URL('../scripts/precompile-templates.mjs', import.meta.url));
  await expect(runTool(process.execPath, [script, '--check'])).resolves.toBeDefined();
});
