#!/usr/bin/env bash
# `bash scripts/node.sh <node args…>`: the project's Node (see node-runtime.sh), after installing what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/install.sh"
source "$ROOT/scripts/node-runtime.sh"
export PATH="$NODE_BIN_DIR:$PATH"
exec "$NODE" "$@"
