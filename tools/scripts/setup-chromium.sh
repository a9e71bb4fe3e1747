#!/usr/bin/env bash
# Installs Debian's chromium, pinned, for the screenshot tests of the index pages for people
# (wheel-index). Idempotent: does nothing when the pinned version is already there. Needs root (CI
# runs as root) or sudo. Prints the path of the chromium binary on success (its last line).
set -euo pipefail
chromium_version="${PACKYARD_CHROMIUM_VERSION:-156.0.8078.129-1~deb12u1}"
# Screenshots need a font with the glyphs the pages use.
fonts_version="${PACKYARD_FONTS_DEJAVU_VERSION:-2.37-6}"
installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
ready() {
  [ "$(installed chromium)" = "$chromium_version" ] && [ "$(installed fonts-dejavu-core)" = "$fonts_version" ] \
    && command -v chromium >/dev/null
}
report() { command -v chromium; }
# shellcheck source=tools/scripts/apt-install-once.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-once.sh"
apt_install_once chromium ready "chromium=$chromium_version" "chromium-common=$chromium_version" \
  "fonts-dejavu-core=$fonts_version"
ready || { echo "chromium $chromium_version did not install" >&2; exit 1; }
report
