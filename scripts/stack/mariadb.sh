# Private MariaDB instance: own datadir, socket and port, never the system's 3306. Sourced by up/down/status.

MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
MARIADB_CNF="$MARIADB_DIR/my.cnf"
MARIADB_SOCK="$MARIADB_DIR/mysqld.sock"
MARIADB_PID="$MARIADB_DIR/mysqld.pid"
MARIADB_LOG="$MARIADB_DIR/error.log"

mariadb_client() { mariadb --defaults-file="$MARIADB_CNF" --socket="$MARIADB_SOCK" -uroot "$@"; }

mariadb_install() {
  if [[ ! -x "$MARIADBD" ]] || ! command -v mariadb-install-db >/dev/null || ! command -v mariadb >/dev/null; then
    say "installing mariadb-server from Debian"
    apt_install mariadb-server mariadb-client
    MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
  fi
}

mariadb_write_cnf() {
  mkdir -p "$MARIADB_DIR/data" "$MARIADB_DIR/tmp"
  # The project's server settings come first; this instance's own paths and port follow.
  cat > "$MARIADB_CNF" <<CNF
!include $ROOT/mysql-conf/cdc.cnf

[mysqld]
user         = $(id -un)
datadir      = $MARIADB_DIR/data
tmpdir       = $MARIADB_DIR/tmp
socket       = $MARIADB_SOCK
pid-file     = $MARIADB_PID
log-error    = $MARIADB_LOG
port         = $STACK_MYSQL_PORT
bind-address = 127.0.0.1
skip-name-resolve
$(stack_tls_cnf)

[client]
socket       = $MARIADB_SOCK
port         = $STACK_MYSQL_PORT
CNF
}

mariadb_healthy() { mariadb-admin --defaults-file="$MARIADB_CNF" --socket="$MARIADB_SOCK" -uroot ping >/dev/null 2>&1; }

mariadb_up() {
  if pid_alive "$MARIADB_PID" && mariadb_healthy; then say "mariadb: already up on 127.0.0.1:$STACK_MYSQL_PORT"; return 0; fi
  mariadb_install
  stack_tls
  mariadb_write_cnf
  if [[ ! -d "$MARIADB_DIR/data/mysql" ]]; then
    say "mariadb: initialising $MARIADB_DIR/data"
    # root authenticates by unix socket as the OS user running the stack; nothing listens for it over TCP.
    mariadb-install-db --defaults-file="$MARIADB_CNF" --auth-root-authentication-method=socket \
      --auth-root-socket-user="$(id -un)" --skip-test-db > "$MARIADB_DIR/install.log" 2>&1 \
      || die "mariadb-install-db failed; see $MARIADB_DIR/install.log"
  fi
  port_open "$STACK_MYSQL_PORT" && die "port $STACK_MYSQL_PORT is taken by another process; set STACK_MYSQL_PORT"
  say "mariadb: starting on 127.0.0.1:$STACK_MYSQL_PORT"
  setsid nohup "$MARIADBD" --defaults-file="$MARIADB_CNF" > "$MARIADB_DIR/stdout.log" 2>&1 < /dev/null &
  wait_until 60 "mariadb" mariadb_healthy || die "mariadb did not come up in 60s; see $MARIADB_LOG"
  mariadb_bootstrap
}

# Idempotent: the database, the seed's table and the two accounts (stack_bootstrap_sql).
mariadb_bootstrap() { stack_bootstrap_sql | mariadb_client; }

mariadb_down() {
  if pid_alive "$MARIADB_PID"; then
    say "mariadb: stopping"
    mariadb-admin --defaults-file="$MARIADB_CNF" --socket="$MARIADB_SOCK" -uroot shutdown >/dev/null 2>&1 || true
    wait_until 30 "mariadb to stop" bash -c "! kill -0 $(cat "$MARIADB_PID" 2>/dev/null || echo 0) 2>/dev/null" || true
    stop_pidfile "$MARIADB_PID" mariadb 10
  fi
}

mariadb_status() { print_status mariadb "$STACK_MYSQL_PORT" "$MARIADB_PID" "$MARIADB_LOG" mariadb_healthy; }
