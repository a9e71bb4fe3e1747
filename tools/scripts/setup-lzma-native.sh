#!/usr/bin/env bash
# Builds lzma-native's addon with its bundled liblzma compiled with optimisation, and puts it where
# lzma-native loads it first (node_modules/lzma-native/build/Release/lzma_native.node, ahead of the
# prebuilt binaries in its prebuilds/ folder). `npm install` runs it (the root package's postinstall).
#
# Why: lzma-native 8.0.6's prebuilt linux-x64 addon links a liblzma 5.2.3 compiled without any -O
# flag (its liblzma-config.sh sets CFLAGS to "-fPIC", so configure's default "-g -O2" is never used).
# That liblzma spends about 1.4x the CPU of Debian's xz 5.4.1 at preset 6; compiled with -O2 it spends
# about 0.93x. The encoder is the same source (the xz-5.2.3 tarball inside the pinned package, checked
# here by sha256), so the .tar.xz bytes do not change: libs/archive's golden-bytes test pins them.
#
# Pinned: the lzma-native version and the sha256 of its bundled xz tarball (the script refuses any
# other), and the flags. The build is kept in packyard's tool home, one per pin and machine
# architecture:
#
#   $PACKYARD_HOME/tools/lzma-native-<version>-xz-<xz version>-O2-<arch>/lzma_native.node
#
# and copied into node_modules. Idempotent: when the copy is already there with the same bytes it does
# nothing; when only the tool home has it, it copies. Concurrent runs wait on a lock; a killed run
# leaves only a temporary directory, removed by the next one. Needs a C/C++ compiler, make, python3 and
# Node's headers (include/node beside the running node; never downloaded). Uses npm's own node-gyp.
# Without them it says so and exits 0: lzma-native then loads its prebuilt addon. Prints
# `lzma_native=<path>` (or `lzma_native=prebuilt`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="${PACKYARD_LZMA_NATIVE_VERSION:-8.0.6}"
xz_version=5.2.3
xz_sha256=fd9ca16de1052aac899ad3495ad20dfa906c27b4a5070102a2ec35ca3a4740c1
cflags=-O2
package="$root/node_modules/lzma-native"

fail() {
  echo "setup-lzma-native: $*" >&2
  exit 1
}

# A machine without a compiler or Node's headers still works: lzma-native's prebuilt addon writes the
# same bytes, only slower. Say so and leave node_modules as npm installed it.
without() {
  echo "setup-lzma-native: $*; .tar.xz stays on lzma-native's prebuilt addon (the same bytes, about 1.4x the CPU)" >&2
  echo "lzma_native=prebuilt"
  exit 0
}

[ -f "$package/package.json" ] || fail "$package/package.json is missing: run npm install first"
installed="$(node -p "require('$package/package.json').version")"
[ "$installed" = "$version" ] || fail "$package/package.json: version is $installed, the pin is $version"
tarball="$package/deps/xz-$xz_version.tar.bz2"
[ -f "$tarball" ] || fail "$tarball is missing: lzma-native $version bundles xz $xz_version"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
[ "$actual" = "$xz_sha256" ] || fail "$tarball: sha256 is $actual, the pin is $xz_sha256"

home="${PACKYARD_HOME:-$HOME/.cache/packyard}"
dir="$home/tools/lzma-native-$version-xz-$xz_version${cflags}-$(uname -m)"
built="$dir/lzma_native.node"
target="$package/build/Release/lzma_native.node"

build() {
  local nodedir node_gyp work
  nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  [ -f "$nodedir/include/node/node_api.h" ] || without "$nodedir/include/node/node_api.h is missing (Node's headers)"
  node_gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$node_gyp" ] || without "npm's node-gyp is missing (looked for $node_gyp)"
  for tool in cc c++ make python3; do
    command -v "$tool" >/dev/null || without "$tool is missing"
  done
  rm -rf "$dir".tmp.*
  work="$(mktemp -d "$dir.tmp.XXXXXX")"
  # A copy of the package without its prebuilt binaries, built where it cannot touch node_modules.
  tar -C "$package" --exclude=./prebuilds --exclude=./build -cf - . | tar -C "$work" -xf -
  (
    cd "$work"
    CFLAGS="$cflags" node "$node_gyp" rebuild --nodedir="$nodedir" >build.log 2>&1
  ) || fail "the build failed; its log: $work/build.log"
  grep -qE "^CFLAGS = .*(^| )$cflags( |$)" "$work/build/liblzma/Makefile" ||
    fail "liblzma was not configured with $cflags (see $work/build/liblzma/Makefile)"
  local loaded
  loaded="$(node -p "require('$work/build/Release/lzma_native.node').versionString()")"
  [ "$loaded" = "$xz_version" ] || fail "the built addon reports liblzma $loaded, expected $xz_version"
  cp "$work/build/Release/lzma_native.node" "$work/lzma_native.node"
  mkdir -p "$dir"
  mv "$work/lzma_native.node" "$built.new"
  mv "$built.new" "$built"
  rm -rf "$work"
}

if [ ! -f "$built" ]; then
  mkdir -p "$home/tools"
  exec 9>"$dir.lock"
  flock 9
  [ -f "$built" ] || build
  flock -u 9
fi
if ! cmp -s "$built" "$target"; then
  mkdir -p "$(dirname "$target")"
  cp "$built" "$target.new"
  mv "$target.new" "$target"
fi
echo "lzma_native=$target"
