import { join } from 'node:path';
import { checkRelease, findDisagreements, readReleaseConfig } from '../src/index.js';

const EXAMPLE = join(import.meta.dirname, '../../../examples/wheel-release');

describe('the example project', () => {
  it('names the version in all six places, and they agree', async () => {
    const config = await readReleaseConfig(EXAMPLE);
    expect(config.places.map((p) => p.file)).toEqual([
      'yd-core/Cargo.toml',
      'yd-core/pyproject.toml',
      'yd-core/src/main.rs',
      'ydemo/pyproject.toml',
      'ydemo/pyproject.toml',
      'ydemo/src/ydemo/__init__.py',
    ]);
    expect(await findDisagreements(config)).toEqual([]);
    await expect(checkRelease(config, `v${config.version.pep440}`)).resolves.toBeUndefined();
  });
});
