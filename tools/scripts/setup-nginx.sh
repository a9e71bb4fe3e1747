#!/usr/bin/env bash
# Installs Debian's nginx (light flavour) and wrk, pinned, for the pkg-index page benchmark
# (bench/pkg-index/pages.bench.mjs: `pkg-index serve` against nginx serving the same tree, wrk as
# the load client). Idempotent: does nothing when the pinned versions are there. Needs root or sudo.
# The nginx service is not started: the benchmark runs its own nginx on a loopback port.
set -euo pipefail
nginx_version="${PACKYARD_NGINX_VERSION:-1.22.1-9+deb12u12}"
wrk_version="${PACKYARD_WRK_VERSION:-4.1.0-3+b2}"
installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
ready() {
  [ "$(installed nginx-light)" = "$nginx_version" ] && [ "$(installed wrk)" = "$wrk_version" ] \
    && [ -x /usr/sbin/nginx ] && command -v wrk >/dev/null
}
# shellcheck source=tools/scripts/apt-install-once.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-once.sh"
ready && exit 0
# Debian's maintainer script starts the service; nothing here needs it running.
export RUNLEVEL=1
apt_install_once nginx ready "nginx-light=$nginx_version" "wrk=$wrk_version"
/usr/sbin/nginx -v
