import { readFile } from 'node:fs/promises';
import { devNull, homedir } from 'node:os';
import { join } from 'node:path';
import ini from 'ini';
import { isAccessible, PackyardError } from '@packyard/core';

/** PyPI's simple API root, used when nothing else names an index. */
export const PYPI_SIMPLE_URL = 'https://pypi.org/simple';

/** An index URL and where it came from: 'config', an env var name, a pip.conf path, or 'default'. */
export interface IndexUrlSource {
  url: string;
  source: string;
}

/** Inputs of resolveIndexUrl; every default reads the real process, so tests pass their own. */
export interface ResolveIndexUrlOptions {
  /** The index URL from packyard's package config; wins over everything else. */
  configured?: string;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  /** Replaces the pip config file list (in load order, later overriding earlier) pip would read. */
  pipConfigFiles?: string[];
  platform?: NodeJS.Platform;
}

/**
 * Finds the index URL the way pip would, then uv: package config → PIP_INDEX_URL → pip config files
 * → UV_DEFAULT_INDEX → UV_INDEX_URL (deprecated) → PyPI. The URL comes back without a trailing slash.
 */
export async function resolveIndexUrl(options: ResolveIndexUrlOptions = {}): Promise<IndexUrlSource> {
  const env = options.env ?? process.env;
  const configured = nonEmpty(options.configured);
  if (configured !== undefined) return checkedSource(configured, 'config');
  // pip ignores empty values, from the environment and files alike.
  const pipEnv = nonEmpty(env['PIP_INDEX_URL']);
  if (pipEnv !== undefined) return checkedSource(pipEnv, 'PIP_INDEX_URL');

  const files =
    options.pipConfigFiles ??
    (await listPipConfigFiles(env, options.homeDir ?? homeOf(env), options.platform));
  const fromFiles = await readPipIndexUrl(files);
  if (fromFiles !== undefined) return checkedSource(fromFiles.url, fromFiles.source);

  const uvDefault = nonEmpty(env['UV_DEFAULT_INDEX']);
  if (uvDefault !== undefined) return checkedSource(stripIndexName(uvDefault), 'UV_DEFAULT_INDEX');
  const uvLegacy = nonEmpty(env['UV_INDEX_URL']);
  if (uvLegacy !== undefined) return checkedSource(uvLegacy, 'UV_INDEX_URL');
  return { url: PYPI_SIMPLE_URL, source: 'default' };
}

/** Hides the credentials of an index URL for messages: `user:[REDACTED]@`, or `[REDACTED]@` for a bare token. */
export function redactIndexUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon === -1 ? '[REDACTED]' : `${userinfo.slice(0, colon)}:[REDACTED]`}@`;
  });
}

/**
 * The files pip reads, in its override order (pip's `Configuration.iter_config_files`, see
 * https://pip.pypa.io/en/stable/topics/configuration/): global, user (legacy, then current), site,
 * then PIP_CONFIG_FILE last. An existing PIP_CONFIG_FILE suppresses the user files, and
 * PIP_CONFIG_FILE=os.devnull suppresses every file.
 */
async function listPipConfigFiles(
  env: Record<string, string | undefined>,
  home: string,
  platform: NodeJS.Platform = process.platform,
): Promise<string[]> {
  const envFile = env['PIP_CONFIG_FILE'];
  if (
    envFile === devNull ||
    (platform === 'win32' ? envFile?.toLowerCase() === 'nul' : envFile === '/dev/null')
  ) {
    return [];
  }
  const basename = platform === 'win32' ? 'pip.ini' : 'pip.conf';
  const files = [...globalConfigFiles(env, platform, basename)];
  const envFileExists = envFile !== undefined && envFile !== '' && (await isAccessible(envFile));
  if (!envFileExists) files.push(...(await userConfigFiles(env, home, platform, basename)));
  // pip reads `sys.prefix/pip.conf`; outside a virtualenv that prefix is unknown here.
  const venv = nonEmpty(env['VIRTUAL_ENV']);
  if (venv !== undefined) files.push(join(venv, basename));
  if (envFile !== undefined && envFile !== '') files.push(envFile);
  return files;
}

function globalConfigFiles(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform,
  basename: string,
): string[] {
  if (platform === 'win32') return [join(env['ProgramData'] ?? 'C:\\ProgramData', 'pip', basename)];
  if (platform === 'darwin') return [join('/Library/Application Support/pip', basename)];
  // platformdirs' site_config_dir with multipath, then pip appends /etc.
  const xdgDirs = nonEmpty(env['XDG_CONFIG_DIRS']) ?? '/etc/xdg';
  return [
    ...xdgDirs
      .split(':')
      .filter(Boolean)
      .map((dir) => join(dir, 'pip', basename)),
    join('/etc', basename),
  ];
}

async function userConfigFiles(
  env: Record<string, string | undefined>,
  home: string,
  platform: NodeJS.Platform,
  basename: string,
): Promise<string[]> {
  if (platform === 'win32') {
    const appData = env['APPDATA'] ?? join(home, 'AppData', 'Roaming');
    return [join(home, 'pip', basename), join(appData, 'pip', basename)];
  }
  const legacy = join(home, '.pip', basename);
  if (platform === 'darwin') {
    // pip prefers ~/Library/Application Support/pip only when that directory exists.
    const appSupport = join(home, 'Library', 'Application Support', 'pip');
    return [
      legacy,
      join((await isAccessible(appSupport)) ? appSupport : join(home, '.config', 'pip'), basename),
    ];
  }
  const configHome = nonEmpty(env['XDG_CONFIG_HOME']) ?? join(home, '.config');
  return [legacy, join(configHome, 'pip', basename)];
}

/**
 * pip merges every file key by key (later files win), then its option parser applies `[global]`
 * before the command's own section, so `[install] index-url` from any file beats `[global]`.
 */
async function readPipIndexUrl(files: string[]): Promise<{ url: string; source: string } | undefined> {
  const found: Partial<Record<'global' | 'install', { url: string; source: string }>> = {};
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // pip's RawConfigParser.read skips files it cannot open
    }
    const parsed = ini.parse(text) as Record<string, unknown>;
    for (const section of ['global', 'install'] as const) {
      const url = indexUrlIn(parsed[section]);
      if (url !== undefined) found[section] = { url, source: file };
    }
  }
  return found.install ?? found.global;
}

function indexUrlIn(section: unknown): string | undefined {
  if (typeof section !== 'object' || section === null) return undefined;
  let url: string | undefined;
  for (const [rawKey, rawValue] of Object.entries(section)) {
    const [key, value] = splitColonDelimiter(rawKey, rawValue);
    // pip's _normalize_name: case-insensitive, `_` equals `-`, a leading `--` is dropped.
    const name = key.trim().toLowerCase().replace(/_/g, '-').replace(/^--/, '');
    if (name === 'index-url' && typeof value === 'string' && value.trim() !== '') url = value.trim();
  }
  return url;
}

/**
 * Python's configparser also accepts `key: value`, which the ini package reads as a bare key (or,
 * when the value holds `=`, splits at that `=`); put such a line back together.
 */
function splitColonDelimiter(key: string, value: unknown): [string, unknown] {
  const colon = key.indexOf(':');
  if (colon === -1) return [key, value];
  const rest = key.slice(colon + 1);
  if (value === true) return [key.slice(0, colon), rest];
  return typeof value === 'string' ? [key.slice(0, colon), `${rest}=${value}`] : [key, value];
}

function checkedSource(url: string, source: string): IndexUrlSource {
  const trimmed = url.trim().replace(/\/+$/, '');
  if (!URL.canParse(trimmed)) {
    const fromFile = source.includes('/') || source.includes('\\');
    throw new PackyardError(
      'CONFIG_INVALID',
      `the index URL "${redactIndexUrl(trimmed)}" from ${source} is not a URL`,
      {
        file: fromFile ? source : undefined,
        field: fromFile ? 'index-url' : source,
        value: redactIndexUrl(trimmed),
        hint: 'set an absolute URL such as https://pypi.org/simple',
      },
    );
  }
  return { url: trimmed, source };
}

/** uv accepts `name=url` for an index; only the URL matters here. */
function stripIndexName(value: string): string {
  const match = /^[A-Za-z0-9_.-]+=(.+)$/.exec(value.trim());
  return match?.[1] ?? value;
}

function homeOf(env: Record<string, string | undefined>): string {
  return nonEmpty(env['HOME']) ?? homedir();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
