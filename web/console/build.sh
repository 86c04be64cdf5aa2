#!/usr/bin/env bash
# Builds the web console into web/console/dist (served by the server at /console/). Installs the locked
# npm packages when package-lock.json changed and rebuilds only when a source is newer than the build.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  echo "[console] npm not found: the console is not built (the server still runs; /console/ says so)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[console] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find index.html src package-lock.json vite.config.ts tsconfig.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "[console] building" >&2
npm run --silent build >&2
