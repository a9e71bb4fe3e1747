import { PackyardError } from '@packyard/core';
import type HandlebarsModule from 'handlebars';
// The runtime alone: the templates are precompiled (scripts/precompile-templates.mjs). Its own
// type declarations are empty, so it is typed as the full module it is a part of.
import runtime from 'handlebars/runtime.js';
import { parseDistributionFilename } from './filename.js';
import { TEMPLATE_SPECS } from './templates.generated.js';
import type { IndexEntry, ProjectPage } from './types.js';
import { compareVersionStrings } from './versions.js';

// https://packaging.python.org/en/latest/specifications/simple-repository-api/ — 1.1 adds PEP 700's
// `versions`, `size` and `upload-time`. `size` is mandatory in 1.1, so a page that lists a file of
// unknown size (a package list without sizes) says 1.0.
const API_VERSION = '1.1';
const API_VERSION_WITHOUT_SIZES = '1.0';
// PEP 792's project status markers came with 1.4 (1.2 and 1.3 add only optional fields).
const API_VERSION_WITH_STATUS = '1.4';

const Handlebars = runtime as unknown as typeof HandlebarsModule;

/** A fresh Handlebars runtime environment (helpers registered on it stay on it). */
export function createHandlebars(): typeof HandlebarsModule {
  return Handlebars.create();
}

const handlebars = createHandlebars();
// HTML-escapes & < > " ' for text and quoted attributes (either quote). Handlebars' default
// escaping also turns `=` into `&#x3D;`, which is valid HTML but puts an entity inside every
// `#sha256=` fragment and `>=3.8` specifier; the PEP 503 examples (and every index) write a bare `=`.
handlebars.registerHelper(
  'e',
  (value: unknown) => new handlebars.SafeString(escapeHtml(String(value ?? ''))),
);

/** Escapes the five characters that matter in HTML text and quoted attribute values. Pure. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

let projectTemplate: HandlebarsTemplateDelegate | undefined;
let rootTemplate: HandlebarsTemplateDelegate | undefined;

/** A precompiled template (`templates/<name>`) bound to a Handlebars runtime with its helpers. */
export function precompiledTemplate(env: typeof HandlebarsModule, name: string): HandlebarsTemplateDelegate {
  const spec = (TEMPLATE_SPECS as Record<string, TemplateSpecification | undefined>)[name];
  if (spec === undefined) throw new PackyardError('INTERNAL', `no precompiled template ${name}`);
  return env.template(spec);
}

function template(name: string): HandlebarsTemplateDelegate {
  return precompiledTemplate(handlebars, name);
}

/** Sorts files into index order: PEP 440 version, wheels before the sdist, then by name. Pure. */
export function sortIndexEntries(files: readonly IndexEntry[]): IndexEntry[] {
  // A project has far fewer versions than files: the versions are ordered once, then files by rank.
  const rank = new Map<string, number>();
  for (const file of files) rank.set(file.version, 0);
  let previous: string | undefined;
  let current = 0;
  for (const version of [...rank.keys()].sort(compareVersionStrings)) {
    // PEP 440-equal spellings (1.0, 1.0.0) share a rank.
    if (previous !== undefined && compareVersionStrings(previous, version) !== 0) current += 1;
    rank.set(version, current);
    previous = version;
  }
  return [...files].sort(
    (a, b) =>
      (rank.get(a.version) as number) - (rank.get(b.version) as number) ||
      Number(!a.filename.endsWith('.whl')) - Number(!b.filename.endsWith('.whl')) ||
      (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0),
  );
}

/** The distinct versions of already sorted files, in order (PEP 700 `versions`). Pure. */
export function listVersions(sorted: readonly IndexEntry[]): string[] {
  const out: string[] = [];
  for (const file of sorted)
    if (out.at(-1) !== file.version && !out.includes(file.version)) out.push(file.version);
  return out;
}

function apiVersionOf(page: ProjectPage): string {
  if (!page.files.every((f) => f.size !== undefined)) return API_VERSION_WITHOUT_SIZES;
  return statusOf(page) === undefined ? API_VERSION : API_VERSION_WITH_STATUS;
}

// A project is active unless marked otherwise; an active mark says nothing, so it is left out.
function statusOf(page: ProjectPage): ProjectPage['status'] {
  return page.status === undefined || page.status.status === 'active' ? undefined : page.status;
}

// Prettier's handlebars printer drops a doctype (and the final newline), so the templates start at
// <html> and both are added here.
const DOCTYPE = '<!DOCTYPE html>\n';

/** The PEP 503 HTML project page for files already in index order. Pure. */
export function renderProjectHtml(page: ProjectPage): string {
  projectTemplate ??= template('project.html.hbs');
  return `${DOCTYPE}${projectTemplate({
    apiVersion: apiVersionOf(page),
    status: statusOf(page),
    name: page.name,
    files: page.files.map((file) => ({
      attributes: new handlebars.SafeString(renderAnchorAttributes(file)),
      filename: file.filename,
    })),
  })}\n`;
}

/**
 * The attributes of a file's anchor, each value HTML-escaped: the link with its `#sha256=`
 * fragment (PEP 503), and only when they apply `data-requires-python` (PEP 503), the metadata file
 * (`data-core-metadata`, PEP 714, and `data-dist-info-metadata`, PEP 658) and `data-yanked` (PEP 592).
 */
function renderAnchorAttributes(file: IndexEntry): string {
  const fragment = fragmentOf(file.hashes);
  let out = `href="${escapeHtml(fragment === '' ? file.url : `${file.url}#${fragment}`)}"`;
  if (file.requiresPython !== undefined && file.requiresPython !== '') {
    out += ` data-requires-python="${escapeHtml(file.requiresPython)}"`;
  }
  if (file.coreMetadata !== undefined) {
    const value = escapeHtml(file.coreMetadata === true ? 'true' : fragmentOf(file.coreMetadata) || 'true');
    out += ` data-core-metadata="${value}" data-dist-info-metadata="${value}"`;
  }
  if (file.yanked !== undefined)
    out += ` data-yanked="${escapeHtml(file.yanked === true ? '' : file.yanked)}"`;
  return out;
}

// PEP 503 carries one hash in the fragment; sha256 is the one every installer checks.
function fragmentOf(hashes: Record<string, string>): string {
  const name = 'sha256' in hashes ? 'sha256' : Object.keys(hashes)[0];
  return name === undefined ? '' : `${name}=${hashes[name]}`;
}

/** The PEP 691 JSON project page (with PEP 700 `versions`, `size`, `upload-time`). Pure. */
export function renderProjectJson(page: ProjectPage): string {
  const status = statusOf(page);
  return `${JSON.stringify({
    meta: { 'api-version': apiVersionOf(page) },
    name: page.name,
    ...(status === undefined ? {} : { 'project-status': status }),
    versions: listVersions(page.files),
    files: page.files.map(jsonFile),
  })}\n`;
}

function jsonFile(file: IndexEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { filename: file.filename, url: file.url, hashes: file.hashes };
  if (file.requiresPython !== undefined) out['requires-python'] = file.requiresPython;
  // PEP 714 renamed the key; the old one stays for clients that predate it. `false` says outright
  // that there is no metadata file, which HTML can only say by leaving the attribute out.
  out['core-metadata'] = file.coreMetadata ?? false;
  out['dist-info-metadata'] = file.coreMetadata ?? false;
  out['yanked'] = file.yanked ?? false;
  if (file.size !== undefined) out['size'] = file.size;
  if (file.uploadTime !== undefined) out['upload-time'] = file.uploadTime;
  return out;
}

/** The PEP 503 HTML root page listing normalised project names (sorted by the caller). Pure. */
export function renderRootHtml(projects: readonly string[]): string {
  rootTemplate ??= template('root.html.hbs');
  return `${DOCTYPE}${rootTemplate({ apiVersion: API_VERSION, projects })}\n`;
}

/** The PEP 691 JSON root page. Pure. */
export function renderRootJson(projects: readonly string[]): string {
  return `${JSON.stringify({ meta: { 'api-version': API_VERSION }, projects: projects.map((name) => ({ name })) })}\n`;
}

/** Reads a PEP 691 JSON project page written by renderProjectJson back into its entries. Pure. */
export function parseProjectJson(text: string, source: string): ProjectPage {
  let body: { name: string; files: Record<string, unknown>[]; 'project-status'?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
    if (typeof body.name !== 'string' || !Array.isArray(body.files))
      throw new Error('it has no "name" and "files"');
  } catch (error) {
    throw new PackyardError(
      'INTERNAL',
      `${source} is not a PEP 691 project page: ${(error as Error).message}`,
      {
        file: source,
        hint: 'rebuild the pages from the files with writeIndex',
        cause: error,
      },
    );
  }
  const status = body['project-status'] as { status?: unknown; reason?: unknown } | undefined;
  return {
    name: body.name,
    ...(status !== undefined && (status.status === 'archived' || status.status === 'deprecated')
      ? {
          status: {
            status: status.status,
            ...(typeof status.reason === 'string' ? { reason: status.reason } : {}),
          },
        }
      : {}),
    files: body.files.map((f) => {
      const filename = String(f['filename']);
      const parsed = parseDistributionFilename(filename);
      if (parsed === undefined) {
        throw new PackyardError(
          'INTERNAL',
          `${source} lists "${filename}", which is not a distribution file name`,
          {
            file: source,
            field: 'files[].filename',
            value: filename,
            hint: 'rebuild the pages from the files with writeIndex',
          },
        );
      }
      const entry: IndexEntry = {
        filename,
        url: String(f['url']),
        version: parsed.normalizedVersion,
        hashes: (f['hashes'] ?? {}) as Record<string, string>,
      };
      if (typeof f['requires-python'] === 'string') entry.requiresPython = f['requires-python'];
      const core = f['core-metadata'];
      if (core === true || (typeof core === 'object' && core !== null)) {
        entry.coreMetadata = core as true | Record<string, string>;
      }
      const yanked = f['yanked'];
      if (yanked === true || (typeof yanked === 'string' && yanked !== '')) entry.yanked = yanked;
      if (typeof f['size'] === 'number') entry.size = f['size'];
      if (typeof f['upload-time'] === 'string') entry.uploadTime = f['upload-time'];
      return entry;
    }),
  };
}
