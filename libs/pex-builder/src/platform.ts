import { PackyardError, type Platform } from '@packyard/core';

// A PEP 508 distribution name (https://peps.python.org/pep-0508/#names); it also never contains
// a path separator, so it is safe in a file name.
const PACKAGE_NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

/** Throws CONFIG_INVALID unless `name` is a PEP 508 distribution name. Pure. */
export function checkPackageName(name: string): string {
  if (!PACKAGE_NAME.test(name)) {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(name)} is not a valid Python package name`, {
      field: 'package',
      value: name,
      hint: 'see https://peps.python.org/pep-0508/#names (letters, digits, ".", "_", "-")',
    });
  }
  return name;
}

/** `${pkg}-${os}-${arch}.pex`. Pure. */
export function pexFileName(pkg: string, p: Platform): string {
  return `${checkPackageName(pkg)}-${p.os}-${p.arch}.pex`;
}

/** `${pkg}-${os}-${arch}.tar.gz`: the asset name Hermit's manifest `source` points at. Pure. */
export function tarballName(pkg: string, p: Platform): string {
  return `${checkPackageName(pkg)}-${p.os}-${p.arch}.tar.gz`;
}
