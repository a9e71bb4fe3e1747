import { archiveFormatOf } from '@packyard/archive';
import { PackyardError, type ErrorCode } from '@packyard/core';

/** What a refused name is, for the message (`final name`) and the field it names (`finalName`). */
interface NameKind {
  label: string;
  field: string;
  code: ErrorCode;
  hint: string;
}

function refuse(kind: NameKind, value: string, problem: string): PackyardError {
  return new PackyardError(kind.code, `${kind.label} ${JSON.stringify(value)} ${problem}`, {
    field: kind.field,
    value,
    hint: kind.hint,
  });
}

const FINAL_NAME: NameKind = {
  label: 'final name',
  field: 'finalName',
  code: 'ARCHIVE_INVALID',
  hint: "give a file name without '/' or a leading '.', such as foobar-go-modules-1.2.3.tar.xz",
};
const TOP_DIRECTORY: NameKind = {
  label: 'top directory',
  field: 'topDirectory',
  code: 'ARCHIVE_INVALID',
  hint: "give one directory name without '/' or '..', such as dynamic-archive-1.0",
};
const SCOPE: NameKind = {
  label: 'scope',
  field: 'scope',
  code: 'ARCHIVE_INVALID',
  hint: 'use letters, digits, ".", "_" or "-", such as "local"',
};
const PREFIX: NameKind = {
  label: 'prefix',
  field: 'prefix',
  code: 'CONFIG_INVALID',
  hint: 'give a prefix such as distfiles/',
};

/** A final name is one path segment in a supported format. Pure. */
export function checkFinalName(finalName: string): string {
  if (
    typeof finalName !== 'string' ||
    finalName === '' ||
    finalName.includes('/') ||
    finalName.includes('\0') ||
    finalName.startsWith('.')
  ) {
    throw refuse(FINAL_NAME, finalName, 'is not a plain file name');
  }
  archiveFormatOf(finalName);
  return finalName;
}

/** A top directory is one path segment. Pure. */
export function checkTopDirectory(top: string): string {
  if (
    typeof top !== 'string' ||
    top === '' ||
    top === '.' ||
    top === '..' ||
    top.includes('/') ||
    top.includes('\\') ||
    top.includes('\0')
  ) {
    throw refuse(TOP_DIRECTORY, top, 'is not a single directory name');
  }
  return top;
}

/** A scope is one path segment, as metatools uses it (`local`, a kit name, …). Pure. */
export function checkScope(scope: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(scope) || scope === '.' || scope === '..') {
    throw refuse(SCOPE, scope, 'is not a single path segment');
  }
  return scope;
}

/** A key prefix in the CDN store: relative, no `..` or empty segment; returned ending in `/` (or empty). Pure. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return '';
  if (
    prefix.startsWith('/') ||
    prefix.split('/').some((part, i, all) => part === '..' || (part === '' && i < all.length - 1))
  ) {
    throw refuse(PREFIX, prefix, 'is not a relative key prefix');
  }
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}
