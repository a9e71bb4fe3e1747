import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { PackyardError } from '@packyard/core';

// Names may hold hyphens (real channels have `gui-layout-toolbox`): the .mhl name is read from the
// right, so only the version and the tags must be free of them.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const PART = /^[A-Za-z0-9_.+]+$/;

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}`;

const nameField = z
  .string({ error: required('a string') })
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters (it names files)' })
  .refine((v) => !v.includes('/') && !v.includes('..'), {
    error: (issue) => `${JSON.stringify(issue.input)} must not contain "/" or ".."`,
  })
  .refine((v) => v === '' || v.includes('/') || v.includes('..') || NAME.test(v), {
    error: (issue) => `${JSON.stringify(issue.input)} may hold only letters, digits and _ . + -`,
  });

const part = (what: string) =>
  z
    .string({ error: required('a string') })
    .min(1, { error: 'must not be empty' })
    .refine((v) => !v.includes('-'), {
      error: (issue) =>
        `${JSON.stringify(issue.input)} must not contain "-" (it separates the parts of the .mhl name)`,
    })
    .refine((v) => v === '' || v.includes('-') || PART.test(v), {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid ${what} (letters, digits and _ . + only)`,
    });

const relativePath = z
  .string({ error: required('a relative path') })
  .min(1, { error: 'must not be empty' })
  .refine((v) => !v.startsWith('/') && !v.split('/').includes('..'), {
    error: (issue) => `${JSON.stringify(issue.input)} must be a relative path inside the package`,
  });

/** Where a package's files come from: a folder in the repository, a git repository at a ref, or a zip URL. */
const SourceSchema = z.union([
  z.strictObject({ folder: relativePath, subdirectory: relativePath.optional() }),
  z.strictObject({ git: z.string().min(1), ref: z.string().min(1), subdirectory: relativePath.optional() }),
  z.strictObject({ zip: z.string().url(), subdirectory: relativePath.optional() }),
]);

/** The metadata fields of a package, shared by mip.yaml and package.py. */
const MetadataShape = {
  name: nameField,
  description: z.string({ error: required('a string') }),
  version: part('version'),
  build_number: z
    .number({ error: required('a whole number') })
    .int()
    .nonnegative()
    .default(0),
  dependencies: z.array(z.string().min(1)).default([]),
  homepage: z.string().default(''),
  repository: z.string().default(''),
  license: z.string().default(''),
  matlab_tag: part('matlab_tag').default('any'),
  abi_tag: part('abi_tag').default('none'),
  platform_tag: part('platform_tag').default('any'),
  usage_examples: z.array(z.string()).default([]),
};

/** The schema of a package directory's `mip.yaml`. */
export const MipYamlSchema = z.strictObject({
  ...MetadataShape,
  source: SourceSchema,
  /** Folders (relative to the package contents) put on the MATLAB path by load_package.m. */
  paths: z.array(relativePath).min(1, { error: 'must name at least one folder' }).default(['.']),
});

/** The attributes a package.py / packages.py package object must have (read through the bridge). */
export const PythonPackageSchema = z.object({ ...MetadataShape });

/** The published metadata of one package, before build values are added. */
export type PackageMetadata = z.output<z.ZodObject<typeof MetadataShape>>;

/** A package's source, as written in mip.yaml. */
export type PackageSource = z.output<typeof SourceSchema>;

/** One package definition, from mip.yaml or from a Python package file. */
export type PackageDefinition =
  | {
      kind: 'yaml';
      file: string;
      dir: string;
      metadata: PackageMetadata;
      source: PackageSource;
      paths: string[];
    }
  | {
      kind: 'python';
      file: string;
      dir: string;
      index: number;
      metadata: PackageMetadata;
      buildType: string | undefined;
    };

/** The `.mhl` name: `{name}-{version}-{matlab_tag}-{abi_tag}-{platform_tag}`. Pure. */
export function mhlName(
  metadata: Pick<PackageMetadata, 'name' | 'version' | 'matlab_tag' | 'abi_tag' | 'platform_tag'>,
): string {
  return `${metadata.name}-${metadata.version}-${metadata.matlab_tag}-${metadata.abi_tag}-${metadata.platform_tag}`;
}

/** Splits an .mhl name from the right (names may hold hyphens). Pure. */
export function parseMhlName(
  name: string,
): { name: string; version: string; matlab_tag: string; abi_tag: string; platform_tag: string } | undefined {
  const parts = name.replace(/\.mhl$/, '').split('-');
  if (parts.length < 5) return undefined;
  const [platform_tag, abi_tag, matlab_tag, version] = parts.splice(-4).reverse() as [
    string,
    string,
    string,
    string,
  ];
  return { name: parts.join('-'), version, matlab_tag, abi_tag, platform_tag };
}

interface Problem {
  path: string;
  message: string;
  value: unknown;
}

/**
 * Validates `data` against `schema`, reporting every problem at once. The error names the file, the
 * first field at fault (dotted path, as the user wrote it) and its value; the others follow, one a line.
 */
export function validateAgainst<T extends z.ZodType>(schema: T, data: unknown, file: string): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          path: joinPath([...issue.path, key]),
          message: 'unknown key',
          value: valueAt(data, [...issue.path, key]),
        });
      }
    } else if (issue.code === 'invalid_union' && issue.path.join('.') === 'source') {
      problems.push({
        path: 'source',
        message: 'must be one of {folder}, {git, ref} or {zip} (with an optional subdirectory)',
        value: valueAt(data, issue.path),
      });
    } else {
      const value = valueAt(data, issue.path);
      problems.push({ path: joinPath(issue.path), message: withValue(issue.message, value), value });
    }
  }
  const [first, ...rest] = problems;
  const message = [first!.message, ...rest.map((p) => `${file}: ${p.path}: ${p.message}`)].join('\n');
  throw new PackyardError('CONFIG_INVALID', message, { file, field: first!.path, value: first!.value });
}

/** Parses and validates mip.yaml text. */
export function parseMipYaml(text: string, file: string, dir: string): PackageDefinition {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PackyardError('CONFIG_INVALID', `invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, {
      file,
      cause: doc.errors[0],
    });
  }
  let raw: unknown;
  try {
    // toJS refuses documents that expand aliases past yaml's limit (an alias bomb).
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `invalid YAML: ${(error as Error).message}`, {
      file,
      field: '(top level)',
      value: '(aliases)',
      cause: error,
    });
  }
  const data = validateAgainst(MipYamlSchema, raw, file);
  const { source, paths, ...metadata } = data;
  if ('zip' in source && !/^https?:\/\//i.test(source.zip)) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `must be an http:// or https:// URL, not ${JSON.stringify(source.zip)}`,
      {
        file,
        field: 'source.zip',
        value: source.zip,
      },
    );
  }
  return { kind: 'yaml', file, dir, metadata, source, paths };
}

/** Reads and validates a mip.yaml file. */
export async function readMipYaml(file: string, dir: string): Promise<PackageDefinition> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PackyardError(
      'CONFIG_INVALID',
      error.code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read: ${error.message}`,
      { file, value: file, cause: error },
    );
  });
  return parseMipYaml(text, file, dir);
}

/** The JSON Schema of mip.yaml, for editors. */
export function mipYamlJsonSchema(): unknown {
  return z.toJSONSchema(MipYamlSchema, { io: 'input' });
}

/** "must be a string" → "must be a string, not 1.1": every message shows the value as written. Pure. */
function withValue(message: string, value: unknown): string {
  if (value === undefined || value === '') return message;
  const shown = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  if (message.includes(shown)) return message;
  const short = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  return `${message}, not ${short}`;
}

function joinPath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') ||
    '(top level)'
  );
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
