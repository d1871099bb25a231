# Private MariaDB 11.8 (the LTS in Debian 13 and sid) beside 10.11: own datadir, socket and port
# (STACK_MARIADB11_PORT), from Debian sid's packages in a private root (sid-root.sh), as MySQL 9.7 is. It keeps
# 11.8's defaults where they differ from 10.11's and matter to a reader: binlog_legacy_event_pos=OFF (row events
# carry end_log_pos 0), the utf8mb4_uca1400 collations, BINLOG MONITOR for REPLICATION CLIENT. Sourced.
source "$(dirname "${BASH_SOURCE[0]}")/sid-root.sh"

MARIADB11_ROOT_DIR="$STACK_DIR/mariadb11-root"
MARIADB11_FS="$MARIADB11_ROOT_DIR/fs"
MARIADB11_DIR="$STACK_DIR/mariadb11"
MARIADB11_CNF="$MARIADB11_DIR/my.cnf"
MARIADB11_SOCK="$MARIADB11_DIR/mysqld.sock"
MARIADB11_PID="$MARIADB11_DIR/mysqld.pid"
MARIADB11_LOG="$MARIADB11_DIR/error.log"
MARIADB11_PACKAGES=(mariadb-server-core mariadb-client-core mariadb-client)

mariadb11_exec() { sid_root_exec "$MARIADB11_ROOT_DIR" "$@"; }
mariadb11_client() { mariadb11_exec /usr/bin/mariadb --defaults-file="$MARIADB11_CNF" -uroot "$@"; }
mariadb11_install() { sid_root_install mariadb11 "$MARIADB11_ROOT_DIR" /usr/sbin/mariadbd "${MARIADB11_PACKAGES[@]}"; }

mariadb11_write_cnf() {
  mkdir -p "$MARIADB11_DIR/data" "$MARIADB11_DIR/tmp"
  cat > "$MARIADB11_CNF" <<CNF
!include $ROOT/mysql-conf/cdc.cnf

[mysqld]
user          = $(id -un)
basedir       = $MARIADB11_FS/usr
lc_messages_dir = $MARIADB11_FS/usr/share/mariadb
character_sets_dir = $MARIADB11_FS/usr/share/mariadb/charsets
datadir       = $MARIADB11_DIR/data
tmpdir        = $MARIADB11_DIR/tmp
socket        = $MARIADB11_SOCK
pid_file      = $MARIADB11_PID
log_error     = $MARIADB11_LOG
port          = $STACK_MARIADB11_PORT
bind_address  = 127.0.0.1
skip_name_resolve
$(stack_tls_cnf)

[client]
socket        = $MARIADB11_SOCK
port          = $STACK_MARIADB11_PORT
character_sets_dir = $MARIADB11_FS/usr/share/mariadb/charsets
CNF
}

mariadb11_healthy() {
  mariadb11_exec /usr/bin/mariadb-admin --defaults-file="$MARIADB11_CNF" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

# What mariadb-install-db does, without its search for the server binary (which has to run on sid's loader):
# the system tables, root by unix socket as the OS user running the stack, no test database.
mariadb11_initialise() {
  local share="$MARIADB11_FS/usr/share/mariadb"
  {
    echo "create database if not exists mysql;"
    echo "use mysql;"
    echo "SET @auth_root_socket='$(id -un)';"
    cat "$share/mariadb_system_tables.sql" "$share/mariadb_performance_tables.sql" "$share/mariadb_system_tables_data.sql" \
      "$share/fill_help_tables.sql" "$share/maria_add_gis_sp_bootstrap.sql" "$share/mariadb_sys_schema.sql"
  } | mariadb11_exec /usr/sbin/mariadbd --defaults-file="$MARIADB11_CNF" --bootstrap --log-warnings=0 \
      --enforce-storage-engine="" --max_allowed_packet=8M --net_buffer_length=16K > "$MARIADB11_DIR/install.log" 2>&1
}

mariadb11_up() {
  if pid_alive "$MARIADB11_PID" && mariadb11_healthy; then say "mariadb11: already up on 127.0.0.1:$STACK_MARIADB11_PORT"; return 0; fi
  mariadb11_install
  stack_tls
  mariadb11_write_cnf
  if [[ ! -d "$MARIADB11_DIR/data/mysql" ]]; then
    say "mariadb11: initialising $MARIADB11_DIR/data"
    rm -rf "$MARIADB11_DIR/data" && mkdir -p "$MARIADB11_DIR/data"
    mariadb11_initialise || die "mariadb11: creating the system tables failed; see $MARIADB11_DIR/install.log"
  fi
  port_open "$STACK_MARIADB11_PORT" && die "port $STACK_MARIADB11_PORT is taken by another process; set STACK_MARIADB11_PORT"
  say "mariadb11: starting MariaDB 11.8 on 127.0.0.1:$STACK_MARIADB11_PORT"
  setsid nohup "$MARIADB11_FS/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$MARIADB11_FS/usr/lib/x86_64-linux-gnu" \
    "$MARIADB11_FS/usr/sbin/mariadbd" --defaults-file="$MARIADB11_CNF" > "$MARIADB11_DIR/stdout.log" 2>&1 < /dev/null &
  wait_until 60 "mariadb11" mariadb11_healthy || die "mariadb11 did not come up in 60s; see $MARIADB11_LOG"
  stack_bootstrap_sql | mariadb11_client
}

mariadb11_down() {
  if pid_alive "$MARIADB11_PID"; then say "mariadb11: stopping"; fi
  # SIGTERM is a clean shutdown; the pid file names mariadbd itself.
  stop_pidfile "$MARIADB11_PID" mariadb11 60
}

mariadb11_status() { print_status mariadb11 "$STACK_MARIADB11_PORT" "$MARIADB11_PID" "$MARIADB11_LOG" mariadb11_healthy; }
