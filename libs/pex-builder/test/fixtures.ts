// `nx run pex-builder:fixtures`: real wheels from the index pip is configured with (PyPI), pinned by
// version and sha256, downloaded once into dist/fixtures/pex-builder/wheels for the tests that serve
// their own index on loopback (freshness.test.ts). Nx caches the directory.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '@packyard/core';
import { buildFixtures } from '@packyard/core/testing';
import { provisionTools } from '@packyard/python-tools';

/** wait-for-it's last two releases and what they need, for Python 3.11 on every platform. */
export const FIXTURE_WHEELS: Record<string, string> = {
  'wait-for-it==2.2.2': 'ed6ce9bfad11dbfc29ecbef9daac2b9f45d583e5fcd559e1a6106002df0247c1',
  'wait-for-it==2.3.0': '22ddbf08d6fe1b5f59b3807d539a932df7cab3de2823cb8b63591f81fa666c38',
  'click==8.1.8': '63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2',
  // click's Windows-only dependency: a universal lock resolves it too.
  'colorama==0.4.6': '4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6',
};

await buildFixtures('pex-builder', async (dir) => {
  const tools = await provisionTools({ log: (line) => console.log(line) });
  const wheels = join(dir, 'wheels');
  // One pip run per pin: pip refuses two versions of one project in one resolve, --no-deps or not.
  for (const [index, [pin, sha256]] of Object.entries(FIXTURE_WHEELS).entries()) {
    const requirements = join(dir, `requirements-${index}.txt`);
    await writeFile(requirements, `${pin} --hash=sha256:${sha256}\n`);
    await runTool(
      tools.python,
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--require-hashes', '--quiet'].concat([
        '--requirement',
        requirements,
        '--dest',
        wheels,
      ]),
      { tailLines: 20 },
    );
  }
  return { wheels: 'wheels' };
});
