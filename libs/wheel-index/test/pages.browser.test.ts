// The pages for people in Debian's Chromium (tools/scripts/setup-chromium.sh, pinned), headless:
// one browser run per page and screen width takes a screenshot and dumps the DOM after scripts ran.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument } from 'htmlparser2';
import { runTool } from '@packyard/core';
import { addFilesToIndex, PAGE_SETTINGS } from '@packyard/wheel-index';
import { aWheel, realDistribution, removeDir, tempDir } from './support.js';

const SETUP_CHROMIUM = fileURLToPath(new URL('../../../tools/scripts/setup-chromium.sh', import.meta.url));
// Where the screenshots are kept for a person to look at (dist/ is not committed).
const SHOTS = fileURLToPath(new URL('../../../dist/screenshots/wheel-index/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const INDEX_URL = 'https://pkgs.example.org/simple/';

let work: string;
let index: string;
let chromium: string;

beforeAll(async () => {
  work = await tempDir('browser');
  index = join(work, 'index');
  await mkdir(index, { recursive: true });
  await writeFile(join(index, PAGE_SETTINGS), JSON.stringify({ indexUrl: INDEX_URL, alsoOnPypi: ['six'] }));
  await addFilesToIndex(index, [await realDistribution('six==1.16.0')], {
    uploadTime: new Date('2021-05-05T17:18:19Z'),
  });
  await addFilesToIndex(index, [
    await aWheel(join(work, 'src'), { name: 'simplejson-tools', version: '0.3' }),
    await aWheel(join(work, 'src'), { name: 'attrs-extra', version: '1.0' }),
  ]);
  const { stdout } = await runTool('bash', [SETUP_CHROMIUM]);
  chromium = stdout.trim().split('\n').at(-1) as string;
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await removeDir(work);
});

interface Rendered {
  png: Buffer;
  dom: ReturnType<typeof parseDocument>;
}

/** One headless Chromium run: a screenshot at `size` and the DOM after the page's scripts ran. */
async function render(
  page: string,
  size: { width: number; height: number },
  name: string,
): Promise<Rendered> {
  const shot = join(work, `${name}.png`);
  const { stdout } = await runTool(chromium, [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${join(work, `profile-${name}`)}`,
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${shot}`,
    '--dump-dom',
    `${pathToFileURL(join(index, page.split('?')[0] as string)).href}${page.includes('?') ? `?${page.split('?')[1]}` : ''}`,
  ]);
  await copyFile(shot, join(SHOTS, `${name}.png`));
  return { png: await readFile(shot), dom: parseDocument(stdout) };
}

type Node = ReturnType<typeof parseDocument>['children'][number];
interface Element {
  name: string;
  attribs: Record<string, string>;
  children: Node[];
}

function elements(node: { children?: Node[] }): Element[] {
  const out: Element[] = [];
  for (const child of node.children ?? []) {
    if ('attribs' in child) out.push(child as unknown as Element, ...elements(child as unknown as Element));
  }
  return out;
}

function text(node: { children?: Node[]; data?: string }): string {
  if (typeof node.data === 'string') return node.data;
  return (node.children ?? []).map((child) => text(child as { children?: Node[]; data?: string })).join('');
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
])('at %s width', (label, size) => {
  it('the root page lists every project and filters them by the ?q= its search box submits', async () => {
    const { png, dom } = await render('index.html?q=Attrs_', size, `root-${label}`);
    expect(pngSize(png)).toEqual(size);
    const all = elements(dom);
    const box = all.find((el) => el.attribs['id'] === 'filter');
    expect(box?.attribs).toMatchObject({ name: 'q', type: 'search', list: 'project-names' });
    expect(box?.attribs['value']).toBe(undefined);
    const rows = all.filter((el) => el.name === 'tr' && el.attribs['data-name'] !== undefined);
    // Hidden by the attribute and by an inline style, which beats the phone layout's display:block.
    expect(
      rows.map((row) => [
        row.attribs['data-name'],
        row.attribs['hidden'] !== undefined,
        /display:\s*none/.test(row.attribs['style'] ?? ''),
      ]),
    ).toEqual([
      ['attrs-extra', false, false],
      ['simplejson-tools', true, true],
      ['six', true, true],
    ]);
    // Without JavaScript nothing is hidden: the served file has no hidden row.
    expect(await readFile(join(index, 'index.html'), 'utf8')).not.toMatch(/<tr[^>]*hidden/);
    expect(text(dom)).toContain(`--index-url ${INDEX_URL}`);
  });

  it('a project page shows the install line naming the index, the warning, the summary and links', async () => {
    const { png, dom } = await render('project/six/index.html', size, `six-${label}`);
    expect(pngSize(png)).toEqual(size);
    const all = elements(dom);
    const install = all.find((el) => el.attribs['id'] === 'install');
    expect(install === undefined ? '' : text(install)).toBe(
      `pip install --index-url ${INDEX_URL} six==1.16.0`,
    );
    const warning = all.find((el) => el.attribs['class'] === 'warning');
    expect(warning === undefined ? '' : text(warning)).toContain('PyPI has another project named six.');
    const summary = all.find((el) => el.attribs['class'] === 'summary');
    expect(summary === undefined ? '' : text(summary)).toBe('Python 2 and 3 compatibility utilities');
    const license = all.find((el) => el.attribs['class'] === 'license');
    expect(license === undefined ? '' : text(license)).toBe('MIT');
    const links = all.filter((el) => el.name === 'a' && el.attribs['rel'] === 'nofollow noopener');
    expect(links.map((a) => a.attribs['href'])).toContain('https://github.com/benjaminp/six');
  });
});
