#!/usr/bin/env bash
# npm test: installs what is missing, brings the local stack up, typechecks, and runs every test in one
# node:test run against MariaDB (unit tests first; integration files one at a time, since some restart services),
# then the files where servers differ again against MariaDB 11.8 (scripts/stack/mariadb11.sh: source, faults,
# kill -9, snapshot/backfill, replay, every column type) and Oracle MySQL 9.7 (scripts/stack/mysql.sh: the same with
# several tables, TLS and tests/integration/mysql.test.ts). Tests reach the stack on the ports stack:env prints.
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
# pyarrow, a second Parquet reader for tests/integration/loading.test.ts, in a venv of its own under .runtime/.
PYARROW_VERSION=26.0.1
ensure_pyarrow() {
  local py="$ROOT/.runtime/py"
  if [[ -x $py/bin/python && "$(cat "$py/.pyarrow" 2>/dev/null)" == "$PYARROW_VERSION" ]]; then export CDC_PYTHON="$py/bin/python"; return 0; fi
  echo "[test] installing pyarrow $PYARROW_VERSION from PyPI into .runtime/py (a reader for the loading test)"
  python3 -m venv "$py" || { echo "[test] error: python3 -m venv failed: install python3-venv (apt-get install python3-venv)"; exit 1; }
  "$py/bin/pip" install --quiet --disable-pip-version-check "pyarrow==$PYARROW_VERSION" || { echo "[test] error: pip could not install pyarrow from PyPI"; exit 1; }
  echo "$PYARROW_VERSION" > "$py/.pyarrow"
  export CDC_PYTHON="$py/bin/python"
}

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
ensure_pyarrow
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
mapfile -t integration < <(find tests/integration -name '*.test.ts' ! -name mysql.test.ts | sort)
stack_env --mariadb
rc=0
# With the fault suite's reduced set: hostile data without its destructive cases (npm run test:faults runs it all).
run_tests "${unit[@]}" "${integration[@]}" tests/faults/hostile-data.test.ts || rc=$?

# The other servers are started only now: stack.test.ts stops every service and brings back the default ones.
# Each runs the files where servers differ (binlog positions, GTIDs, snapshots, resumes), one at a time.
pass() { # service stack-env-flag description files...
  local service="$1" flag="$2" what="$3"; shift 3
  bash scripts/stack/up.sh "$service" kafka registry
  stack_env "$flag"
  echo "# $what"
  local files=("${@/#/tests/integration/}")
  run_tests "${files[@]/%/.test.ts}" || rc=$?
  bash scripts/stack/down.sh "$service"
}
pass mariadb11 --mariadb11 "MariaDB 11.8 pass: source, faults, crash, snapshot, replay and types (row events carry end_log_pos 0)" \
  source source-faults source-crash snapshot replay types
pass mysql --mysql "MySQL 9.7 pass: the same source, faults, snapshot, replay, crash, tables, types (with Parquet), verify and TLS tests, and mysql.test.ts" \
  source source-faults snapshot replay replay-crash source-crash tables tables-crash types verify database-tls mysql
exit $rc
