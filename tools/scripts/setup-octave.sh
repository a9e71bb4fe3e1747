#!/usr/bin/env bash
# Installs GNU Octave (octave-cli) and its MEX compiler (mkoctfile) from Debian, pinned, for the
# compile step of mip-publish (compile.m run without MATLAB). Idempotent: does nothing when the
# pinned version is already there. Needs root (CI runs as root) or sudo.
set -euo pipefail
version="${PACKYARD_OCTAVE_VERSION:-7.3.0-2}"
installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
ready() {
  [ "$(installed octave)" = "$version" ] && [ "$(installed octave-dev)" = "$version" ] \
    && command -v octave-cli >/dev/null && command -v mkoctfile >/dev/null
}
# shellcheck source=tools/scripts/apt-install-once.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-once.sh"
ready && exit 0
apt_install_once octave ready "octave=$version" "octave-dev=$version"
octave-cli --version | head -1
