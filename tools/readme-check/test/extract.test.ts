import { extractCommands, freshEnvironment, tableColumnCode } from '../src/index.js';

describe('extractCommands', () => {
  it('takes each logical line of sh, bash, shell and console blocks, with its line number', () => {
    const page = [
      '# title', //                                              1
      '```sh', //                                                2
      'npm run a -- plan   # a comment stays', //                3
      '# a comment line is not a command', //                    4
      '', //                                                     5
      'npm run b -- one \\', //                                  6
      '  two', //                                                7
      '```', //                                                  8
      '```console', //                                           9
      '$ echo hi', //                                            10
      'hi', //                                                   11
      '```', //                                                  12
      '```yaml', //                                              13
      'key: value', //                                           14
      '```', //                                                  15
      '```bash', //                                              16
      'echo bash', //                                            17
      '```', //                                                  18
    ].join('\n');
    expect(extractCommands(page, 'P.md')).toEqual([
      { file: 'P.md', line: 3, command: 'npm run a -- plan   # a comment stays' },
      { file: 'P.md', line: 6, command: 'npm run b -- one   two' },
      { file: 'P.md', line: 10, command: 'echo hi' },
      { file: 'P.md', line: 17, command: 'echo bash' },
    ]);
  });

  it('marks the commands of a block preceded by a skip marker, with its reason', () => {
    const page = [
      '<!-- readme-test: skip (needs credentials) -->',
      '',
      '```sh',
      'publish --token x',
      '```',
      'Some text.',
      '```sh',
      'runs',
      '```',
    ].join('\n');
    expect(extractCommands(page, 'P.md')).toEqual([
      { file: 'P.md', line: 4, command: 'publish --token x', skip: 'needs credentials' },
      { file: 'P.md', line: 8, command: 'runs' },
    ]);
  });

  it('does not carry a marker past text or another block', () => {
    const page = ['<!-- readme-test: skip (x) -->', 'text', '```sh', 'a', '```'].join('\n');
    expect(extractCommands(page, 'P.md')).toEqual([{ file: 'P.md', line: 4, command: 'a' }]);
  });
});

describe('tableColumnCode', () => {
  it("returns the code spans of a column's cells, row by row", () => {
    const page = [
      '## Pipelines',
      '',
      '| name | try it | notes |',
      '| ---- | ------ | ----- |',
      '| a    | `npm run a -- plan` | `x` |',
      '| b \\| c | `one` then `two` | |',
      '',
      '| other | try it |',
    ].join('\n');
    expect(tableColumnCode(page, '## Pipelines', 'try it')).toEqual([['npm run a -- plan'], ['one', 'two']]);
    expect(() => tableColumnCode(page, '## Missing', 'try it')).toThrow('no heading "## Missing"');
    expect(() => tableColumnCode(page, '## Pipelines', 'run')).toThrow('no column "run"');
  });
});

describe('freshEnvironment', () => {
  it("drops npm's and Nx's task variables and gives the copy its own Nx cache", () => {
    const env = freshEnvironment('/tmp/cache', {
      PATH: '/bin',
      npm_config_prefix: '/x',
      npm_package_name: 'y',
      INIT_CWD: '/w',
      NX_TASK_TARGET_PROJECT: 'readme-check',
      NX_CACHE_DIRECTORY: '/shared',
    });
    expect(env).toEqual({
      PATH: '/bin',
      NX_DAEMON: 'false',
      NX_CACHE_DIRECTORY: '/tmp/cache',
      NX_NO_CLOUD: 'true',
    });
  });
});
