import { parseBodyBlock, renderBodyBlock } from '../src/index.js';

const info = {
  build_info: {
    config_version: 2,
    package: 'aider-chat',
    version: '0.83.1',
    python: '3.10',
    binaries: ['aider'],
  },
  asset_info: {
    'aider-chat-darwin-arm64.tar.gz': '71b68756b60f23991b855c7ff428afea27d64ab5b037656ce4d87651e60fa88b',
  },
};

describe('release body block', () => {
  it('writes the seed format and reads it back, keeping python a string', () => {
    const body = renderBodyBlock('', info);
    expect(body).toBe(
      [
        '```yaml',
        'build_info:',
        '  config_version: 2',
        '  package: aider-chat',
        '  version: 0.83.1',
        '  python: "3.10"',
        '  binaries:',
        '    - aider',
        'asset_info:',
        '  aider-chat-darwin-arm64.tar.gz: 71b68756b60f23991b855c7ff428afea27d64ab5b037656ce4d87651e60fa88b',
        '```',
        '',
      ].join('\n'),
    );
    expect(parseBodyBlock(body)).toEqual({ data: info, warning: undefined });
  });

  it('replaces an existing block and keeps the text around it', () => {
    const body = 'Release notes.\n\n```yaml\nbuild_info: {}\n```\n\nFooter.';
    const next = renderBodyBlock(body, { asset_info: {} });
    expect(next).toBe('Release notes.\n\n```yaml\nasset_info: {}\n```\n\nFooter.');
    expect(renderBodyBlock('Notes.', { a: 1 })).toBe('Notes.\n\n```yaml\na: 1\n```\n');
  });

  it('treats a missing block as no info and a garbled one as no info with a warning', () => {
    expect(parseBodyBlock('just text')).toEqual({ data: undefined, warning: undefined });
    expect(parseBodyBlock(null)).toEqual({ data: undefined, warning: undefined });
    const garbled = parseBodyBlock('```yaml\nbuild_info: [unclosed\n```');
    expect(garbled.data).toBeUndefined();
    expect(garbled.warning).toMatch(/^the yaml block in the release body is not valid YAML: /);
    expect(parseBodyBlock('```yaml\n- a list\n```').warning).toBe(
      'the yaml block in the release body is not a mapping',
    );
  });
});
