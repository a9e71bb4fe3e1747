// The pages for people in a real browser: Debian's Chromium (pinned by tools/scripts/setup-chromium.sh,
// through scripts/ensure-chromium.sh), driven by playwright-core, reading an index that
// `pkg-index serve` serves. One browser for the file.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from '@packyard/core';
import { addFilesToIndex, yankFile } from '@packyard/wheel-index';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startIndexServer, type RunningIndexServer } from '../src/serve.js';
import { aTempDir, aWheel, realDistribution } from './helpers.js';

const ENSURE_CHROMIUM = fileURLToPath(new URL('../scripts/ensure-chromium.sh', import.meta.url));
const HOSTILE = `<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>`;

let base: string;
let server: RunningIndexServer;
let browser: Browser;

beforeAll(async () => {
  base = await aTempDir('pkg-index-browse-');
  const indexDir = join(base, 'index');
  const six = await realDistribution('six==1.16.0');
  const src = join(base, 'src');
  await addFilesToIndex(indexDir, [six], { uploadTime: new Date('2021-05-05T17:18:19Z') });
  await addFilesToIndex(
    indexDir,
    [
      await aWheel(join(src, 'a'), { name: 'demo-pkg', version: '1.0' }),
      await aWheel(join(src, 'b'), { name: 'demo-pkg', version: '1.1' }),
      await aWheel(join(src, 'c'), { name: 'demo-pkg', version: '2.0rc1' }),
    ],
    { uploadTime: new Date('2024-02-03T04:05:06Z') },
  );
  await yankFile(indexDir, 'demo_pkg-1.1-py3-none-any.whl', { reason: HOSTILE });
  server = await startIndexServer({ indexDir, addFilesToIndex });
  const { stdout } = await runTool('bash', [ENSURE_CHROMIUM]);
  browser = await chromium.launch({
    executablePath: stdout.trim().split('\n').at(-1)!,
    // The suite runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

/** Every link on the page, resolved, with the status the server answers for it. */
async function linkStatuses(page: Page): Promise<Record<string, number>> {
  const hrefs = await page.$$eval('a[href]', (anchors) =>
    anchors.map((a) => (a as unknown as { href: string }).href),
  );
  const out: Record<string, number> = {};
  for (const href of hrefs) out[new URL(href).pathname] = (await fetch(href)).status;
  return out;
}

test('the root page renders, lists each project with its latest version, and every link resolves', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${server.url}/`);
  expect(response?.status()).toBe(200);
  expect(await page.title()).toBe('Package index');
  const rows = await page.$$eval('tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent?.trim())),
  );
  expect(rows).toEqual([
    ['demo-pkg', '1.0', '2024-02-03 04:05 UTC', '3', '3'],
    ['six', '1.16.0', '2021-05-05 17:18 UTC', '1', '1'],
  ]);
  const screenshot = await page.screenshot({ fullPage: true });
  expect(screenshot.subarray(1, 4).toString()).toBe('PNG');
  // A blank page compresses to a few hundred bytes; text and a table do not.
  expect(screenshot.length).toBeGreaterThan(5_000);
  await mkdir(join(base, 'shots'), { recursive: true });
  await writeFile(join(base, 'shots', 'root.png'), screenshot);
  expect(await linkStatuses(page)).toEqual({
    '/simple/index.html': 200,
    '/project/demo-pkg/index.html': 200,
    '/project/six/index.html': 200,
  });
  await page.click('text=six');
  expect(new URL(page.url()).pathname).toBe('/project/six/index.html');
  expect(await page.textContent('h1')).toBe('six');
  await page.close();
});

test('a project page shows versions newest first, files, sizes, dates, and yanked marks; its links resolve', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/project/demo-pkg/`);
  expect(await page.textContent('header p')).toBe('Latest version: 1.0');
  expect(await page.$$eval('section h2', (hs) => hs.map((h) => h.textContent?.trim()))).toEqual([
    '2.0rc1',
    '1.1 yanked',
    '1.0',
  ]);
  const yanked = await page.$$eval('tr.yanked th', (ths) =>
    ths.map((th) => th.textContent?.replace(/\s+/g, ' ').trim()),
  );
  expect(yanked).toEqual([`demo_pkg-1.1-py3-none-any.whl yanked: ${HOSTILE}`]);
  const links = await linkStatuses(page);
  expect(Object.keys(links).sort()).toEqual([
    '/files/demo-pkg/demo_pkg-1.0-py3-none-any.whl',
    '/files/demo-pkg/demo_pkg-1.1-py3-none-any.whl',
    '/files/demo-pkg/demo_pkg-2.0rc1-py3-none-any.whl',
    '/index.html',
    '/simple/demo-pkg/index.html',
  ]);
  expect(Object.values(links)).toEqual([200, 200, 200, 200, 200]);
  const screenshot = await page.screenshot({ fullPage: true });
  expect(screenshot.length).toBeGreaterThan(5_000);
  await page.close();
});

test('hostile text stays text: no element is made of it and no script of it runs', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/project/demo-pkg/index.html`);
  expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.$$('img')).toHaveLength(0);
  expect(await page.$$('script')).toHaveLength(0);
  expect(await page.textContent('span.reason')).toBe(HOSTILE);
  await page.close();
});

test('the pages read the same without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/project/six/index.html`);
  const cells = await page.$$eval('tbody tr td', (tds) => tds.map((td) => td.textContent?.trim()));
  expect(cells).toEqual([
    '10.8 KiB',
    '2021-05-05 17:18 UTC',
    '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*',
    expect.stringMatching(/^[0-9a-f]{64}$/),
  ]);
  await context.close();
});
