#!/usr/bin/env bash
# Stops the local stack; its data stays in .stack/ (pass --purge to delete it too).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/registry.sh"
registry_down
kafka_down
mariadb_down
if [[ "${1:-}" == "--purge" ]]; then
  say "deleting service data (downloaded jars and builds are kept)"
  rm -rf "$MARIADB_DIR" "$KAFKA_DIR/data" "$KAFKA_DIR/logs" "$REGISTRY_DIR/data" "$REGISTRY_DIR/logs"
fi
say "stack is down"
