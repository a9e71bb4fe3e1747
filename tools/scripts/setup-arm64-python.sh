#!/usr/bin/env bash
# Gives arm64 (aarch64) CPythons that run on an x86-64 host under qemu-user, for the hermit-pex
# farm's linux-arm64 `--version` checks: Debian bookworm's 3.11 and Debian trixie's 3.13. Debian's own
# arm64 packages, pinned, are fetched with a private apt configuration (its own sources.list, lists
# and cache: the host's apt, dpkg database and amd64 Python are not touched, no
# `dpkg --add-architecture`) and unpacked with `dpkg-deb -x` into one sysroot per Python, each with
# its own suite's glibc and libraries (trixie's 3.13 needs trixie's glibc), under packyard's tool home:
#
#   $PACKYARD_HOME/tools/arm64-python3.11-<version>/sysroot/   glibc, libssl, libffi... and python3.11
#   $PACKYARD_HOME/tools/arm64-python3.11-<version>/bin/python3.11
#   $PACKYARD_HOME/tools/arm64-python3.13-<version>/sysroot/   the same from trixie, and python3.13
#   $PACKYARD_HOME/tools/arm64-python3.13-<version>/bin/python3.13
#   $PACKYARD_HOME/tools/arm64-python3.13-<version>/lib/python3.13 -> ../sysroot/usr/lib/python3.13
#
# bin/pythonX.Y runs `QEMU_LD_PREFIX=<its sysroot> qemu-aarch64 -0 "$0" <sysroot>/usr/bin/pythonX.Y "$@"`:
# the emulated Python sees its own path as argv[0], so sys.executable is a program the host can start
# (a venv made from it links to it and works, as PEX's venv mode needs), and qemu's prefix (-L, here
# from the environment, which the Python's children inherit) finds the loader, glibc and the
# standard library under that sysroot at the compiled-in /usr.
#
# A Python program that starts an arm64 executable (ruff's and uv's wheels exec their Rust binary)
# needs the kernel to hand that executable to qemu: the script registers qemu-aarch64 with binfmt_misc
# (mounting /proc/sys/fs/binfmt_misc if needed) unless an aarch64 handler is there already. That
# is machine-wide: it makes arm64 ELF files run under qemu instead of failing with ENOEXEC, and
# changes nothing else. Without the privilege it says `binfmt=unavailable: ...` and goes on.
#
# Python 3.12 has no arm64 build among the reachable sources: Debian bookworm ships 3.11, trixie, sid
# and experimental ship 3.13 to 3.15 (3.12 never reached a release and its pool is gone), and the npm
# and PyPI packages of portable CPython builds download them from GitHub at install time. The script
# says so on a `python3.12=unavailable: ...` line; a tool that needs exactly 3.12 is reported, not run
# (one that runs on 3.12 or later is built for 3.13).
#
# Idempotent: does nothing for a Python whose pinned version is unpacked and starts. Concurrent runs
# wait on a lock per Python; a killed run leaves only a temporary directory, removed by the next one. Needs qemu-user
# (installed by setup-qemu-user.sh, which this script runs first: root or sudo). Prints one
# `pythonX.Y=<path>` or `pythonX.Y=unavailable: <reason>` line per Python and `qemu-aarch64=<path>`.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
mirror="${PACKYARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# Python 3.11 from bookworm, with what it links against and imports (ssl, sqlite3, ctypes, lzma, bz2,
# readline, dbm...), each pinned to the version in the suite's point release.
python311_version="${PACKYARD_ARM64_PYTHON311_VERSION:-3.11.2-6+deb12u8}"
python311_suite="${PACKYARD_ARM64_PYTHON_SUITE:-bookworm}"
python311_packages=(
  "libc6=2.36-9+deb12u14"
  "libgcc-s1=12.2.0-14+deb12u1"
  "libstdc++6=12.2.0-14+deb12u1"
  "zlib1g=1:1.2.13.dfsg-1"
  "libexpat1=2.5.0-1+deb12u2"
  "libssl3=3.0.20-1~deb12u2"
  "libffi8=3.4.4-1"
  "libbz2-1.0=1.0.8-5+b1"
  "liblzma5=5.4.1-1+deb12u1"
  "libzstd1=1.5.4+dfsg2-5"
  "libsqlite3-0=3.40.1-2+deb12u2"
  "libuuid1=2.38.1-5+deb12u3"
  "libncursesw6=6.4-4"
  "libtinfo6=6.4-4"
  "libreadline8=8.2-1.3"
  "libcrypt1=1:4.4.33-2"
  "libnsl2=1.3.0-2"
  "libtirpc3=1.3.3+ds-1"
  "libgssapi-krb5-2=1.20.1-2+deb12u5"
  "libkrb5-3=1.20.1-2+deb12u5"
  "libk5crypto3=1.20.1-2+deb12u5"
  "libkrb5support0=1.20.1-2+deb12u5"
  "libcom-err2=1.47.0-2+b2"
  "libkeyutils1=1.6.3-2"
  "libdb5.3=5.3.28+dfsg2-1"
  "libgdbm6=1.23-3"
  "libpython3.11-minimal=$python311_version"
  "libpython3.11-stdlib=$python311_version"
  "python3.11-minimal=$python311_version"
)
# Python 3.13 from trixie, in a sysroot of its own: it needs trixie's glibc (2.38 or later) and
# libraries (the 64-bit time_t "t64" ABI). 3.13 has no crypt or nis module: no libcrypt, libnsl.
python313_version="${PACKYARD_ARM64_PYTHON313_VERSION:-3.13.5-2+deb13u5}"
python313_suite="${PACKYARD_ARM64_PYTHON313_SUITE:-trixie}"
python313_packages=(
  "libc6=2.41-12+deb13u5"
  "libgcc-s1=14.2.0-19"
  "libstdc++6=14.2.0-19"
  "zlib1g=1:1.3.dfsg+really1.3.1-1+deb13u1"
  "libexpat1=2.9.0-1~deb13u1"
  "libssl3t64=3.5.9-1~deb13u1"
  "libffi8=3.4.8-2"
  "libbz2-1.0=1.0.8-6"
  "liblzma5=5.8.1-1+deb13u2"
  "libzstd1=1.5.7+dfsg-1"
  "libsqlite3-0=3.46.1-7+deb13u2"
  "libuuid1=2.41.5-0+deb13u1"
  "libncursesw6=6.5+20250216-2"
  "libtinfo6=6.5+20250216-2"
  "libreadline8t64=8.2-6"
  "libdb5.3t64=5.3.28+dfsg2-9"
  "libpython3.13-minimal=$python313_version"
  "libpython3.13-stdlib=$python313_version"
  "python3.13-minimal=$python313_version"
)

qemu="$(bash "$here/setup-qemu-user.sh" | sed -n 's/^qemu-aarch64=//p')"
[ -x "$qemu" ] || { echo "setup-arm64-python: qemu-aarch64 not found after setup-qemu-user.sh" >&2; exit 1; }
home="${PACKYARD_HOME:-$HOME/.cache/packyard}"
mkdir -p "$home/tools"
# The emulated interpreter must start and import the modules that need the unpacked libraries.
smoke='import platform, ssl, sqlite3, ctypes, lzma, bz2, zlib, venv; print(platform.machine())'

# provision MINOR VERSION SUITE STDLIB PACKAGE=VERSION...: unpacks the packages (python<MINOR>-minimal
# among them) into $home/tools/arm64-python<MINOR>-<VERSION>/sysroot, writes its bin/python<MINOR> and
# prints `python<MINOR>=<path>`. STDLIB `usr`: the Python finds its standard library at the
# compiled-in /usr, through qemu's prefix. STDLIB `beside`: lib/python<MINOR> beside bin/ links to
# the sysroot's, so the Python finds it there first (sys.prefix is the tool directory) and every path
# to it is real on the host too. 3.13 needs that: its venv copies unchanged scripts with
# shutil.copy2, whose listxattr qemu does not pass through its prefix (ENOENT for a /usr path).
provision() {
  local minor="$1" version="$2" suite="$3" stdlib="$4"
  shift 4
  local dir="$home/tools/arm64-python$minor-${version//[:~+]/_}"
  local python="$dir/bin/python$minor"
  ready() {
    [ -x "$python" ] && { [ "$stdlib" = usr ] || [ -e "$dir/lib/python$minor/os.py" ]; } \
      && [ "$("$python" -c "$smoke" 2>/dev/null)" = aarch64 ]
  }
  if ! ready; then
    exec 9>"$dir.lock"
    flock 9
    if ! ready; then
      rm -rf "$dir" "$dir.tmp"
      mkdir -p "$dir.tmp"/{apt/lists/partial,apt/cache/archives/partial,apt/etc/empty,debs,sysroot,bin}
      local apt="$dir.tmp/apt"
      touch "$apt/status"
      echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
        >"$apt/etc/sources.list"
      local opts=(
        -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64" -o "APT::Sandbox::User=root"
        -o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
        -o "Dir::Cache=$apt/cache" -o "Dir::Etc::SourceList=$apt/etc/sources.list"
        -o "Dir::Etc::SourceParts=$apt/etc/empty" -o "Dir::Etc::Parts=$apt/etc/empty"
        -o "Dir::Etc::Preferences=$apt/etc/empty" -o "Dir::Etc::PreferencesParts=$apt/etc/empty"
        -o "Acquire::Retries=3"
      )
      apt-get "${opts[@]}" update -qq
      # apt checks every .deb against the signed index, so the pinned version is also the pinned content.
      (cd "$dir.tmp/debs" && apt-get "${opts[@]}" download -qq "${@/=/:arm64=}")
      for deb in "$dir.tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$dir.tmp/sysroot"; done
      # From trixie on, packages ship everything under /usr and base-files' links /lib -> usr/lib...
      # (merged /usr) give the loader's path in every executable, /lib/ld-linux-aarch64.so.1.
      local top
      for top in bin lib sbin; do
        [ -e "$dir.tmp/sysroot/$top" ] || ln -s "usr/$top" "$dir.tmp/sysroot/$top"
      done
      # QEMU_LD_PREFIX is qemu's -L: the sysroot's loader, glibc and libraries, never another's.
      cat >"$dir.tmp/bin/python$minor" <<EOF
#!/bin/sh
# arm64 CPython $version (Debian $suite) under qemu-user; written by tools/scripts/setup-arm64-python.sh.
export QEMU_LD_PREFIX='$dir/sysroot'
exec '$qemu' -0 "\$0" '$dir/sysroot/usr/bin/python$minor' "\$@"
EOF
      chmod 755 "$dir.tmp/bin/python$minor"
      if [ "$stdlib" = beside ]; then
        mkdir -p "$dir.tmp/lib"
        ln -s "../sysroot/usr/lib/python$minor" "$dir.tmp/lib/python$minor"
      fi
      rm -rf "$dir.tmp/apt" "$dir.tmp/debs"
      mv "$dir.tmp" "$dir"
      ready || { echo "setup-arm64-python: $python does not start under $qemu" >&2; exit 1; }
    fi
    exec 9>&-
  fi
  echo "python$minor=$python"
}

# The ELF header of an aarch64 executable (64-bit, little-endian, e_machine 0xb7), as QEMU's own
# binfmt configuration matches it.
magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
binfmt=/proc/sys/fs/binfmt_misc
registered() { grep -qs '^magic 7f454c460201010000000000000000000200b700' "$binfmt"/*; }
register() {
  [ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || return 1
  registered || printf '%s' ":packyard-qemu-aarch64:M::$magic:$mask:$qemu:" >"$binfmt/register" 2>/dev/null
}
if register && registered; then
  echo "binfmt=$binfmt"
else
  echo "binfmt=unavailable: cannot register qemu-aarch64 in $binfmt (needs root)"
fi
echo "qemu-aarch64=$qemu"
provision 3.11 "$python311_version" "$python311_suite" usr "${python311_packages[@]}"
echo "python3.12=unavailable: no arm64 CPython 3.12 reachable here (Debian ships 3.11 in bookworm and 3.13+ after it)"
provision 3.13 "$python313_version" "$python313_suite" beside "${python313_packages[@]}"
