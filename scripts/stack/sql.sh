#!/usr/bin/env bash
# A client on the local stack's database as the shop's admin, speaking utf8mb4: npm run stack:sql [-- -e "SQL"].
# STACK_MYSQL_SERVER=mysql (or a first argument --mysql) opens MySQL 9.7 with its own client, mariadb11 (or
# --mariadb11) MariaDB 11.8 with its own.
source "$(dirname "$0")/lib.sh"
if [[ ${1:-} == --mysql ]]; then STACK_MYSQL_SERVER=mysql; shift; fi
if [[ ${1:-} == --mariadb11 ]]; then STACK_MYSQL_SERVER=mariadb11; shift; fi
if [[ $STACK_MYSQL_SERVER == mariadb11 ]]; then
  source "$(dirname "$0")/mariadb11.sh"
  [[ -x $MARIADB11_FS/usr/bin/mariadb ]] || die "MariaDB 11.8 is not installed; run: bash scripts/stack/up.sh mariadb11"
  # 11.8's client asks for TLS by default; the stack's servers have a private CA, so the client is pointed at it.
  exec "$MARIADB11_FS/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$MARIADB11_FS/usr/lib/x86_64-linux-gnu" \
    "$MARIADB11_FS/usr/bin/mariadb" --defaults-extra-file="$ROOT/mysql-conf/cdc.cnf" -h127.0.0.1 -P"$STACK_MARIADB11_PORT" \
    --ssl-ca="$STACK_TLS_DIR/ca.pem" -u"$STACK_ADMIN_USER" -p"$STACK_ADMIN_PASSWORD" "$STACK_DB" "$@"
fi
if [[ $STACK_MYSQL_SERVER == mysql ]]; then
  source "$(dirname "$0")/mysql.sh"
  [[ -x $MYSQL_FS/usr/bin/mysql ]] || die "MySQL 9.7 is not installed; run: bash scripts/stack/up.sh mysql"
  exec "$MYSQL_LIBS/ld-linux-x86-64.so.2" --library-path "$MYSQL_LIBS" "$MYSQL_FS/usr/bin/mysql" \
    --defaults-file="$ROOT/mysql-conf/cdc.cnf" -h127.0.0.1 -P"$STACK_MYSQL97_PORT" \
    -u"$STACK_ADMIN_USER" -p"$STACK_ADMIN_PASSWORD" "$STACK_DB" "$@"
fi
exec mariadb --defaults-extra-file="$ROOT/mysql-conf/cdc.cnf" -h127.0.0.1 -P"$STACK_MYSQL_PORT" \
  -u"$STACK_ADMIN_USER" -p"$STACK_ADMIN_PASSWORD" "$STACK_DB" "$@"
