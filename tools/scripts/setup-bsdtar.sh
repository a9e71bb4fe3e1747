#!/usr/bin/env bash
# Installs bsdtar (Debian's libarchive-tools), pinned, so the archive tests can list packyard's
# archives with a second, independent tar reader beside GNU tar. Idempotent: does nothing when the
# pinned version is already there. Needs root (CI runs as root) or sudo. Prints bsdtar's path.
set -euo pipefail
version="${PACKYARD_LIBARCHIVE_TOOLS_VERSION:-3.6.2-1+deb12u5}"
installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
ready() { [ "$(installed libarchive-tools)" = "$version" ] && command -v bsdtar >/dev/null; }
# shellcheck source=tools/scripts/apt-install-once.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-once.sh"
apt_install_once libarchive-tools ready "libarchive-tools=$version"
ready || { echo "libarchive-tools $version did not install" >&2; exit 1; }
echo "bsdtar=$(command -v bsdtar)"
