#!/usr/bin/env bash
# npm run demo: installs what is missing, brings the local stack up, runs the source daemon and the consumer
# pool (npm start), writes catalogue changes into MariaDB and shows what landed in the JSON files and the status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/node-runtime.sh
cdc() { "$NODE" dist/cli/cdc.js "$@"; }
bash scripts/stack/up.sh
logs=.stack/demo
mkdir -p "$logs" output
# Changes only: on a first run over a filled table the snapshot's "r" lines arrive too, and are not what we wait for.
# Each consumer's segments: the open one (.jsonl.open) and closed ones (.jsonl), dead letters aside.
line_files() { find output -maxdepth 1 -name 'consumer-*' \( -name '*.jsonl' -o -name '*.jsonl.open' \) ! -name '*deadletter*' | sort; }
lines() { line_files | xargs -r cat 2>/dev/null | grep -vc '"op":"r"' || true; }

echo
echo "== starting the source daemon and the consumer pool with npm start (log in $logs/pipeline.log)"
LOG_FORMAT=json UV_THREADPOOL_SIZE=16 "$NODE" dist/cli/cdc.js start > "$logs/pipeline.log" 2>&1 &
src=$!
trap 'kill -TERM $src 2>/dev/null || true; wait $src 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  grep -qE 'starting at the binlog|resuming from checkpoint|snapshot done' "$logs/pipeline.log" && break
  kill -0 $src 2>/dev/null || { cat "$logs/pipeline.log"; exit 1; }
  sleep 0.5
done
# A source resuming from an old checkpoint first catches up with whatever the binlog gained meanwhile (tests,
# earlier runs): wait for that, so the count below is this run's changes only.
caught_up() {
  cdc status --json 2>/dev/null |
    "$NODE" -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const r=JSON.parse(t);process.exit(r.source.bytesBehind===0&&r.group.pending===0&&r.group.pendingExact?0:1)})'
}
for _ in $(seq 1 120); do caught_up && break; sleep 1; done
before=$(lines)

echo "== writing 2,000 new products, 1,000 edits and 200 deletions in transactions of 50"
out=$(cdc generate --rows 2000 --updates 1000 --deletes 200 --tx-size 50)
echo "$out"
changes=$(sed -E 's/^generated ([0-9]+) changes.*/\1/' <<< "$out")

echo "== waiting for all $changes changes to land as JSON lines"
for _ in $(seq 1 240); do
  [[ $(( $(lines) - before )) -ge $changes ]] && break
  sleep 0.5
done
echo
echo "== output/ (one open segment per consumer; closed ones are renamed to .jsonl)"
line_files | xargs -r wc -l
echo
echo "== three of the new lines"
line_files | grep -E 'consumer-[123]\.' | xargs -r tail -q -n 1 | tail -n 3
echo
echo "== a product of the discount category (10 % off)"
line_files | xargs -r grep -h '"discount_percent":10' | tail -n 1 || true
echo
landed=$(( $(lines) - before ))
echo "$landed of $changes changes landed (each exactly once; run it again to add more)."
echo
echo "== npm run status (metrics: curl -s 127.0.0.1:9471/metrics and :9472/metrics while it runs)"
cdc status || true
