#!/usr/bin/env bash
# Runs a command with packyard's shared Nx cache as a sidecar when NX_CACHE_STORE names one
# (s3://bucket/prefix, account from AWS_* or R2_* variables), else runs it as it is.
#
#   tools/scripts/with-nx-cache.sh npx nx run hermit-pex:compile
#
# The sidecar starts nx-cache-server on loopback, points Nx at it (NX_SELF_HOSTED_REMOTE_CACHE_SERVER
# and its token), runs the command and stops, exiting with the command's code. Tokens come from
# NX_CACHE_WRITE_TOKEN (protected branches) or NX_CACHE_READ_TOKEN (pull requests: Nx's writes get
# 403 and are skipped). Needs `npm install` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${NX_CACHE_STORE:-}" ]; then
  exec "$@"
fi
npx nx run nx-cache-server:compile --output-style=static >&2
exec node apps/nx-cache-server/dist/main.js run --store "$NX_CACHE_STORE" -- "$@"
