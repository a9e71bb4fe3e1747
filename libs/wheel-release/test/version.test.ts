import { isPackyardError } from '@packyard/core';
import { bumpVersion, devStamp, parseReleaseVersion } from '../src/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseReleaseVersion', () => {
  it('maps PEP 440 and Cargo semver one to one', () => {
    const pairs: Array<[string, string]> = [
      ['0.2.31', '0.2.31'],
      ['0.2.31.dev202612011830', '0.2.31-dev202612011830'],
      ['1.0.0rc2', '1.0.0-rc2'],
      ['1.0.0a1', '1.0.0-a1'],
    ];
    for (const [pep440, cargo] of pairs) {
      expect(parseReleaseVersion(pep440)).toEqual({ pep440, cargo });
      expect(parseReleaseVersion(cargo)).toEqual({ pep440, cargo });
    }
  });

  it('refuses what is not both, naming the value and where it came from', () => {
    for (const bad of ['0.2', '0.2.31.post1', '01.2.3', 'v0.2.31', '0.2.31-beta.1', '']) {
      const error = thrown(() => parseReleaseVersion(bad, { file: 'release.yaml', field: 'version' }));
      expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as { file?: string }).file).toBe('release.yaml');
      expect((error as { value?: string }).value).toBe(bad);
    }
  });
});

describe('bumpVersion', () => {
  const now = new Date('2026-12-01T18:30:59Z');
  it('bumps patch, minor, major and makes a timestamped pre-release', () => {
    const v = parseReleaseVersion('0.2.30');
    expect(bumpVersion(v, 'patch').pep440).toBe('0.2.31');
    expect(bumpVersion(v, 'minor').pep440).toBe('0.3.0');
    expect(bumpVersion(v, 'major').pep440).toBe('1.0.0');
    expect(devStamp(now)).toBe('202612011830');
    expect(bumpVersion(v, 'pre', now)).toEqual({
      pep440: '0.2.31.dev202612011830',
      cargo: '0.2.31-dev202612011830',
    });
  });

  it('releases a pre-release with patch and restamps it with pre', () => {
    const v = parseReleaseVersion('0.2.31.dev202611010000');
    expect(bumpVersion(v, 'patch').pep440).toBe('0.2.31');
    expect(bumpVersion(v, 'pre', now).pep440).toBe('0.2.31.dev202612011830');
  });
});
