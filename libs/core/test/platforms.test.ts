import {
  ALL_PLATFORMS,
  findHostPlatform,
  formatPlatform,
  hostPlatform,
  isPackyardError,
  parsePlatform,
  samePlatform,
} from '../src/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('platforms', () => {
  it('lists the four Hermit platforms', () => {
    expect(ALL_PLATFORMS.map(formatPlatform)).toEqual([
      'darwin-amd64',
      'darwin-arm64',
      'linux-amd64',
      'linux-arm64',
    ]);
  });

  it('maps Node host names to Hermit names', () => {
    expect(hostPlatform('linux', 'x64')).toEqual({ os: 'linux', arch: 'amd64' });
    expect(hostPlatform('darwin', 'arm64')).toEqual({ os: 'darwin', arch: 'arm64' });
    expect(hostPlatform('linux', 'arm64')).toEqual({ os: 'linux', arch: 'arm64' });
    expect(ALL_PLATFORMS.map(formatPlatform)).toContain(formatPlatform(hostPlatform()));
  });

  it('rejects unsupported hosts with CONFIG_INVALID, or says undefined when asked to find one', () => {
    const error = thrown(() => hostPlatform('win32', 'x64'));
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('win32-x64');
    expect(
      isPackyardError(
        thrown(() => hostPlatform('linux', 'ia32')),
        'CONFIG_INVALID',
      ),
    ).toBe(true);
    expect(findHostPlatform('win32', 'x64')).toBeUndefined();
    expect(findHostPlatform('linux', 'x64')).toEqual({ os: 'linux', arch: 'amd64' });
  });

  it('parses and formats every platform round trip', () => {
    for (const platform of ALL_PLATFORMS) expect(parsePlatform(formatPlatform(platform))).toEqual(platform);
  });

  it('refuses other spellings and suggests the Hermit name', () => {
    const alias = thrown(() => parsePlatform('linux-x86_64'));
    expect(isPackyardError(alias, 'CONFIG_INVALID')).toBe(true);
    expect((alias as { hint?: string }).hint).toContain('did you mean linux-amd64?');
    expect((thrown(() => parsePlatform('macos-arm64')) as { hint?: string }).hint).toContain('darwin-arm64');
    const junk = thrown(() => parsePlatform('windows'));
    expect((junk as Error).message).toBe('unknown platform "windows"');
    expect((junk as { hint?: string }).hint).toBe(
      'use one of darwin-amd64, darwin-arm64, linux-amd64, linux-arm64',
    );
  });

  it('compares platforms by os and arch', () => {
    expect(samePlatform(parsePlatform('linux-amd64'), { os: 'linux', arch: 'amd64' })).toBe(true);
    expect(samePlatform(parsePlatform('linux-amd64'), { os: 'linux', arch: 'arm64' })).toBe(false);
  });
});
