import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { devNull, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { PYPI_SIMPLE_URL, redactIndexUrl, resolveIndexUrl } from '@packyard/pypi-client';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pypi-client-index-url-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files under a fresh directory and returns their absolute paths by name. */
async function tree(files: Record<string, string>): Promise<{ dir: string; path: (name: string) => string }> {
  const dir = await mkdtemp(join(root, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return { dir, path: (name) => join(dir, name) };
}

const conf = (section: string, url: string): string => `[${section}]\ntimeout = 60\nindex-url = ${url}\n`;

describe('resolveIndexUrl precedence', () => {
  it('prefers the package config, then PIP_INDEX_URL, then pip.conf, then uv, then PyPI', async () => {
    const t = await tree({ 'pip.conf': conf('global', 'https://from-file.example/simple/') });
    const env = {
      PIP_INDEX_URL: 'https://pip-env.example/simple/',
      UV_DEFAULT_INDEX: 'https://uv.example/simple',
      UV_INDEX_URL: 'https://uv-old.example/simple',
    };
    const files = [t.path('pip.conf')];

    expect(
      await resolveIndexUrl({ configured: 'https://configured.example/simple/', env, pipConfigFiles: files }),
    ).toEqual({
      url: 'https://configured.example/simple',
      source: 'config',
    });
    expect(await resolveIndexUrl({ env, pipConfigFiles: files })).toEqual({
      url: 'https://pip-env.example/simple',
      source: 'PIP_INDEX_URL',
    });
    expect(await resolveIndexUrl({ env: { ...env, PIP_INDEX_URL: '' }, pipConfigFiles: files })).toEqual({
      url: 'https://from-file.example/simple',
      source: t.path('pip.conf'),
    });
    expect(
      await resolveIndexUrl({
        env: { UV_DEFAULT_INDEX: env.UV_DEFAULT_INDEX, UV_INDEX_URL: env.UV_INDEX_URL },
        pipConfigFiles: [],
      }),
    ).toEqual({
      url: 'https://uv.example/simple',
      source: 'UV_DEFAULT_INDEX',
    });
    expect(await resolveIndexUrl({ env: { UV_INDEX_URL: env.UV_INDEX_URL }, pipConfigFiles: [] })).toEqual({
      url: 'https://uv-old.example/simple',
      source: 'UV_INDEX_URL',
    });
    expect(await resolveIndexUrl({ env: {}, pipConfigFiles: [t.path('missing.conf')] })).toEqual({
      url: PYPI_SIMPLE_URL,
      source: 'default',
    });
  });

  it('lets later files override earlier ones, and [install] beat [global] from any file', async () => {
    const t = await tree({
      'a.conf': conf('global', 'https://a.example/simple'),
      'b.conf': conf('global', 'https://b.example/simple'),
      'install.conf': conf('install', 'https://install.example/simple'),
      'empty.conf': '[global]\nindex-url =\n',
      'other.conf': '[global]\ntimeout = 5\n',
    });
    const resolve = (names: string[]) => resolveIndexUrl({ env: {}, pipConfigFiles: names.map(t.path) });
    expect(await resolve(['a.conf', 'b.conf'])).toEqual({
      url: 'https://b.example/simple',
      source: t.path('b.conf'),
    });
    expect(await resolve(['b.conf', 'a.conf'])).toEqual({
      url: 'https://a.example/simple',
      source: t.path('a.conf'),
    });
    // pip skips empty values, and a file without the key leaves the earlier value in place.
    expect(await resolve(['a.conf', 'empty.conf', 'other.conf'])).toEqual({
      url: 'https://a.example/simple',
      source: t.path('a.conf'),
    });
    expect(await resolve(['install.conf', 'b.conf'])).toEqual({
      url: 'https://install.example/simple',
      source: t.path('install.conf'),
    });
  });

  it('reads pip spellings of the key: index_url, --index-url, and "key: value"', async () => {
    const t = await tree({
      'underscore.conf': '[global]\nINDEX_URL = https://underscore.example/simple\n',
      'dashes.conf': '[global]\n--index-url = https://dashes.example/simple\n',
      'colon.conf': '[global]\nindex-url: https://colon.example/simple?x=1\n',
    });
    for (const [name, url] of [
      ['underscore.conf', 'https://underscore.example/simple'],
      ['dashes.conf', 'https://dashes.example/simple'],
      ['colon.conf', 'https://colon.example/simple?x=1'],
    ] as const) {
      expect((await resolveIndexUrl({ env: {}, pipConfigFiles: [t.path(name)] })).url).toBe(url);
    }
  });

  it("finds pip's own files in its load order: global, user (legacy, then XDG), site, PIP_CONFIG_FILE", async () => {
    const t = await tree({
      'xdg-dirs/pip/pip.conf': conf('install', 'https://global.example/simple'),
      'home/.pip/pip.conf': conf('install', 'https://legacy-user.example/simple'),
      'home/.config/pip/pip.conf': conf('install', 'https://user.example/simple'),
      'xdg-home/pip/pip.conf': conf('install', 'https://xdg-user.example/simple'),
      'venv/pip.conf': conf('install', 'https://site.example/simple'),
      'env.conf': conf('install', 'https://env-file.example/simple'),
    });
    // [install] everywhere, so a real /etc/pip.conf (read after the XDG dirs) cannot override these.
    const base = { XDG_CONFIG_DIRS: t.path('xdg-dirs') };
    const resolve = (env: Record<string, string>, homeDir = t.path('home')) =>
      resolveIndexUrl({ env: { ...base, ...env }, homeDir, platform: 'linux' });

    expect(await resolve({}, t.path('no-home'))).toEqual({
      url: 'https://global.example/simple',
      source: t.path('xdg-dirs/pip/pip.conf'),
    });
    expect(await resolve({})).toEqual({
      url: 'https://user.example/simple',
      source: t.path('home/.config/pip/pip.conf'),
    });
    expect(await resolve({ XDG_CONFIG_HOME: t.path('xdg-home') })).toMatchObject({
      url: 'https://xdg-user.example/simple',
    });
    expect(await resolve({ XDG_CONFIG_HOME: t.path('nowhere') })).toMatchObject({
      url: 'https://legacy-user.example/simple',
    });
    expect(await resolve({ VIRTUAL_ENV: t.path('venv') })).toEqual({
      url: 'https://site.example/simple',
      source: t.path('venv/pip.conf'),
    });
    // PIP_CONFIG_FILE is read last, so it beats the site file.
    expect(await resolve({ VIRTUAL_ENV: t.path('venv'), PIP_CONFIG_FILE: t.path('env.conf') })).toEqual({
      url: 'https://env-file.example/simple',
      source: t.path('env.conf'),
    });
  });

  it('skips user files when PIP_CONFIG_FILE exists, and every file when it is os.devnull', async () => {
    const t = await tree({
      'home/.config/pip/pip.conf': conf('install', 'https://user.example/simple'),
      'etc-xdg/pip/pip.conf': conf('install', 'https://global.example/simple'),
      'env.conf': '[global]\ntimeout = 10\n',
    });
    const env = { XDG_CONFIG_DIRS: t.path('etc-xdg') };
    const resolve = (extra: Record<string, string>) =>
      resolveIndexUrl({ env: { ...env, ...extra }, homeDir: t.path('home'), platform: 'linux' });

    expect(await resolve({})).toMatchObject({ url: 'https://user.example/simple' });
    expect(await resolve({ PIP_CONFIG_FILE: t.path('env.conf') })).toMatchObject({
      url: 'https://global.example/simple',
    });
    // A PIP_CONFIG_FILE that does not exist does not hide the user file.
    expect(await resolve({ PIP_CONFIG_FILE: t.path('missing.conf') })).toMatchObject({
      url: 'https://user.example/simple',
    });
    expect(
      await resolve({ PIP_CONFIG_FILE: devNull, UV_DEFAULT_INDEX: 'https://uv.example/simple' }),
    ).toEqual({
      url: 'https://uv.example/simple',
      source: 'UV_DEFAULT_INDEX',
    });
  });

  it('accepts a uv name=url index, and rejects a value that is not a URL, without echoing credentials', async () => {
    expect(
      await resolveIndexUrl({
        env: { UV_DEFAULT_INDEX: 'internal=https://pkgs.example/simple/' },
        pipConfigFiles: [],
      }),
    ).toEqual({
      url: 'https://pkgs.example/simple',
      source: 'UV_DEFAULT_INDEX',
    });
    const t = await tree({ 'bad.conf': '[global]\nindex-url = not a url\n' });
    let thrown: unknown;
    try {
      await resolveIndexUrl({ env: {}, pipConfigFiles: [t.path('bad.conf')] });
    } catch (error) {
      thrown = error;
    }
    expect(isPackyardError(thrown, 'CONFIG_INVALID')).toBe(true);
    expect(isPackyardError(thrown) && thrown.file).toBe(t.path('bad.conf'));
  });
});

describe('redactIndexUrl', () => {
  it('hides the password, or a bare token, and leaves the rest alone', () => {
    expect(redactIndexUrl('https://alice:hunter2@pkgs.example/simple')).toBe(
      'https://alice:[REDACTED]@pkgs.example/simple',
    );
    expect(redactIndexUrl('https://ghp_tokenvalue@pkgs.example/simple/')).toBe(
      'https://[REDACTED]@pkgs.example/simple/',
    );
    expect(redactIndexUrl('https://pypi.org/simple')).toBe('https://pypi.org/simple');
    expect(redactIndexUrl('https://pkgs.example/simple?user=a@b')).toBe(
      'https://pkgs.example/simple?user=a@b',
    );
  });
});
