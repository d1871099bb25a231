#!/usr/bin/env bash
# A client on the local stack's database as the shop's admin, speaking utf8mb4: npm run stack:sql [-- -e "SQL"].
# STACK_MYSQL_SERVER=mysql (or a first argument --mysql) opens MySQL 9.7 with its own client.
source "$(dirname "$0")/lib.sh"
if [[ ${1:-} == --mysql ]]; then STACK_MYSQL_SERVER=mysql; shift; fi
if [[ $STACK_MYSQL_SERVER == mysql ]]; then
  source "$(dirname "$0")/mysql.sh"
  [[ -x $MYSQL_FS/usr/bin/mysql ]] || die "MySQL 9.7 is not installed; run: bash scripts/stack/up.sh mysql"
  exec "$MYSQL_LIBS/ld-linux-x86-64.so.2" --library-path "$MYSQL_LIBS" "$MYSQL_FS/usr/bin/mysql" \
    --defaults-file="$ROOT/mysql-conf/cdc.cnf" -h127.0.0.1 -P"$STACK_MYSQL97_PORT" \
    -u"$STACK_ADMIN_USER" -p"$STACK_ADMIN_PASSWORD" "$STACK_DB" "$@"
fi
exec mariadb --defaults-extra-file="$ROOT/mysql-conf/cdc.cnf" -h127.0.0.1 -P"$STACK_MYSQL_PORT" \
  -u"$STACK_ADMIN_USER" -p"$STACK_ADMIN_PASSWORD" "$STACK_DB" "$@"
