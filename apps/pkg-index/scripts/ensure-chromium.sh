#!/usr/bin/env bash
# Makes sure a headless Chromium is installed and prints its path: $PACKYARD_CHROMIUM when set,
# else Debian's `chromium` at the version tools/scripts/setup-chromium.sh pins (idempotent).
set -euo pipefail

if [[ -n "${PACKYARD_CHROMIUM:-}" && -x "${PACKYARD_CHROMIUM}" ]]; then
  echo "${PACKYARD_CHROMIUM}"
  exit 0
fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../../tools/scripts/setup-chromium.sh"
