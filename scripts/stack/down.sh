#!/usr/bin/env bash
# Stops the local stack (or only the named services); data stays in .stack/ unless --purge is given.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/mysql.sh"
source "$(dirname "$0")/mariadb11.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/kafka3.sh"
source "$(dirname "$0")/registry.sh"
purge=0
services=()
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    mariadb|mariadb11|mysql|kafka|kafka3|registry) services+=("$arg") ;;
    *) die "unknown argument '$arg'; expected --purge or a service: mariadb, mariadb11, mysql, kafka, kafka3, registry" ;;
  esac
done
# MySQL and MariaDB 11.8 are stopped too when they run, whatever STACK_MYSQL_SERVER says: nothing of the stack is
# left behind.
[[ ${#services[@]} -eq 0 ]] && services=(registry kafka kafka3 mariadb mariadb11 mysql)
for s in "${services[@]}"; do
  if [[ $s == mysql ]]; then mysql97_down; else "${s}_down"; fi
done
if [[ $purge -eq 1 ]]; then
  say "deleting the data of: ${services[*]} (downloaded jars, builds and the private roots of MySQL and MariaDB 11.8 are kept)"
  for s in "${services[@]}"; do
    case "$s" in
      mariadb) rm -rf "$MARIADB_DIR/data" "$MARIADB_DIR"/*.log ;;
      mysql) rm -rf "$MYSQL_DIR/data" "$MYSQL_DIR"/*.log ;;
      mariadb11) rm -rf "$MARIADB11_DIR/data" "$MARIADB11_DIR"/*.log ;;
      kafka) rm -rf "$KAFKA_DIR/data" "$KAFKA_DIR/logs" ;;
      kafka3) rm -rf "$KAFKA3_DIR" ;;
      registry) rm -rf "$REGISTRY_DIR/data" "$REGISTRY_DIR/logs" ;;
    esac
  done
fi
say "stopped: ${services[*]}"
