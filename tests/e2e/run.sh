#!/usr/bin/env bash
# End-to-end tests with real third-party clients against a built shoebox-server.
# Usage: tests/e2e/run.sh [node --test args...]
# SHOEBOX_SERVER_BIN overrides the server binary (default build/bin/shoebox-server).
set -euo pipefail
cd "$(dirname "$0")"

# Install the pinned client libraries when node_modules is missing or older than the lock file.
stamp=node_modules/.package-lock.json
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  npm ci --no-audit --no-fund >/dev/null
fi

if [[ $# -eq 0 ]]; then
  set -- *.test.mjs
fi
exec node --test "$@"
