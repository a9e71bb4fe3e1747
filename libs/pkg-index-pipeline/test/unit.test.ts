// The pure parts of the pkg-index pipeline: name and ref checks, the update plan, import planning,
// push outcomes, the dispatch event, the serve config and the index refusals.
import {
  checkGitRef,
  checkOwner,
  checkRepo,
  classifyRefusal,
  parseHtpasswd,
  parsePushOutcome,
  parseRepository,
  parseServeConfig,
  planDispatch,
  planImportModules,
  planUpdate,
  renderCommitMessage,
  renderSourceUrl,
  UPDATE_ACTIONS,
} from '@packyard/pkg-index-pipeline';

describe('names', () => {
  test.each([
    'main',
    'v1.2.3',
    'feature/x-y',
    'refs/heads/main',
    '0123456789abcdef0123456789abcdef01234567',
    '__gt4py-next-integration_2024',
  ])('ref %s is accepted', (ref) => expect(checkGitRef(ref)).toBe(ref));
  test.each([
    ['', 'it is empty'],
    ['-x', 'starts with "-"'],
    ['--upload-pack=evil', 'starts with "-"'],
    ['a..b', '".."'],
    ['a b', 'space'],
    ['a~1', '~^:?*[\\'],
    ['a:b', '~^:?*[\\'],
    ['a/', 'ends with "/"'],
    ['a//b', '"//"'],
    ['a.', 'ends with "."'],
    ['a/.hidden', 'starts with "."'],
    ['x.lock', '.lock'],
    ['a@{1}', '"@{"'],
    ['@', '"@"'],
    ['a\nb', 'control'],
  ])('ref %j is refused (%s)', (ref, why) => {
    expect(() => checkGitRef(ref)).toThrow(why);
  });
  test('owners and repositories follow GitHub rules', () => {
    expect(checkOwner('GridTools')).toBe('GridTools');
    expect(checkOwner('ghex-org')).toBe('ghex-org');
    expect(() => checkOwner('-lead')).toThrow('not a GitHub owner name');
    expect(() => checkOwner('a--b')).toThrow('not a GitHub owner name');
    expect(() => checkOwner('x'.repeat(40))).toThrow('not a GitHub owner name');
    expect(checkRepo('My_Dep.Lib')).toBe('My_Dep.Lib');
    expect(() => checkRepo('..')).toThrow('not a GitHub repository name');
    expect(() => checkRepo('a/b')).toThrow('not a GitHub repository name');
    expect(() => checkRepo('dace.git')).toThrow('"dace.git" is not a GitHub repository name');
    expect(parseRepository('GridTools/python-pkg-index')).toEqual({
      owner: 'GridTools',
      repo: 'python-pkg-index',
    });
    expect(() => parseRepository('GridTools')).toThrow('is not OWNER/NAME');
  });
  test('source URL and commit message', () => {
    expect(renderSourceUrl('https://github.com/', 'GridTools', 'dace')).toBe(
      'https://github.com/GridTools/dace',
    );
    expect(renderCommitMessage('GridTools', 'dace')).toBe('updated dependency "GridTools/dace"');
  });
  test('the dispatch event carries the seed payload', () => {
    expect(
      planDispatch({ owner: 'GridTools', repo: 'dace', ref: 'abc', indexRepo: 'GridTools/python-pkg-index' }),
    ).toEqual({
      owner: 'GridTools',
      repo: 'python-pkg-index',
      event_type: 'update_package_index',
      client_payload: { source_repo: 'dace', source_org: 'GridTools', dependency_ref: 'abc' },
    });
  });
});

describe('planUpdate', () => {
  test('checks every name before anything runs, and lists the steps in order', () => {
    expect(
      planUpdate({ owner: 'GridTools', repo: 'dace', ref: 'v1.0', gitBase: 'file:///srv/git/' }),
    ).toEqual({
      owner: 'GridTools',
      repo: 'dace',
      ref: 'v1.0',
      sourceUrl: 'file:///srv/git/GridTools/dace',
      branch: 'main',
      target: 'refs/heads/main',
      commitMessage: 'updated dependency "GridTools/dace"',
      actions: ['index', 'clone', 'build', 'install-test', 'publish'],
    });
    expect(UPDATE_ACTIONS).toEqual(['index', 'clone', 'build', 'install-test', 'publish']);
    expect(planUpdate({ owner: 'o', repo: 'r', ref: 'x', branch: 'gh-pages' }).target).toBe(
      'refs/heads/gh-pages',
    );
    expect(() => planUpdate({ owner: 'o', repo: 'r', ref: '--upload-pack=evil' })).toThrow('starts with "-"');
    expect(() => planUpdate({ owner: '-o', repo: 'r', ref: 'main' })).toThrow('not a GitHub owner name');
  });
});

describe('planImportModules', () => {
  test('top_level.txt wins when present', () => {
    expect(planImportModules({ topLevel: 'pkg\n_ext\n\n', record: ['other/__init__.py'] })).toEqual([
      '_ext',
      'pkg',
    ]);
  });
  test('otherwise packages, modules and extension modules from RECORD', () => {
    expect(
      planImportModules({
        topLevel: null,
        record: [
          'dace/__init__.py',
          'dace/sdfg/sdfg.py',
          'six.py',
          '_ghex.cpython-311-x86_64-linux-gnu.so',
          'fast.abi3.so',
          'dace-1.0.dist-info/RECORD',
          'dace-1.0.data/scripts/run',
          'distutils-precedence.pth',
          '__pycache__/six.cpython-311.pyc',
          'not-a-module/x.py',
        ],
      }),
    ).toEqual(['_ghex', 'dace', 'fast', 'six']);
  });
  test('an empty top_level.txt falls back to RECORD', () => {
    expect(planImportModules({ topLevel: '', record: ['m.py'] })).toEqual(['m']);
  });
});

describe('parsePushOutcome', () => {
  const target = 'refs/heads/main';
  test.each([
    ['To /x\n \tHEAD:refs/heads/main\t1111111..2222222\nDone\n', 'pushed'],
    ['To /x\n*\tHEAD:refs/heads/main\t[new branch]\nDone\n', 'pushed'],
    ['To /x\n=\tHEAD:refs/heads/main\t[up to date]\nDone\n', 'up-to-date'],
    ['To /x\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone\n', 'stale'],
    ['To /x\n!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)\nDone\n', 'stale'],
    [
      "To /x\n!\tHEAD:refs/heads/main\t[remote rejected] (cannot lock ref 'refs/heads/main': is at 1 but expected 2)\n",
      'stale',
    ],
    ['To /x\n!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\nDone\n', 'rejected'],
    ['To /x\n!\tHEAD:refs/heads/main\t[remote rejected] (protected branch hook declined)\n', 'rejected'],
  ])('%j → %s', (stdout, kind) => {
    expect(parsePushOutcome(stdout, target)?.kind).toBe(kind);
  });
  test('another ref, or no status line, is no outcome', () => {
    expect(parsePushOutcome(' \tHEAD:refs/heads/other\t1..2\n', target)).toBeUndefined();
    expect(parsePushOutcome('', target)).toBeUndefined();
  });
});

describe('serve config', () => {
  const hash = '$2b$04$39VnGuhTC8u9xXhXjiT.jeVSglNK/qguMMWAD18nwxY96pBx.OqzG';
  test('users, htpasswd and the upload limit', () => {
    expect(
      parseServeConfig({ users: { alice: hash }, htpasswd: 'users.htpasswd', maxUploadBytes: 10 }),
    ).toEqual({
      users: { alice: hash },
      htpasswd: 'users.htpasswd',
      maxUploadBytes: 10,
    });
    expect(parseServeConfig(null)).toEqual({});
  });
  test('every problem is reported with its path and the file', () => {
    let message = '';
    try {
      parseServeConfig(
        { users: { alice: 'plaintext', 'b:b': hash }, maxUploadBytes: -1, extra: 1 },
        'serve.yaml',
      );
    } catch (error) {
      message = (error as { format(): string }).format();
    }
    expect(message).toContain('serve.yaml');
    expect(message).toContain('users.alice: not a bcrypt hash');
    expect(message).toContain('users.b:b');
    expect(message).toContain('maxUploadBytes');
    expect(message).toMatch(/extra/);
  });
  test('htpasswd lines: bcrypt only, with the line number', () => {
    expect(parseHtpasswd(`# team\nalice:${hash}\n\nbob:${hash.replace('$2b$', '$2y$')}\n`)).toEqual(
      new Map([
        ['alice', hash],
        ['bob', hash.replace('$2b$', '$2y$')],
      ]),
    );
    expect(() => parseHtpasswd(`alice:${hash}\ncarol:$apr1$abc$def\n`, 'users')).toThrow(
      'line 2 is not "user:<bcrypt hash>"',
    );
  });
});

describe('index refusals', () => {
  test('index refusals are sorted into conflict and invalid file', () => {
    expect(classifyRefusal('CONFLICT')).toBe('STORE_CONFLICT');
    expect(classifyRefusal('STORE_CONFLICT')).toBe('STORE_CONFLICT');
    expect(classifyRefusal('CONFIG_INVALID')).toBe('ARCHIVE_INVALID');
    expect(classifyRefusal('ARCHIVE_INVALID')).toBe('ARCHIVE_INVALID');
    expect(classifyRefusal('STORE_FAILED')).toBeUndefined();
  });
});
