#!/usr/bin/env bash
# Brings the local stack up (or only the named services: mariadb mariadb11 mysql kafka kafka3 registry); installs
# what is missing. kafka3 is the three-broker cluster of the cluster fault tests (scripts/stack/kafka3.sh).
# A no-op on a healthy stack. With no names: the database STACK_MYSQL_SERVER names (mariadb, mysql or both),
# then kafka and registry.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/mysql.sh"
source "$(dirname "$0")/mariadb11.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/kafka3.sh"
source "$(dirname "$0")/registry.sh"
services=("$@")
[[ ${#services[@]} -eq 0 ]] && services=($(default_databases) kafka registry)
mkdir -p "$STACK_DIR"
for s in "${services[@]}"; do
  case "$s" in
    mariadb|mariadb11|kafka|kafka3|registry) "${s}_up" ;;
    mysql) mysql97_up ;;
    *) die "unknown service '$s'; expected mariadb, mariadb11, mysql, kafka, kafka3 or registry" ;;
  esac
done
say "stack is up (npm run stack:status, npm run --silent stack:env)"
