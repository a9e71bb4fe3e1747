import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import pep440 from '@renovatebot/pep440';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { PackyardError } from '@packyard/core';

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const BINARY = /^[A-Za-z0-9._-]+$/;
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
    .number({ error: required('a whole number') })
    .int()
    .positive()
    .default(1),
  package: z.string().regex(NAME, { error: 'must be a Python project name' }).optional(),
  description: z.string().optional(),
  binaries: z
    .array(
      z.string().regex(BINARY, { error: (issue) => `"${String(issue.input)}" is not a valid binary name` }),
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
  extra_packages: z.array(z.string().min(1)).default([]),
  index_url: z.string().url().optional(),
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
  indexUrl: string | undefined;
}

/** Validates config text. Every problem is reported at once, each as `file: path: message`. */
export function parsePackageConfig(text: string, file: string): PackageConfig {
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
  const problems = [...findYamlNumberPitfalls(doc)];
  const result = PackageConfigSchema.safeParse(doc.toJS() ?? {});
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
  if (problems.length > 0 || !result.success) {
    // The first problem fills file/field; the others follow on their own lines in the same form.
    const [first, ...rest] =
      problems.length > 0 ? problems : [{ path: '(top level)', message: 'is invalid' }];
    const message = [first!.message, ...rest.map((p) => `${file}: ${p.path}: ${p.message}`)].join('\n');
    throw new PackyardError('CONFIG_INVALID', message, { file, field: first!.path });
  }
  const data = result.data;
  const pkg = data.package ?? basename(dirname(file));
  return {
    file,
    package: pkg,
    configVersion: data.config_version,
    description: data.description ?? `Python tool ${pkg} packaged as PEX`,
    binaries: data.binaries,
    test: data.test ?? `${data.binaries[0]} --help`,
    repository: data.repository,
    versions: data.versions,
    extraPackages: data.extra_packages,
    indexUrl: data.index_url,
  };
}

/** Reads and validates a config file; a missing file is CONFIG_MISSING. */
export async function readPackageConfig(file: string): Promise<PackageConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
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

/** The JSON Schema of config.yaml, for editors. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(PackageConfigSchema, { io: 'input' });
}
