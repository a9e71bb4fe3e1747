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
ready && exit 0
# Test files run this at the same time: one installs, the others wait and find it done.
exec 9>"${TMPDIR:-/tmp}/packyard-setup-octave.lock"
flock 9
ready && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
# Other processes may hold the dpkg lock (unattended upgrades, parallel set-ups): wait for it.
apt_opts=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
$sudo apt-get "${apt_opts[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends \
  "octave=$version" "octave-dev=$version" >/dev/null
octave-cli --version | head -1
