// The pure HTTP parts of the index server: PEP 691 content negotiation, the legacy upload form and
// basic auth.
import {
  checkUploadForm,
  negotiateSimpleFormat,
  projectOfFilename,
  verifyBasicAuth,
  type UploadForm,
} from '@packyard/index-server';
import bcrypt from 'bcryptjs';

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

describe('basic auth', () => {
  test('basic auth: right, wrong, unknown user, malformed', async () => {
    const users = new Map([['alice', await bcrypt.hash('pw', 4)]]);
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(await verifyBasicAuth(basic('alice:pw'), users)).toEqual({ kind: 'ok', user: 'alice' });
    expect(await verifyBasicAuth(basic('alice:nope'), users)).toEqual({ kind: 'invalid' });
    expect(await verifyBasicAuth(basic('mallory:pw'), users)).toEqual({ kind: 'invalid' });
    expect(await verifyBasicAuth(basic('no-colon'), users)).toEqual({ kind: 'invalid' });
    expect(await verifyBasicAuth(undefined, users)).toEqual({ kind: 'missing' });
    expect(await verifyBasicAuth('Bearer abc', users)).toEqual({ kind: 'missing' });
  });
});
