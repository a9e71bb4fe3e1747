import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import type { ProjectVersions } from '@packyard/pypi-client';
import { listIndexVersions } from '../src/index.js';

async function aPackagesDir(configs: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nx-plugin-index-versions-'));
  for (const [name, text] of Object.entries(configs)) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'config.yaml'), text);
  }
  return dir;
}

function listing(project: string, versions: string[], yanked: string[] = []): ProjectVersions {
  return { project, normalizedName: project, indexUrl: '', versions, yanked, files: [] };
}

describe('listIndexVersions', () => {
  it("asks each package's own index (index_url, else pip's settings) and prints its versions, one line per package", async () => {
    const packagesDir = await aPackagesDir({
      'wait-for-it': 'package: wait-for-it\n',
      mirrored: 'package: Mirrored_Tool\nindex_url: https://mirror.example/simple/\n',
      '.hidden': 'package: hidden\n',
    });
    const asked: Array<[string, string]> = [];
    const text = await listIndexVersions({
      packagesDir,
      env: { PIP_INDEX_URL: 'https://user:secret@pip.example/simple', PIP_CONFIG_FILE: '/dev/null' },
      createClient: (indexUrl) => ({
        listVersions: async (project) => {
          asked.push([project, indexUrl]);
          return project === 'wait-for-it'
            ? listing(project, ['2.2.2', '2.3.0'], ['2.2.3'])
            : listing(project, ['1.0']);
        },
      }),
    });
    expect(asked.sort()).toEqual([
      ['Mirrored_Tool', 'https://mirror.example/simple'],
      ['wait-for-it', 'https://user:secret@pip.example/simple'],
    ]);
    expect(text).toBe(
      'mirrored Mirrored_Tool: 1.0 | yanked: \nwait-for-it wait-for-it: 2.2.2 2.3.0 | yanked: 2.2.3\n',
    );
    expect(text).not.toContain('secret');
  });

  it('prints the error code for a package whose config or index cannot be read, and still lists the others', async () => {
    const packagesDir = await aPackagesDir({
      broken: 'package: [unclosed\n',
      gone: 'package: gone\n',
      ok: 'package: ok\n',
    });
    const text = await listIndexVersions({
      packagesDir,
      env: { PIP_CONFIG_FILE: '/dev/null' },
      createClient: () => ({
        listVersions: async (project) => {
          if (project === 'gone')
            throw new PackyardError('INDEX_UNREACHABLE', 'cannot list https://token@x/simple');
          return listing(project, ['3.0']);
        },
      }),
    });
    expect(text).toBe('broken: CONFIG_INVALID\ngone: INDEX_UNREACHABLE\nok ok: 3.0 | yanked: \n');
  });
});
