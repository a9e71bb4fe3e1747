#!/usr/bin/env bash
# Makes sure a headless Chromium is installed (Debian's `chromium` package) and prints its path.
# Idempotent: does nothing when one is already on PATH (or at $PACKYARD_CHROMIUM). Installing needs
# root (CI runs as root); other processes may hold the dpkg lock, so apt waits for it.
set -euo pipefail

if [[ -n "${PACKYARD_CHROMIUM:-}" && -x "${PACKYARD_CHROMIUM}" ]]; then
  echo "${PACKYARD_CHROMIUM}"
  exit 0
fi
for candidate in chromium chromium-browser; do
  if path="$(command -v "${candidate}")"; then
    echo "${path}"
    exit 0
  fi
done

if [[ "$(id -u)" != 0 ]]; then
  echo "ensure-chromium: chromium is not installed and installing it needs root: apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3 "$@"; }
echo "ensure-chromium: installing Debian's chromium package" >&2
apt_get update -qq >&2
apt_get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
command -v chromium
