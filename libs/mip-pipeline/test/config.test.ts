import { mhlName, parseMhlName, parseMipYaml } from '@packyard/mip-pipeline';

const base = `name: pkg
description: "d"
version: "1.0"
source:
  folder: src
`;
const parse = (text: string) => () => parseMipYaml(text, '/p/mip.yaml', '/p');

describe('mip.yaml validation', () => {
  it.each([
    ['an unknown key', `${base}colour: red\n`, 'colour', 'red', 'unknown key'],
    ['a missing field', base.replace('description: "d"\n', ''), 'description', undefined, 'is required'],
    ['an empty version', base.replace('"1.0"', '""'), 'version', '', 'must not be empty'],
    [
      'a / in the name',
      base.replace('name: pkg', 'name: a/b'),
      'name',
      'a/b',
      '"a/b" must not contain "/" or ".."',
    ],
    [
      '.. in the name',
      base.replace('name: pkg', 'name: a..b'),
      'name',
      'a..b',
      '"a..b" must not contain "/" or ".."',
    ],
    [
      'a - in the version',
      base.replace('"1.0"', '"1.0-rc1"'),
      'version',
      '1.0-rc1',
      '"1.0-rc1" must not contain "-" (it separates the parts of the .mhl name)',
    ],
    [
      'a - in a tag',
      `${base}platform_tag: linux-x86_64\n`,
      'platform_tag',
      'linux-x86_64',
      '"linux-x86_64" must not contain "-" (it separates the parts of the .mhl name)',
    ],
  ])('refuses %s, naming file, field and value', (_what, text, field, value, message) => {
    expect(parse(text)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', file: '/p/mip.yaml', field, value, message }),
    );
  });

  it('accepts hyphenated names and reads .mhl names from the right', () => {
    const def = parseMipYaml(base.replace('name: pkg', 'name: gui-layout-toolbox'), '/p/mip.yaml', '/p');
    expect(mhlName(def.metadata)).toBe('gui-layout-toolbox-1.0-any-none-any');
    expect(parseMhlName('gui-layout-toolbox-1.0-any-none-any.mhl')).toEqual({
      name: 'gui-layout-toolbox',
      version: '1.0',
      matlab_tag: 'any',
      abi_tag: 'none',
      platform_tag: 'any',
    });
  });
});
