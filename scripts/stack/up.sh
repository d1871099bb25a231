#!/usr/bin/env bash
# Brings the local stack up (or only the named services: mariadb mariadb11 mysql kafka registry); installs what is missing.
# A no-op on a healthy stack. With no names: the database STACK_MYSQL_SERVER names (mariadb, mysql or both),
# then kafka and registry.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/mysql.sh"
source "$(dirname "$0")/mariadb11.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/registry.sh"
services=("$@")
[[ ${#services[@]} -eq 0 ]] && services=($(default_databases) kafka registry)
mkdir -p "$STACK_DIR"
for s in "${services[@]}"; do
  case "$s" in
    mariadb|mariadb11|kafka|registry) "${s}_up" ;;
    mysql) mysql97_up ;;
    *) die "unknown service '$s'; expected mariadb, mariadb11, mysql, kafka or registry" ;;
  esac
done
say "stack is up (npm run stack:status, npm run --silent stack:env)"
