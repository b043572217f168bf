#!/usr/bin/env bash
# The web app's tests: unit tests (Vitest) and the browser tests (playwright-core driving Debian's
# Chromium against a real shoebox-server). Expects the app built into build/web (scripts/build).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  npm ci --no-audit --no-fund >/dev/null
fi
case "${1:-all}" in
  unit) exec npx vitest run ;;
  browser) exec node --test tests/*.test.mjs ;;
  *) npx vitest run && exec node --test tests/*.test.mjs ;;
esac
