import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { PackyardError } from '@packyard/core';
import { escapeHclString, escapeHclTemplateString } from './escape.js';
import { HERMIT_PLATFORMS, type HermitManifest } from './model.js';
import { normalizeManifest, platformsOf } from './order.js';

const TEMPLATE_NAME = 'hermit-manifest.hcl.hbs';

// A published package carries the template next to its modules (the compile script copies it);
// inside the workspace, src/ and dist/ sit at the same depth below the shared templates/ directory.
const bundledTemplate = fileURLToPath(new URL(`./${TEMPLATE_NAME}`, import.meta.url));
const workspaceTemplate = fileURLToPath(new URL(`../../../templates/${TEMPLATE_NAME}`, import.meta.url));

/** Absolute path of the handlebars template `renderManifest` uses when none is given. */
export const DEFAULT_TEMPLATE_PATH: string = existsSync(bundledTemplate)
  ? bundledTemplate
  : workspaceTemplate;

// Helpers live on a private instance so no other code's helpers (or ours on theirs) leak across.
const handlebars = Handlebars.create();
const HCL_HELPERS = {
  hcl: (value: unknown) => `"${escapeHclString(requireString('hcl', value))}"`,
  hclTemplate: (value: unknown) => `"${escapeHclTemplateString(requireString('hclTemplate', value))}"`,
  hclList: (values: unknown) => {
    if (!Array.isArray(values)) throw templateError(`hclList expects a list, got ${typeof values}`);
    return `[${values.map((value) => `"${escapeHclString(requireString('hclList', value))}"`).join(', ')}]`;
  },
} as const;
for (const [name, helper] of Object.entries(HCL_HELPERS)) handlebars.registerHelper(name, helper);

const compiled = new Map<string, HandlebarsTemplateDelegate>();
let defaultTemplateSource: string | undefined;

/**
 * Renders a manifest as Hermit HCL. Pure apart from reading the packaged default template once; the
 * same model always gives the same bytes, ending in exactly one newline.
 */
export function renderManifest(manifest: HermitManifest, options: { template?: string } = {}): string {
  const model = normalizeManifest(manifest);
  const template = compileTemplate(options.template ?? readDefaultTemplate());
  // The platforms every version has get their source once at the top; a version's other platforms
  // get it in its own block. With every Hermit platform common, that is the single top-level `source`.
  const common = HERMIT_PLATFORMS.filter((p) => model.versions.every((v) => platformsOf(v).includes(p)));
  const sourcesFor = (platforms: readonly string[]) =>
    platforms.map((platform) => {
      const [os = '', arch = ''] = platform.split('-');
      return { os, arch, source: model.source };
    });
  const text = template({
    description: model.description,
    binaries: model.binaries,
    test: model.test ?? null,
    repository: model.repository ?? null,
    source: model.source,
    allPlatforms: common.length === HERMIT_PLATFORMS.length,
    platforms: common.length === HERMIT_PLATFORMS.length ? [] : sourcesFor(common),
    versions: model.versions.map((v) => ({
      version: v.version,
      runtimeDependencies: v.runtimeDependencies,
      platforms: sourcesFor(platformsOf(v).filter((p) => !common.includes(p))),
    })),
    sha256sums: Object.entries(model.sha256sums).map(([url, sha256]) => ({ url, sha256 })),
  });
  return `${text.replace(/\s+$/, '')}\n`;
}

function readDefaultTemplate(): string {
  try {
    defaultTemplateSource ??= readFileSync(DEFAULT_TEMPLATE_PATH, 'utf8');
  } catch (error) {
    throw new PackyardError('CONFIG_MISSING', 'the default Hermit manifest template is missing', {
      file: DEFAULT_TEMPLATE_PATH,
      cause: error,
      hint: 'reinstall @packyard/hermit-render, or pass options.template',
    });
  }
  return defaultTemplateSource;
}

function compileTemplate(source: string): HandlebarsTemplateDelegate {
  let template = compiled.get(source);
  if (template === undefined) {
    new HclOnlyOutput().accept(handlebars.parse(source));
    template = handlebars.compile(source, { strict: true, noEscape: false });
    compiled.set(source, template);
  }
  return template;
}

/**
 * Refuses templates that print anything except through an HCL helper: a bare `{{x}}` would be
 * HTML-escaped and `{{{x}}}` not escaped at all, and either way the HCL could break or be injected.
 */
class HclOnlyOutput extends Handlebars.Visitor {
  override MustacheStatement(mustache: hbs.AST.MustacheStatement): void {
    const helper =
      mustache.path.type === 'PathExpression'
        ? (mustache.path as hbs.AST.PathExpression).original
        : undefined;
    if (helper === undefined || !(helper in HCL_HELPERS) || mustache.params.length !== 1) {
      throw templateError(
        `every {{…}} must call one HCL helper (${Object.keys(HCL_HELPERS).join(', ')}) with one argument; ` +
          `found {{${helper ?? mustache.path.type}}} at line ${mustache.loc.start.line}`,
      );
    }
    super.MustacheStatement(mustache);
  }

  override PartialStatement(partial: hbs.AST.PartialStatement): void {
    throw templateError(`partials are not supported (line ${partial.loc.start.line})`);
  }
}

function requireString(helper: string, value: unknown): string {
  if (typeof value !== 'string') throw templateError(`${helper} expects a string, got ${typeof value}`);
  return value;
}

function templateError(message: string): PackyardError {
  return new PackyardError('CONFIG_INVALID', `Hermit manifest template: ${message}`, {
    field: 'template',
    hint: 'print values only through {{{hcl x}}}, {{{hclTemplate x}}} or {{{hclList x}}}',
  });
}
