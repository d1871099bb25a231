#!/usr/bin/env bash
# npm test: installs what is missing, brings the local stack up, typechecks, and runs every test in one
# node:test run (unit tests first; integration files one at a time, since some restart services).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/stack/up.sh
npx tsc -p tsconfig.json --noEmit
reporter=tap
[[ -t 1 ]] && reporter=spec
mapfile -t unit < <(find tests/unit -name '*.test.ts' | sort)
mapfile -t integration < <(find tests/integration -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter="$reporter" \
  "${unit[@]}" "${integration[@]}"
