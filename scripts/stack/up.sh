#!/usr/bin/env bash
# Brings the local stack up; installs what is missing. A no-op on a healthy stack.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/registry.sh"
mkdir -p "$STACK_DIR"
mariadb_up
kafka_up
registry_up
say "stack is up (npm run stack:status, npm run --silent stack:env)"
