import { isMap, parseDocument } from 'yaml';
import { PackyardError } from '@packyard/core';

// The name becomes a shell word in `node apps/hermit-pex/dist/main.js <cmd> <name>` and an Nx project
// name, so it is held to what PyPI allows in a project name (PEP 508 identifiers) and nothing more.
// https://packaging.python.org/en/latest/specifications/name-normalization/
const PACKAGE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * The package a `packages/<directory>/config.yaml` declares, which must be its directory's name: the
 * CLI selects packages by directory, Nx names the project after it. Only the `package` field is read
 * here; hermit-pex validates the rest when a target runs. Pure.
 */
export function parsePackageName(text: string, file: string, directory: string): string {
  const doc = parseDocument(text, { prettyErrors: true });
  const [syntax] = doc.errors;
  if (syntax) {
    // yaml's pretty message: what, "at line L, column C:", then the offending lines with a caret.
    throw new PackyardError('CONFIG_INVALID', `not valid YAML: ${syntax.message.trimEnd()}`, {
      file,
      cause: syntax,
      hint: 'only the first syntax error is shown; fix it and run again',
    });
  }
  if (!isMap(doc.contents)) {
    throw new PackyardError('CONFIG_INVALID', 'the file is not a YAML mapping', {
      file,
      hint: `start from a copy of another packages/*/config.yaml and set package: ${directory}`,
    });
  }
  const value: unknown = doc.get('package');
  if (value === undefined || value === null) {
    throw new PackyardError('CONFIG_INVALID', 'is missing', {
      file,
      field: 'package',
      hint: `add package: ${directory}`,
    });
  }
  if (typeof value !== 'string') {
    throw new PackyardError('CONFIG_INVALID', `must be a string, not ${JSON.stringify(value)}`, {
      file,
      field: 'package',
      value,
      hint: `write package: ${directory}`,
    });
  }
  if (value !== directory) {
    throw new PackyardError('CONFIG_INVALID', `"${value}" differs from its directory name "${directory}"`, {
      file,
      field: 'package',
      value,
      hint: `the directory is the package's name: rename packages/${directory} to packages/${value}, or set package: ${directory}`,
    });
  }
  if (!PACKAGE_NAME.test(value)) {
    throw new PackyardError('CONFIG_INVALID', `"${value}" is not a valid package name`, {
      file,
      field: 'package',
      value,
      hint: 'use letters, digits, ".", "_" and "-", starting and ending with a letter or digit',
    });
  }
  return value;
}
