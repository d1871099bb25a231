#!/usr/bin/env bash
# Installs what the project needs to run, one line per step (installers' own output in .stack/install.log):
#   a supported Node (22+): the machine's, or Node 24 from the npm registry into .runtime/ when it is older;
#   the npm dependencies for that Node (node-rdkafka compiles librdkafka against it: about two minutes), and
#   node-rdkafka's packed batch read for the pool (scripts/patch-node-rdkafka.sh);
#   dist/, the compiled pipeline, whenever src/ is newer.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/node-runtime.sh
LOG="$ROOT/.stack/install.log"
mkdir -p "$ROOT/.stack"
say() { printf '[install] %s\n' "$*" >&2; }
logged() { # what command...
  local what="$1"; shift
  printf '\n== %s: %s\n' "$(date -u +%FT%TZ)" "$what" >> "$LOG"
  if ! "$@" >> "$LOG" 2>&1; then tail -n 30 "$LOG" >&2; say "error: $what failed; the whole output is in $LOG"; exit 1; fi
}

if [[ ! -x $NODE || ( $NODE == "$RUNTIME_DIR/"* && "$("$NODE" -v)" != "v$NODE_RUNTIME_VERSION" ) ]]; then
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) say "error: no Node $NODE_RUNTIME_VERSION package for $(uname -m); install Node 22 or 24 yourself"; exit 1 ;; esac
  if [[ -n ${CDC_NODE_VERSION:-} ]]; then say "CDC_NODE_VERSION=$CDC_NODE_VERSION: fetching that Node from the npm registry into .runtime/"
  else say "Node $(node -v 2>/dev/null || echo '(none)') is older than 22 (an LTS line is needed): fetching Node $NODE_RUNTIME_VERSION from the npm registry into .runtime/"; fi
  tmp="$(mktemp -d)"
  (cd "$tmp" && logged "npm pack node-linux-$arch@$NODE_RUNTIME_VERSION" npm pack "node-linux-$arch@$NODE_RUNTIME_VERSION" --silent)
  rm -rf "$RUNTIME_DIR/node"
  mkdir -p "$RUNTIME_DIR"
  tar -xzf "$tmp"/node-linux-*.tgz -C "$tmp"
  mv "$tmp/package" "$RUNTIME_DIR/node"
  rm -rf "$tmp"
  [[ -x $NODE ]] || { say "error: the fetched package has no bin/node"; exit 1; }
fi
export PATH="$NODE_BIN_DIR:$PATH"
# node-gyp needs the headers of the Node it builds for; the fetched package carries them.
[[ $NODE == "$RUNTIME_DIR/"* ]] && export npm_config_nodedir="$RUNTIME_DIR/node"

abi="$("$NODE" -p process.versions.modules)"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json \
   || "$(cat node_modules/.node-abi 2>/dev/null)" != "$abi" ]] || ! "$NODE" -e "require('node-rdkafka')" >/dev/null 2>&1; then
  say "npm ci for Node $("$NODE" -v) (node-rdkafka compiles librdkafka: about two minutes on two cores)"
  logged "npm ci" npm ci --no-audit --no-fund
  echo "$abi" > node_modules/.node-abi
fi
if [[ "$(cat node_modules/node-rdkafka/.binlog-pipeline-patch 2>/dev/null)" != "$(sha256sum scripts/patches/node-rdkafka-consume-packed.patch | cut -c1-16) $abi" ]]; then
  say "node-rdkafka: packed batches for the pool (scripts/patches/; rebuilds its binding, not librdkafka)"
  if ! bash scripts/patch-node-rdkafka.sh >> "$LOG" 2>&1; then
    tail -n 5 "$LOG" >&2
    say "warning: node-rdkafka could not be patched (the whole output is in $LOG); the pool reads message objects: correct, slower"
  fi
fi

if [[ ! -f dist/.built || -n "$(find src schemas tsconfig.json tsconfig.build.json package.json -newer dist/.built -print -quit)" ]]; then
  say "compiling src/ into dist/"
  logged "tsc" "$NODE" node_modules/typescript/bin/tsc -p tsconfig.build.json
  chmod +x dist/cli/cdc.js
  touch dist/.built
fi
