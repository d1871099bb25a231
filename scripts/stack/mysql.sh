# Private Oracle MySQL 9.7 beside MariaDB: own datadir, socket and port (STACK_MYSQL97_PORT). Sourced by
# up/down/status. Debian 12's libc and libstdc++ are too old for it, so it runs from Debian sid's packages in a
# private root (sid-root.sh).
source "$(dirname "${BASH_SOURCE[0]}")/sid-root.sh"

MYSQL_ROOT_DIR="$STACK_DIR/mysql-root"
MYSQL_APT="$MYSQL_ROOT_DIR/apt"
MYSQL_FS="$MYSQL_ROOT_DIR/fs"
MYSQL_DIR="$STACK_DIR/mysql"
MYSQL_CNF="$MYSQL_DIR/my.cnf"
MYSQL_SOCK="$MYSQL_DIR/mysqld.sock"
MYSQL_PID="$MYSQL_DIR/mysqld.pid"
MYSQL_LOG="$MYSQL_DIR/error.log"
# The packages mysqld and its client come in; their sid libraries are resolved by apt, since sid renames them.
MYSQL_PACKAGES=(mysql-server-core mysql-client-core)
MYSQL_LIBS="$MYSQL_FS/usr/lib/x86_64-linux-gnu"

# Runs one of the private root's programs on sid's loader and libraries.
mysql97_exec() { sid_root_exec "$MYSQL_ROOT_DIR" "$@"; }

mysql97_client() { mysql97_exec /usr/bin/mysql --defaults-file="$MYSQL_CNF" -uroot "$@"; }

mysql97_install() { sid_root_install mysql "$MYSQL_ROOT_DIR" /usr/sbin/mysqld "${MYSQL_PACKAGES[@]}"; }

mysql97_write_cnf() {
  mkdir -p "$MYSQL_DIR/data" "$MYSQL_DIR/tmp"
  # The project's server settings first (cdc.cnf's [mysqld-9.7] group turns GTIDs on); then this instance's
  # paths into the private root. secure_file_priv is empty: the packaged /var/lib/mysql-files does not exist.
  cat > "$MYSQL_CNF" <<CNF
!include $ROOT/mysql-conf/cdc.cnf

[mysqld]
user             = $(id -un)
basedir          = $MYSQL_FS/usr
lc_messages_dir  = $MYSQL_FS/usr/share/mysql
character_sets_dir = $MYSQL_FS/usr/share/mysql/charsets
plugin_dir       = $MYSQL_FS/usr/lib/mysql/plugin
secure_file_priv =
mysqlx           = OFF
datadir          = $MYSQL_DIR/data
tmpdir           = $MYSQL_DIR/tmp
socket           = $MYSQL_SOCK
pid_file         = $MYSQL_PID
log_error        = $MYSQL_LOG
port             = $STACK_MYSQL97_PORT
bind_address     = 127.0.0.1
skip_name_resolve
$(stack_tls_cnf)

[client]
socket           = $MYSQL_SOCK
port             = $STACK_MYSQL97_PORT
character_sets_dir = $MYSQL_FS/usr/share/mysql/charsets
CNF
}

mysql97_healthy() {
  mysql97_exec /usr/bin/mysqladmin --defaults-file="$MYSQL_CNF" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

mysql97_up() {
  if pid_alive "$MYSQL_PID" && mysql97_healthy; then say "mysql: already up on 127.0.0.1:$STACK_MYSQL97_PORT"; return 0; fi
  mysql97_install
  stack_tls
  mysql97_write_cnf
  if [[ ! -d "$MYSQL_DIR/data/mysql" ]]; then
    say "mysql: initialising $MYSQL_DIR/data"
    rm -rf "$MYSQL_DIR/data" && mkdir -p "$MYSQL_DIR/data"
    # root@localhost without a password; the server listens on 127.0.0.1 only and root is reached by its socket.
    mysql97_exec /usr/sbin/mysqld --defaults-file="$MYSQL_CNF" --initialize-insecure > "$MYSQL_DIR/install.log" 2>&1 \
      || die "mysqld --initialize-insecure failed; see $MYSQL_DIR/install.log and $MYSQL_LOG"
  fi
  port_open "$STACK_MYSQL97_PORT" && die "port $STACK_MYSQL97_PORT is taken by another process; set STACK_MYSQL97_PORT"
  say "mysql: starting MySQL 9.7 on 127.0.0.1:$STACK_MYSQL97_PORT"
  setsid nohup "$MYSQL_LIBS/ld-linux-x86-64.so.2" --library-path "$MYSQL_LIBS" "$MYSQL_FS/usr/sbin/mysqld" \
    --defaults-file="$MYSQL_CNF" > "$MYSQL_DIR/stdout.log" 2>&1 < /dev/null &
  wait_until 60 "mysql" mysql97_healthy || die "mysql did not come up in 60s; see $MYSQL_LOG"
  mysql97_bootstrap
}

# The same database, table and accounts as MariaDB's (stack_bootstrap_sql), with MySQL's default
# caching_sha2_password: 9.x has no mysql_native_password.
mysql97_bootstrap() { stack_bootstrap_sql | mysql97_client; }

mysql97_down() {
  if pid_alive "$MYSQL_PID"; then say "mysql: stopping"; fi
  # SIGTERM is MySQL's clean shutdown; the pid file names mysqld itself, not a wrapper.
  stop_pidfile "$MYSQL_PID" mysql 60
}

mysql97_status() { print_status mysql "$STACK_MYSQL97_PORT" "$MYSQL_PID" "$MYSQL_LOG" mysql97_healthy; }
