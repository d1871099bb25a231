#!/usr/bin/env bash
# A mariadb client on the local stack as the shop's admin, speaking utf8mb4: npm run stack:sql [-- -e "SQL"]
source "$(dirname "$0")/lib.sh"
exec mariadb --defaults-extra-file="$ROOT/mysql-conf/cdc.cnf" -h127.0.0.1 -P"$STACK_MYSQL_PORT" \
  -u"$STACK_ADMIN_USER" -p"$STACK_ADMIN_PASSWORD" "$STACK_DB" "$@"
