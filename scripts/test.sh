#!/usr/bin/env bash
# npm test: installs what is missing, brings the local stack up, typechecks, and runs every test in one
# node:test run (unit tests first; integration files one at a time, since some restart services).
# `--unit` runs the unit tests alone (no services needed). `--faults` runs the fault suite (tests/faults, with its
# destructive cases, plus the crash and disk tests it shares with npm test) and writes docs/reliability.md.
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
if [[ ${1:-} == --faults ]]; then
  mkdir -p .stack/faults
  : > .stack/faults/results.jsonl
  mapfile -t faults < <(find tests/faults -name '*.test.ts' | sort)
  status=0
  CDC_FAULTS_FULL=1 CDC_FAULTS_RECORD=1 "$NODE" --import tsx --test --test-concurrency=1 --test-timeout=1800000 --test-reporter="$reporter" \
    "${faults[@]}" tests/integration/output-disk.test.ts tests/integration/pool.test.ts || status=$?
  "$NODE" --import tsx scripts/reliability-report.ts || status=1
  exit $status
fi
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
mapfile -t integration < <(find tests/integration -name '*.test.ts' | sort)
# The fault suite's reduced set: hostile data without its destructive cases (npm run test:faults runs it all).
exec "$NODE" --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter="$reporter" \
  "${unit[@]}" "${integration[@]}" tests/faults/hostile-data.test.ts
