import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, relative, isAbsolute } from 'node:path';
import pep440 from '@renovatebot/pep440';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { PackyardError } from '@packyard/core';
import { ALL_PLATFORMS, pexFileName } from '@packyard/pex-builder';

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const BINARY = /^[A-Za-z0-9._-]+$/;
/** A config larger than this is not a hand-written package config; refused before YAML parses it. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** YAML aliases allowed in one config (yaml's guard against alias-expansion attacks). */
const MAX_ALIASES = 100;
const PYTHON = /^3\.\d{1,2}$/;

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}`;

/** One `versions` entry: from `version` on (a PEP 440 lower bound), build with `python`. */
const VersionBound = z.strictObject({
  version: z.string({ error: required('a string such as "1.0.0"') }).refine((v) => pep440.valid(v) !== null, {
    error: (issue) => `"${String(issue.input)}" is not a PEP 440 version`,
  }),
  python: z
    .string({ error: required('a string such as "3.11"') })
    .regex(PYTHON, { error: (issue) => `"${String(issue.input)}" is not a Python version such as "3.11"` }),
});

/** The schema of `packages/<name>/config.yaml`: the seed's fields, nothing else. */
export const PackageConfigSchema = z.strictObject({
  config_version: z
    .number({ error: (issue) => `must be a positive whole number, not ${JSON.stringify(issue.input)}` })
    .refine((n) => Number.isInteger(n) && n > 0, {
      error: (issue) => `must be a positive whole number, not ${String(issue.input)}`,
    })
    .default(1),
  package: z
    .string({ error: required('a string') })
    .regex(NAME, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid Python project name (letters, digits, ".", "_", "-"; starting and ending with a letter or digit)`,
    })
    .optional(),
  description: z.string().optional(),
  binaries: z
    .array(
      z
        .string()
        .regex(BINARY, {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is not a valid binary name (letters, digits, ".", "_", "-")`,
        })
        .refine((b) => b !== '.' && b !== '..', {
          error: (issue) => `${JSON.stringify(issue.input)} is not a valid binary name`,
        }),
      {
        error: required('a list of binary names'),
      },
    )
    .min(1, { error: 'must name at least one binary' }),
  // Hermit expands ${name} in `test` with its own variables and fails on any other
  // (https://cashapp.github.io/hermit/packaging/reference/#variables); a shell's $NAME is passed on.
  test: z
    .string()
    .refine((test) => !test.includes('${'), {
      error: (issue) =>
        `${JSON.stringify(issue.input)}: Hermit expands \${…} itself and fails on unknown variables; write $NAME`,
    })
    .optional(),
  repository: z.string().url().optional(),
  versions: z
    .array(VersionBound, { error: required('a list of {version, python}') })
    .min(1, { error: 'must not be empty' }),
  extra_packages: z
    .array(
      z
        .string({ error: required('a string: one PEP 508 requirement') })
        .refine((r) => r.trim() !== '', { error: 'must not be empty' })
        .refine((r) => !/[\r\n]/.test(r), {
          error: (issue) =>
            `${JSON.stringify(issue.input)} spans several lines; give one requirement per entry`,
        })
        .refine((r) => !r.trim().startsWith('-'), {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is a pip option, not a requirement; options are not allowed (use index_url for the index)`,
        }),
      { error: required('a list of PEP 508 requirements') },
    )
    .default([]),
  /** Allows `name @ https://…` direct references in extra_packages (off: they bypass the index). */
  allow_direct_urls: z.boolean({ error: required('true or false') }).default(false),
  index_url: z
    .string({ error: required('an http(s) URL') })
    .refine((u) => /^https?:$/.test(urlProtocol(u)), {
      error: (issue) => `${JSON.stringify(issue.input)} is not an http or https URL`,
    })
    .optional(),
});

export type PackageConfigInput = z.input<typeof PackageConfigSchema>;

/** A validated package config, with defaults filled in. */
export interface PackageConfig {
  /** The file it was read from. */
  file: string;
  /** The PyPI project name (defaults to the directory name). */
  package: string;
  configVersion: number;
  description: string;
  binaries: string[];
  test: string;
  repository: string | undefined;
  versions: Array<{ version: string; python: string }>;
  extraPackages: string[];
  allowDirectUrls: boolean;
  indexUrl: string | undefined;
  /** Whether `package` was taken from the directory name. */
  packageFromDirectory: boolean;
}

/** Validates config text. Every problem is reported at once, each as `file: path: message`. */
export function parsePackageConfig(text: string, file: string): PackageConfig {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `is ${Buffer.byteLength(text)} bytes, more than the ${MAX_CONFIG_BYTES} a package config may have`,
      { file },
    );
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    // yaml's message reads "<what> at line L, column C:" followed by a source excerpt.
    throw new PackyardError(
      'CONFIG_INVALID',
      `invalid YAML: ${first.message.split('\n')[0]!.replace(/:$/, '')}`,
      {
        file,
        cause: first,
      },
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (error) {
    // yaml refuses alias expansion beyond maxAliasCount ("excessive alias count").
    throw new PackyardError(
      'CONFIG_INVALID',
      `YAML refused by the parser's resource limits: ${(error as Error).message}`,
      { file, cause: error },
    );
  }
  const problems = [...findYamlNumberPitfalls(doc)];
  const result = PackageConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({
            path: joinPath([...issue.path, key]),
            message: `unknown key (allowed: ${allowedKeys(issue.path)})`,
          });
        }
      } else {
        const path = joinPath(issue.path);
        if (!problems.some((p) => p.path === path)) problems.push({ path, message: issue.message });
      }
    }
  }
  const top = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<
    string,
    unknown
  >;
  const pkg = typeof top.package === 'string' ? top.package : basename(dirname(file));
  problems.push(
    ...findSemanticProblems(
      { packageGiven: top.package !== undefined, binaries: Array.isArray(top.binaries) ? top.binaries : [] },
      pkg,
      problems,
    ),
  );
  if (problems.length > 0 || !result.success) {
    // The first problem fills file/field; the others follow on their own lines in the same form.
    const [first, ...rest] =
      problems.length > 0 ? problems : [{ path: '(top level)', message: 'is invalid' }];
    const message = [first!.message, ...rest.map((p) => `${file}: ${p.path}: ${p.message}`)].join('\n');
    throw new PackyardError('CONFIG_INVALID', message, { file, field: first!.path });
  }
  const data = result.data;
  return {
    file,
    package: pkg!,
    configVersion: data.config_version,
    description: data.description ?? `Python tool ${pkg} packaged as PEX`,
    binaries: data.binaries,
    test: data.test ?? `${data.binaries[0]} --help`,
    repository: data.repository,
    versions: data.versions,
    extraPackages: data.extra_packages,
    allowDirectUrls: data.allow_direct_urls,
    indexUrl: data.index_url,
    packageFromDirectory: data.package === undefined,
  };
}

/**
 * What the schema alone cannot say: a project name taken from the directory must be valid too, and
 * binary names must not collide with each other (also after case folding, as on macOS) or with a PEX.
 */
function findSemanticProblems(
  data: { packageGiven: boolean; binaries: readonly unknown[] },
  pkg: string,
  already: ReadonlyArray<{ path: string }>,
): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (!data.packageGiven && !NAME.test(pkg)) {
    problems.push({
      path: 'package',
      message: `${JSON.stringify(pkg)} (the directory name, as no package is given) is not a valid Python project name; set package: to the PyPI project`,
    });
  }
  const pexNames = NAME.test(pkg) ? ALL_PLATFORMS.map((p) => pexFileName(pkg, p)) : [];
  const seen = new Map<string, number>();
  data.binaries.forEach((binary, index) => {
    const path = `binaries[${index}]`;
    if (typeof binary !== 'string' || already.some((p) => p.path === path)) return;
    const folded = binary.toLowerCase();
    const clash = pexNames.find((name) => name.toLowerCase() === folded);
    const before = seen.get(folded);
    if (clash !== undefined) {
      problems.push({ path, message: `${JSON.stringify(binary)} clashes with the PEX file ${clash}` });
    } else if (before !== undefined) {
      const other = data.binaries[before] as string;
      problems.push({
        path,
        message:
          other === binary
            ? `${JSON.stringify(binary)} is listed twice (also binaries[${before}])`
            : `${JSON.stringify(binary)} clashes with binaries[${before}] ${JSON.stringify(other)} on a case-insensitive file system`,
      });
    } else seen.set(folded, index);
  });
  return problems;
}

/**
 * Reads and validates a config file; a missing file is CONFIG_MISSING. With `root`, a config.yaml that
 * is a symlink resolving outside `root` (the repository) is refused before it is read.
 */
export async function readPackageConfig(
  file: string,
  options: { root?: string | undefined } = {},
): Promise<PackageConfig> {
  let text: string;
  try {
    if (options.root !== undefined && (await lstat(file)).isSymbolicLink()) {
      const target = await realpath(file).catch(() => undefined);
      const root = await realpath(options.root);
      const inside =
        target !== undefined &&
        !relative(root, target).startsWith('..') &&
        !isAbsolute(relative(root, target));
      if (!inside) {
        throw new PackyardError(
          'CONFIG_INVALID',
          `is a symlink to ${target ?? 'a missing file'}, outside the repository ${root}`,
          { file, hint: 'a package config must live in the repository; copy it in instead of linking' },
        );
      }
    }
    const size = (await stat(file)).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `is ${size} bytes, more than the ${MAX_CONFIG_BYTES} a package config may have`,
        { file },
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof PackyardError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PackyardError('CONFIG_MISSING', 'config.yaml is missing', {
        file,
        hint: 'every directory under packages/ needs a config.yaml (see README "Adding a package")',
      });
    }
    throw new PackyardError('CONFIG_INVALID', `cannot read: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  return parsePackageConfig(text, file);
}

/**
 * YAML reads `python: 3.10` as the float 3.1 (and `version: 1.10` as 1.1), a classic silent bug. Look
 * at the source text of every such value and say what was written and what YAML made of it.
 */
function findYamlNumberPitfalls(doc: Document): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const versions = isMap(doc.contents) ? doc.contents.get('versions', true) : undefined;
  if (!isSeq(versions)) return problems;
  versions.items.forEach((item, index) => {
    if (!isMap(item)) return;
    for (const key of ['version', 'python']) {
      const node = item.get(key, true);
      if (isScalar(node) && typeof node.value === 'number') {
        const written = node.source ?? String(node.value);
        problems.push({
          path: `versions[${index}].${key}`,
          message: `${written} is a YAML number (read as ${String(node.value)}); quote it: ${key}: "${written}"`,
        });
      }
    }
  });
  return problems;
}

function joinPath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
      .join('') || '(top level)'
  );
}

function allowedKeys(path: ReadonlyArray<PropertyKey>): string {
  const shape = path.length === 0 ? PackageConfigSchema.shape : VersionBound.shape;
  return Object.keys(shape).join(', ');
}

function urlProtocol(text: string): string {
  try {
    return new URL(text).protocol;
  } catch {
    return '';
  }
}

/** The JSON Schema of config.yaml, for editors. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(PackageConfigSchema, { io: 'input' });
}
