#!/usr/bin/env bash
# Installs qemu-user (qemu-aarch64) and the arm64 glibc loader and libraries (libc6-arm64-cross) from
# Debian, pinned, so wheel-release's install test can run a linux-arm64 binary on an x86-64 host.
# Idempotent: does nothing when the pinned versions are already there. Needs root (CI runs as root)
# or sudo. Prints the path of qemu-aarch64 and the arm64 sysroot on success.
set -euo pipefail
qemu_version="${PACKYARD_QEMU_VERSION:-1:7.2+dfsg-7+deb12u18+b3}"
libc_version="${PACKYARD_LIBC_ARM64_CROSS_VERSION:-2.36-8cross1}"
installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
ready() {
  [ "$(installed qemu-user)" = "$qemu_version" ] && [ "$(installed libc6-arm64-cross)" = "$libc_version" ] \
    && command -v qemu-aarch64 >/dev/null && [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]
}
report() { echo "qemu-aarch64=$(command -v qemu-aarch64)"; echo "sysroot=/usr/aarch64-linux-gnu"; }
# shellcheck source=tools/scripts/apt-install-once.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-once.sh"
apt_install_once qemu-user ready "qemu-user=$qemu_version" "libc6-arm64-cross=$libc_version"
ready || { echo "qemu-user $qemu_version / libc6-arm64-cross $libc_version did not install" >&2; exit 1; }
report
