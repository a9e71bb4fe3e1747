import {
  ALL_PLATFORMS,
  findHostPlatform,
  formatPlatform,
  hostPlatform,
  parsePlatform,
  samePlatform,
} from '../src/index.js';

// A CONFIG_INVALID PackyardError with these fields.
const configInvalid = (fields: Record<string, unknown>) =>
  expect.objectContaining({ name: 'PackyardError', code: 'CONFIG_INVALID', ...fields });

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
    expect(() => hostPlatform('win32', 'x64')).toThrow(configInvalid({ value: 'win32-x64' }));
    expect(() => hostPlatform('linux', 'ia32')).toThrow(configInvalid({ value: 'linux-ia32' }));
    expect(findHostPlatform('win32', 'x64')).toBeUndefined();
    expect(findHostPlatform('linux', 'x64')).toEqual({ os: 'linux', arch: 'amd64' });
  });

  it('parses and formats every platform round trip', () => {
    for (const platform of ALL_PLATFORMS) expect(parsePlatform(formatPlatform(platform))).toEqual(platform);
  });

  it('refuses other spellings and suggests the Hermit name', () => {
    expect(() => parsePlatform('linux-x86_64')).toThrow(
      configInvalid({ hint: expect.stringContaining('did you mean linux-amd64?') }),
    );
    expect(() => parsePlatform('macos-arm64')).toThrow(
      configInvalid({ hint: expect.stringContaining('darwin-arm64') }),
    );
    expect(() => parsePlatform('windows')).toThrow(
      configInvalid({
        message: 'unknown platform "windows"',
        hint: 'use one of darwin-amd64, darwin-arm64, linux-amd64, linux-arm64',
      }),
    );
  });

  it('compares platforms by os and arch', () => {
    expect(samePlatform(parsePlatform('linux-amd64'), { os: 'linux', arch: 'amd64' })).toBe(true);
    expect(samePlatform(parsePlatform('linux-amd64'), { os: 'linux', arch: 'arm64' })).toBe(false);
  });
});
