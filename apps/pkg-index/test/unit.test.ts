// The pure parts: name and ref checks, import planning, push outcomes, content negotiation, upload
// form checks, the serve config, and the exit-code mapping.
import { EXIT, exitCodeFor, renderAppHelp } from '@packyard/core';
import { pkgIndexApp } from '../src/cli.js';
import { parseHtpasswd, parseServeConfig, verifyBasicAuth, hashPassword } from '../src/config.js';
import { parsePushOutcome } from '../src/git.js';
import { classifyRefusal } from '../src/index-files.js';
import { planImportModules } from '../src/modules.js';
import {
  checkGitRef,
  checkOwner,
  checkRepo,
  parseRepository,
  renderCommitMessage,
  renderSourceUrl,
} from '../src/names.js';
import { negotiateSimpleFormat } from '../src/serve.js';
import { checkUploadForm, projectOfFilename, type UploadForm } from '../src/serve.js';
import { planDispatch } from '../src/dispatch.js';
import { runCli } from './helpers.js';

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

describe('negotiateSimpleFormat (PEP 691)', () => {
  const json = 'application/vnd.pypi.simple.v1+json';
  test.each([
    [undefined, 'text/html; charset=utf-8'],
    ['', 'text/html; charset=utf-8'],
    ['*/*', 'text/html; charset=utf-8'],
    ['text/html,application/xhtml+xml,*/*;q=0.8', 'text/html; charset=utf-8'],
    [`${json}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01`, json],
    [`${json}, */*`, json],
    ['application/vnd.pypi.simple.latest+json', json],
    ['application/vnd.pypi.simple.latest+html', 'application/vnd.pypi.simple.v1+html'],
    ['application/*', json],
    [`text/html;q=0.5, ${json};q=0.4`, 'text/html; charset=utf-8'],
  ])('Accept %j → %s', (accept, contentType) => {
    expect(negotiateSimpleFormat(accept)?.contentType).toBe(contentType);
  });
  test('nothing acceptable → undefined (406)', () => {
    expect(negotiateSimpleFormat('application/xml')).toBeUndefined();
    expect(negotiateSimpleFormat(`${json};q=0`)).toBeUndefined();
    expect(negotiateSimpleFormat('application/vnd.pypi.simple.v2+json')).toBeUndefined();
  });
  test('?format= takes precedence over Accept', () => {
    expect(negotiateSimpleFormat('text/html', json)?.format).toBe('json');
  });
});

describe('checkUploadForm (legacy upload API)', () => {
  const file = {
    filename: 'my_pkg-1.0-py3-none-any.whl',
    path: '/tmp/x',
    size: 3,
    sha256: 'ab'.repeat(32),
    md5: Buffer.from('0123456789abcdef0123456789abcdef', 'hex').toString('base64url'),
  };
  const form = (fields: Record<string, string>, extra: Partial<UploadForm> = {}): UploadForm => ({
    fields: new Map(Object.entries({ ':action': 'file_upload', protocol_version: '1', ...fields })),
    file,
    ...extra,
  });
  test('a matching sha256 or md5 digest (urlsafe base64 or hex) passes', () => {
    expect(checkUploadForm(form({ sha256_digest: 'AB'.repeat(32), name: 'My.Pkg' }))).toBeUndefined();
    expect(checkUploadForm(form({ md5_digest: file.md5 }))).toBeUndefined();
    expect(checkUploadForm(form({ md5_digest: '0123456789abcdef0123456789abcdef' }))).toBeUndefined();
  });
  test.each([
    [{ sha256_digest: 'cd'.repeat(32) }, 'sha256_digest does not match'],
    [{ md5_digest: 'AAAA' }, 'md5_digest does not match'],
    [{}, 'a sha256_digest or md5_digest is required'],
    [{ ':action': 'submit', sha256_digest: 'ab'.repeat(32) }, 'unsupported :action'],
    [{ protocol_version: '2', sha256_digest: 'ab'.repeat(32) }, 'unsupported protocol_version'],
    [{ name: 'other', sha256_digest: 'ab'.repeat(32) }, 'is not the project of'],
  ])('%j → 400 %s', (fields, message) => {
    expect(checkUploadForm(form(fields))).toEqual({ status: 400, message: expect.stringContaining(message) });
  });
  test('no file, or a problem found while reading, is reported first', () => {
    expect(checkUploadForm(form({ sha256_digest: 'x' }, { file: undefined }))?.message).toBe(
      'no content file',
    );
    expect(checkUploadForm(form({}, { problem: { status: 413, message: 'too big' } }))).toEqual({
      status: 413,
      message: 'too big',
    });
  });
  test('project of a file name', () => {
    expect(projectOfFilename('my_pkg-1.0-py3-none-any.whl')).toBe('my_pkg');
    expect(projectOfFilename('my-pkg-1.0.tar.gz')).toBe('my-pkg');
    expect(projectOfFilename('nodash.zip')).toBeUndefined();
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
  test('basic auth: right, wrong, unknown user, malformed', async () => {
    const users = new Map([['alice', await hashPassword('pw', 4)]]);
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(await verifyBasicAuth(basic('alice:pw'), users)).toEqual({ kind: 'ok', user: 'alice' });
    expect(await verifyBasicAuth(basic('alice:nope'), users)).toEqual({ kind: 'invalid' });
    expect(await verifyBasicAuth(basic('mallory:pw'), users)).toEqual({ kind: 'invalid' });
    expect(await verifyBasicAuth(basic('no-colon'), users)).toEqual({ kind: 'invalid' });
    expect(await verifyBasicAuth(undefined, users)).toEqual({ kind: 'missing' });
    expect(await verifyBasicAuth('Bearer abc', users)).toEqual({ kind: 'missing' });
  });
});

describe('exit codes', () => {
  test('each failing step maps to its own documented code', () => {
    const codes = {
      CLONE_FAILED: EXIT.clone,
      BUILD_FAILED: EXIT.tool,
      INSTALL_TEST_FAILED: EXIT.installTest,
      PUSH_FAILED: EXIT.push,
      STORE_CONFLICT: EXIT.conflict,
      CONFLICT: EXIT.conflict,
      ARCHIVE_INVALID: EXIT.invalidFile,
      DISPATCH_FAILED: EXIT.dispatch,
      AUTH_MISSING: EXIT.auth,
      CONFIG_INVALID: EXIT.config,
      TOOL_PROVISION_FAILED: EXIT.tool,
      INTERNAL: EXIT.internal,
    } as const;
    for (const [code, exit] of Object.entries(codes)) {
      expect(exitCodeFor(code)).toBe(exit);
      expect(renderAppHelp(pkgIndexApp({ cwd: '.', stdout: () => {}, stderr: () => {} }))).toMatch(
        new RegExp(`^  ${exit} `, 'm'),
      );
    }
  });
  test('index refusals are sorted into conflict and invalid file', () => {
    expect(classifyRefusal('CONFLICT')).toBe('STORE_CONFLICT');
    expect(classifyRefusal('STORE_CONFLICT')).toBe('STORE_CONFLICT');
    expect(classifyRefusal('CONFIG_INVALID')).toBe('ARCHIVE_INVALID');
    expect(classifyRefusal('ARCHIVE_INVALID')).toBe('ARCHIVE_INVALID');
    expect(classifyRefusal('STORE_FAILED')).toBeUndefined();
  });
  test('help, no command, unknown command', async () => {
    expect(await runCli(['--help'])).toMatchObject({
      code: EXIT.ok,
      stdout: expect.stringContaining('Exit codes'),
    });
    expect(await runCli(['update', '--help'])).toMatchObject({ code: EXIT.ok });
    expect((await runCli([])).code).toBe(EXIT.usage);
    expect((await runCli(['frobnicate'])).code).toBe(EXIT.usage);
    expect((await runCli(['--frobnicate'])).code).toBe(EXIT.usage);
    expect((await runCli(['serve'])).stderr).toContain('--index-dir is required');
    expect((await runCli(['serve', '--index-dir', '.', '--port', '99999'])).code).toBe(EXIT.usage);
    expect(
      (await runCli(['update', '--owner', 'a', '--repo', 'b', '--ref', 'c', '--author', 'nobody'])).code,
    ).toBe(EXIT.usage);
  });
});
