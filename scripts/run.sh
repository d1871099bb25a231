#!/usr/bin/env bash
# What the npm scripts run: `bash scripts/run.sh <command> [args…]` installs what is missing (quietly when
# nothing is), then replaces itself with the compiled `cdc <command>`, so signals sent to npm reach Node directly.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/install.sh"
source "$ROOT/scripts/node-runtime.sh"
# Five consumers each hold a libuv thread while they wait on Kafka: file I/O needs threads of its own. Read by
# libuv when its pool starts, so it has to be in the environment before Node does.
if [[ ${1:-} == consumers || ${1:-} == start ]]; then export UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-16}"; fi
# V8's young generation on Node 24 grows to ~100 MiB under a catch-up's allocation rate; 8 MiB semi-spaces hold it
# at 16 at the same speed (docs/performance.md#memory; each process also sizes its old generation, src/heap.ts).
# The same flags are in src/cli/cdc.ts, deploy/systemd/*.service and the Dockerfile (tests/unit/deploy.test.ts).
# glibc gives each thread that allocates its own arena (librdkafka's, libuv's: some 50 threads in the pool), each keeping what was freed in it:
# two arenas keep the pool's peak RSS 20-40 MiB lower at the same speed.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec "$NODE" --max-semi-space-size=8 "$ROOT/dist/cli/cdc.js" "$@"
