# shellcheck shell=bash
# Sourced by the set-up scripts: installs pinned Debian packages once per machine.
#
#   apt_install_once NAME READY PACKAGE=VERSION...
#
# does nothing when the function READY succeeds; otherwise takes a lock named after NAME (test files
# run set-ups at the same time: one installs, the others wait and find it done), asks READY again,
# and installs the packages with apt-get (root, else sudo), waiting for a dpkg lock other processes
# may hold (unattended upgrades, parallel set-ups).
apt_install_once() {
  local name=$1 ready=$2
  shift 2
  "$ready" && return 0
  exec 9>"${TMPDIR:-/tmp}/packyard-setup-$name.lock"
  flock 9
  "$ready" && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  local apt_opts=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
  $sudo apt-get "${apt_opts[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends \
    "$@" >/dev/null
}
