# Which Node runs the project: the machine's when it is a supported LTS (22 or later), else the one
# scripts/install.sh fetched from the npm registry into .runtime/node. Sourced; sets NODE and NODE_BIN_DIR.
# CDC_NODE_VERSION picks another version of the npm registry's node-linux-* packages (22.x is the other LTS line).
# It finds the checkout from its own path, so a script that sources it needs to set nothing first.
NODE_RUNTIME_VERSION="${CDC_NODE_VERSION:-24.22.3}"
RUNTIME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.runtime"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

pick_node() {
  local system
  system="$(command -v node || true)"
  if [[ -z ${CDC_NODE_VERSION:-} && -n $system && $(node_major "$system") -ge 22 ]]; then NODE="$system"; else NODE="$RUNTIME_DIR/node/bin/node"; fi
  NODE_BIN_DIR="$(dirname "$NODE")"
}
pick_node
