#!/usr/bin/env bash
# Installs the project's npm dependencies when they are missing or older than the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]] \
   || ! node -e "import('node-rdkafka')" >/dev/null 2>&1; then
  echo "[install] npm ci (node-rdkafka compiles librdkafka: about two minutes on two cores)" >&2
  npm ci --no-audit --no-fund >&2
fi
