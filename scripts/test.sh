#!/usr/bin/env bash
# npm test: installs what is missing, brings the local stack up, typechecks, and runs every test in one
# node:test run (unit tests first; integration files one at a time, since some restart services).
# `--unit` runs the unit tests alone (no services needed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
bash scripts/install.sh
source scripts/node-runtime.sh
export PATH="$NODE_BIN_DIR:$PATH"
reporter=tap
[[ -t 1 ]] && reporter=spec
mapfile -t unit < <(find tests/unit -name '*.test.ts' | sort)
if [[ ${1:-} == --unit ]]; then
  exec "$NODE" --import tsx --test --test-reporter="$reporter" "${unit[@]}"
fi
bash scripts/stack/up.sh
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
mapfile -t integration < <(find tests/integration -name '*.test.ts' | sort)
exec "$NODE" --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter="$reporter" \
  "${unit[@]}" "${integration[@]}"
