import { PackyardError } from '@packyard/core';

// Both names are written into a shell script; this charset needs no quoting in any shell.
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/** Throws CONFIG_INVALID unless `name` is safe as a file name and inside a shell script. Pure. */
export function checkBinaryName(name: string, field = 'binaries'): string {
  if (!SAFE_NAME.test(name) || name === '.' || name === '..') {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(name)} is not a usable binary name`, {
      field,
      value: name,
      hint: 'binary names may contain only letters, digits, ".", "_" and "-"',
    });
  }
  return name;
}

/**
 * A bash script that runs `binary` (a console script or a wheel script) from the PEX beside it.
 * Hermit links binaries into its bin directory, so the script follows symlinks to find its real
 * directory; the loop uses plain `readlink` because macOS ships bash 3.2 and a `readlink` without
 * `-f`. Pure.
 */
export function renderWrapper(binary: string, pexFile: string): string {
  checkBinaryName(binary);
  checkBinaryName(pexFile, 'pexFile');
  return `#!/usr/bin/env bash
# Runs \`${binary}\` from ${pexFile}, which sits beside the real location of this script.
self="\${BASH_SOURCE[0]}"
while [ -L "$self" ]; do
  link="$(readlink "$self")"
  case "$link" in
    /*) self="$link" ;;
    *) self="$(dirname "$self")/$link" ;;
  esac
done
dir="$(CDPATH= cd -P "$(dirname "$self")" && pwd)"
PEX_SCRIPT=${binary} exec "$dir/${pexFile}" "$@"
`;
}
