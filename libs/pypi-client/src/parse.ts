import { Parser } from 'htmlparser2';
import { PackyardError, normalizeProjectName } from '@packyard/core';
import { sdistVersionCandidates, versionFromFilename } from './names.js';
import { compareVersions, isPrerelease, isValidVersion, normalizeVersion } from './pep440.js';
import { redactIndexUrl } from './index-url.js';
import type { IndexFile, ListVersionsOptions, ProjectVersions } from './types.js';

/** Options shared by both parsers: the listing filters, plus the page URL relative links resolve against. */
type ParseOptions = ListVersionsOptions & { pageUrl?: string };

interface RawFile {
  filename: string;
  href: string;
  yanked: boolean | string;
  requiresPython?: string | undefined;
  sha256?: string | undefined;
}

/** Builds a ProjectVersions from a PEP 691 JSON project page (PEP 700 `versions` used when present). */
export function parseSimpleJson(
  body: unknown,
  project: string,
  indexUrl: string,
  options: ParseOptions = {},
): ProjectVersions {
  const normalizedName = normalizeProjectName(project);
  const base = stripTrailingSlash(indexUrl);
  const where = options.pageUrl ?? `${base}/${normalizedName}/`;
  if (!isRecord(body)) throw badPage(project, where, 'the body is not a JSON object');
  // PEP 691: a client must refuse a major API version it does not know.
  const apiVersion = isRecord(body['meta']) ? body['meta']['api-version'] : undefined;
  if (typeof apiVersion === 'string' && !apiVersion.startsWith('1.')) {
    throw badPage(project, where, `it uses simple API version ${apiVersion}, and only 1.x is supported`);
  }
  const files = body['files'];
  if (!Array.isArray(files)) throw badPage(project, where, 'it has no "files" list');
  const raw = files.map((entry: unknown, i): RawFile => {
    if (!isRecord(entry) || typeof entry['filename'] !== 'string' || typeof entry['url'] !== 'string') {
      throw badPage(project, where, `files[${i}] has no string "filename" and "url"`);
    }
    const hashes = isRecord(entry['hashes']) ? entry['hashes'] : {};
    const yanked = entry['yanked'];
    return {
      filename: entry['filename'],
      href: entry['url'],
      yanked: typeof yanked === 'string' ? yanked || true : yanked === true,
      requiresPython: stringOrUndefined(entry['requires-python']),
      sha256: stringOrUndefined(hashes['sha256']),
    };
  });
  const listed = body['versions'];
  const pep700 = Array.isArray(listed) ? listed.filter((v): v is string => typeof v === 'string') : undefined;
  return buildProjectVersions({
    project,
    normalizedName,
    indexUrl: base,
    pageUrl: where,
    raw,
    pep700,
    options,
  });
}

/** Builds a ProjectVersions from a PEP 503 HTML project page (data-yanked, data-requires-python, #sha256=). */
export function parseSimpleHtml(
  html: string,
  project: string,
  pageUrl: string,
  options: ListVersionsOptions = {},
): ProjectVersions {
  const normalizedName = normalizeProjectName(project);
  const raw: RawFile[] = [];
  let baseHref: string | undefined;
  let open: { attribs: Record<string, string>; text: string } | undefined;
  // htmlparser2 decodes entities in attribute values, so `&gt;=3.8` arrives as `>=3.8` (PEP 503).
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && baseHref === undefined) baseHref = attribs['href'];
        if (name === 'a' && attribs['href'] !== undefined) open = { attribs, text: '' };
      },
      ontext(text) {
        if (open) open.text += text;
      },
      onclosetag(name) {
        if (name !== 'a' || !open) return;
        raw.push(rawFileFromAnchor(open.attribs, open.text));
        open = undefined;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  const resolveAgainst = baseHref === undefined ? pageUrl : (safeResolve(baseHref, pageUrl) ?? pageUrl);
  return buildProjectVersions({
    project,
    normalizedName,
    indexUrl: indexUrlFromPage(pageUrl),
    pageUrl: resolveAgainst,
    raw,
    pep700: undefined,
    options,
  });
}

function rawFileFromAnchor(attribs: Record<string, string>, text: string): RawFile {
  const href = attribs['href'] ?? '';
  const hashAt = href.indexOf('#');
  const fragment = hashAt === -1 ? '' : href.slice(hashAt + 1);
  const sha256 = /(?:^|&)sha256=([0-9a-fA-F]{64})(?:&|$)/.exec(fragment)?.[1]?.toLowerCase();
  const withoutFragment = hashAt === -1 ? href : href.slice(0, hashAt);
  // PEP 503: the anchor text must be the filename; fall back to the URL's last segment.
  const filename = text.trim() || lastSegment(withoutFragment);
  const yankedAttr = attribs['data-yanked'];
  return {
    filename,
    href: withoutFragment,
    // PEP 592: the attribute's presence marks the file yanked; its value, if any, is the reason.
    yanked: yankedAttr === undefined ? false : yankedAttr.trim() || true,
    requiresPython: attribs['data-requires-python']?.trim() || undefined,
    sha256,
  };
}

function lastSegment(href: string): string {
  const segment = href.split('?')[0]?.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface BuildInput {
  project: string;
  normalizedName: string;
  indexUrl: string;
  pageUrl: string;
  raw: RawFile[];
  pep700: string[] | undefined;
  options: ListVersionsOptions;
}

function buildProjectVersions(input: BuildInput): ProjectVersions {
  const { project, normalizedName, indexUrl, pageUrl, raw, pep700, options } = input;
  const minVersion = checkedMinVersion(options.minVersion);
  const known = pep700?.map(normalizeVersion).filter(isString);

  const files: IndexFile[] = [];
  for (const entry of raw) {
    const version = fileVersion(entry.filename, normalizedName, known);
    if (version === undefined) continue;
    const url = safeResolve(entry.href, pageUrl);
    if (url === undefined) continue;
    const file: IndexFile = { filename: entry.filename, url, version, yanked: entry.yanked };
    if (entry.requiresPython !== undefined) file.requiresPython = entry.requiresPython;
    if (entry.sha256 !== undefined) file.sha256 = entry.sha256;
    files.push(file);
  }

  // Group by PEP 440 equality, not by spelling, so `1.0` and `1.0.0` count as one release.
  const groups: { version: string; files: IndexFile[] }[] = [];
  const groupOf = new Map<string, (typeof groups)[number]>();
  for (const version of [...new Set(files.map((f) => f.version))].sort(compareVersions)) {
    const last = groups.at(-1);
    if (last && compareVersions(last.version, version) === 0) {
      groupOf.set(version, last);
      continue;
    }
    const group: (typeof groups)[number] = { version, files: [] };
    groups.push(group);
    groupOf.set(version, group);
  }
  for (const file of files) groupOf.get(file.version)?.files.push(file);

  const wanted = groups.filter(
    (g) =>
      (options.includePrereleases === true || !isPrerelease(g.version)) &&
      (minVersion === undefined || compareVersions(g.version, minVersion) >= 0),
  );
  // PEP 592: a release is yanked only when every one of its files is.
  const isYanked = (g: (typeof groups)[number]): boolean => g.files.every((f) => f.yanked !== false);
  const keptFiles = new Set(wanted.flatMap((g) => g.files));
  return {
    project,
    normalizedName,
    indexUrl,
    versions: wanted.filter((g) => !isYanked(g)).map((g) => g.version),
    yanked: wanted.filter(isYanked).map((g) => g.version),
    files: files.filter((f) => keptFiles.has(f)),
  };
}

/**
 * A file's version from its name. PEP 700 `versions` names the index's releases, so a filename
 * version equal to one of them (by PEP 440) takes that spelling, and an sdist whose name does not
 * split at the project name is settled by that list.
 */
function fileVersion(
  filename: string,
  normalizedName: string,
  known: string[] | undefined,
): string | undefined {
  const fromName = versionFromFilename(filename, normalizedName);
  if (known === undefined || known.length === 0) return fromName;
  const release = (v: string): string | undefined =>
    known.includes(v) ? v : known.find((k) => compareVersions(k, v) === 0);
  if (fromName !== undefined) return release(fromName) ?? fromName;
  for (const candidate of sdistVersionCandidates(filename)) {
    const match = release(candidate);
    if (match !== undefined) return match;
  }
  return undefined;
}

function checkedMinVersion(minVersion: string | undefined): string | undefined {
  if (minVersion === undefined) return undefined;
  if (!isValidVersion(minVersion)) {
    throw new PackyardError('CONFIG_INVALID', `minVersion "${minVersion}" is not a PEP 440 version`, {
      field: 'minVersion',
      value: minVersion,
      hint: 'use a version such as 1.2 or 2.0rc1',
    });
  }
  return minVersion.trim();
}

function indexUrlFromPage(pageUrl: string): string {
  const withoutSlash = stripTrailingSlash(pageUrl.split(/[?#]/)[0] ?? pageUrl);
  const cut = withoutSlash.lastIndexOf('/');
  return cut > withoutSlash.indexOf('//') + 1 ? withoutSlash.slice(0, cut) : withoutSlash;
}

function safeResolve(href: string, base: string): string | undefined {
  try {
    const url = new URL(href, base);
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/** The INDEX_BAD_RESPONSE error for a project page that cannot be understood. */
export function badPage(project: string, pageUrl: string, why: string, cause?: unknown): PackyardError {
  return new PackyardError(
    'INDEX_BAD_RESPONSE',
    `the index page for project "${project}" at ${redactIndexUrl(pageUrl)} cannot be read: ${why}`,
    { value: project, hint: 'check that the index URL points at a PEP 503/691 "simple" index', cause },
  );
}

export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}
