#!/usr/bin/env bash
# KEY=VALUE lines for the running stack, in the names the application reads. `--mysql` (or
# STACK_MYSQL_SERVER=mysql) gives MySQL 9.7's port instead of MariaDB's, `--mariadb11` MariaDB 11.8's; the
# accounts are the same on all three. `--kafka3` gives the three-broker cluster's brokers (scripts/stack/kafka3.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka3.sh"
brokers="127.0.0.1:$STACK_KAFKA_PORT"
for arg in "$@"; do
  case "$arg" in
    --mysql) STACK_MYSQL_SERVER=mysql ;;
    --mariadb) STACK_MYSQL_SERVER=mariadb ;;
    --mariadb11) STACK_MYSQL_SERVER=mariadb11 ;;
    --kafka3) brokers="$(kafka3_brokers)" ;;
    *) die "unknown argument '$arg'; expected --mysql, --mariadb, --mariadb11 or --kafka3" ;;
  esac
done
port="$(database_port)"
cat <<ENV
MYSQL_HOST=127.0.0.1
MYSQL_PORT=$port
MYSQL_USER=$STACK_CDC_USER
MYSQL_PASSWORD=$STACK_CDC_PASSWORD
MYSQL_DATABASE=$STACK_DB
MYSQL_ADMIN_USER=$STACK_ADMIN_USER
MYSQL_ADMIN_PASSWORD=$STACK_ADMIN_PASSWORD
KAFKA_BROKERS=$brokers
SCHEMA_REGISTRY_URL=http://127.0.0.1:$STACK_REGISTRY_PORT/apis/ccompat/v7
ENV
