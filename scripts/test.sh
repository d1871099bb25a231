#!/usr/bin/env bash
# npm test: installs what is missing, brings the local stack up, typechecks, and runs every test in one
# node:test run against MariaDB (unit tests first; integration files one at a time, since some restart services),
# then the source (faults and ALTER TABLE included), snapshot/backfill, replay, kill -9 and TLS files again, with
# tests/integration/mysql.test.ts, against Oracle MySQL 9.7 (scripts/stack/mysql.sh). Tests reach the stack on
# the ports stack:env prints.
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
run_tests() { "$NODE" --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter="$reporter" "$@"; }
stack_env() { set -a; eval "$(bash scripts/stack/env.sh "$1")"; set +a; }

# The MariaDB pass describes the default stack, whatever STACK_MYSQL_SERVER the caller's shell has.
export STACK_MYSQL_SERVER=mariadb
bash scripts/stack/up.sh
if [[ ${1:-} == --faults ]]; then
  stack_env --mariadb
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
mapfile -t integration < <(find tests/integration -name '*.test.ts' ! -name mysql.test.ts | sort)
stack_env --mariadb
rc=0
# With the fault suite's reduced set: hostile data without its destructive cases (npm run test:faults runs it all).
run_tests "${unit[@]}" "${integration[@]}" tests/faults/hostile-data.test.ts || rc=$?

# MySQL 9.7 is started only now: stack.test.ts stops every service and brings back the default ones.
bash scripts/stack/up.sh mysql kafka registry
stack_env --mysql
echo "# MySQL 9.7 pass: the same source, faults, snapshot, replay, crash and TLS tests, and mysql.test.ts"
mysql_files=(source source-faults snapshot replay replay-crash source-crash database-tls mysql)
mysql_files=("${mysql_files[@]/#/tests/integration/}")
run_tests "${mysql_files[@]/%/.test.ts}" || rc=$?
exit $rc
