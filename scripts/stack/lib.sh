# Shared paths, ports and helpers for the local stack. Sourced, not run.
# Every service listens on 127.0.0.1 only and keeps all of its state under $STACK_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The mariadb and mysql clients read these too: MYSQL_HOST (the application's setting, exported by npm test)
# would send the stack's socket-only root sessions over TCP, where root has no login.
unset MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_PWD
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"

STACK_MYSQL_PORT="${STACK_MYSQL_PORT:-3307}"
# Oracle MySQL 9.7 (scripts/stack/mysql.sh), beside MariaDB; STACK_MYSQL_SERVER=mysql points stack:env/sql at it.
STACK_MYSQL97_PORT="${STACK_MYSQL97_PORT:-3308}"
# MariaDB 11.8 (scripts/stack/mariadb11.sh), the other MariaDB line tested; STACK_MYSQL_SERVER=mariadb11 points at it.
STACK_MARIADB11_PORT="${STACK_MARIADB11_PORT:-3309}"
STACK_MYSQL_SERVER="${STACK_MYSQL_SERVER:-mariadb}"
STACK_KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
STACK_KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-9093}"
# A second listener with SASL/PLAIN, so authenticated clients (and that no secret reaches a log) are tested for real.
STACK_KAFKA_SASL_PORT="${STACK_KAFKA_SASL_PORT:-9094}"
STACK_REGISTRY_PORT="${STACK_REGISTRY_PORT:-8081}"

# The pipeline's least-privilege account and the shop's own admin account (generator, tests, DDL).
STACK_DB=shop
STACK_CDC_USER=cdc
STACK_CDC_PASSWORD=cdc-local
STACK_ADMIN_USER=shop_admin
STACK_ADMIN_PASSWORD=shop-admin-local
STACK_KAFKA_SASL_USER=cdc
STACK_KAFKA_SASL_PASSWORD=cdc-sasl-local

MARIADB_DIR="$STACK_DIR/mariadb"
KAFKA_DIR="$STACK_DIR/kafka"
REGISTRY_DIR="$STACK_DIR/registry"
# Maven's repository stays inside the checkout: nothing is cached where a fresh machine has nothing.
M2_REPO="$STACK_DIR/m2"

say() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { # pidfile
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

wait_until() { # seconds description command...
  local secs="$1" what="$2"; shift 2
  local i
  for ((i = 0; i < secs * 4; i++)); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  return 1
}

# Stops the process in a pidfile: SIGTERM, then SIGKILL after a grace period.
stop_pidfile() { # pidfile name grace-seconds
  local pidfile="$1" name="$2" grace="${3:-30}"
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$grace" "$name to stop" bash -c "! kill -0 $pid 2>/dev/null"; then
    say "$name did not stop in ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@";
  elif command -v sudo >/dev/null; then sudo "$@";
  else die "need root to run: $* (install it yourself or run as root)"; fi
}

APT_UPDATED=0
# Installers' own output (apt, dpkg, Maven) goes to one log; the terminal gets one line per step.
INSTALL_LOG="$STACK_DIR/install.log"

logged() { # what command...: runs the command with its output in $INSTALL_LOG; on failure shows the log's tail
  local what="$1"; shift
  mkdir -p "$STACK_DIR"
  printf '\n== %s: %s\n' "$(date -u +%FT%TZ)" "$what" >> "$INSTALL_LOG"
  if ! "$@" >> "$INSTALL_LOG" 2>&1; then
    tail -n 30 "$INSTALL_LOG" >&2
    die "$what failed; the whole output is in $INSTALL_LOG"
  fi
}

apt_install() { # packages...
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
  if [[ $APT_UPDATED -eq 0 ]]; then
    say "apt-get update (log in $INSTALL_LOG)"
    logged "apt-get update" as_root apt-get update -q
    APT_UPDATED=1
  fi
  say "apt-get install $* (log in $INSTALL_LOG)"
  logged "apt-get install $*" as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

need_java() {
  command -v java >/dev/null || apt_install default-jre-headless
  command -v mvn >/dev/null || apt_install maven
}

mvn_q() { logged "mvn $*" mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" "$@"; }

# One status line per service; returns 1 when it is not up and healthy.
print_status() { # name port pidfile log healthy-command (a function, and its arguments as words)
  local name="$1" port="$2" pidfile="$3" log="$4" healthy="$5"
  # shellcheck disable=SC2086 # the command's words
  if pid_alive "$pidfile" && $healthy; then
    printf '%-9s up    127.0.0.1:%-6s pid %-7s log %s\n' "$name" "$port" "$(cat "$pidfile")" "$log"
  else
    printf '%-9s down  127.0.0.1:%-6s %-11s log %s\n' "$name" "$port" "" "$log"
    return 1
  fi
}

# The database services a plain stack:up starts: STACK_MYSQL_SERVER=mariadb (default), mariadb11, mysql, both
# (MariaDB 10.11 and MySQL) or all three.
default_databases() {
  case "$STACK_MYSQL_SERVER" in
    mariadb) echo mariadb ;;
    mariadb11) echo mariadb11 ;;
    mysql) echo mysql ;;
    both) echo mariadb mysql ;;
    all) echo mariadb mariadb11 mysql ;;
    *) die "STACK_MYSQL_SERVER=$STACK_MYSQL_SERVER: expected mariadb, mariadb11, mysql, both or all" ;;
  esac
}

# The port of the database STACK_MYSQL_SERVER names (the first, for both and all).
database_port() {
  case "$STACK_MYSQL_SERVER" in
    mariadb11) echo "$STACK_MARIADB11_PORT" ;;
    mysql) echo "$STACK_MYSQL97_PORT" ;;
    *) echo "$STACK_MYSQL_PORT" ;;
  esac
}

# Idempotent SQL for either server: the database, the seed's table and the two accounts, bound to loopback (the
# admin may grant, so tests can make accounts of their own). The table's file is inlined: MySQL's client sends
# `source` to the server when it reads from a pipe.
stack_bootstrap_sql() {
  cat <<SQL
CREATE DATABASE IF NOT EXISTS \`$STACK_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE \`$STACK_DB\`;
$(cat "$ROOT/mysql-conf/init/10-product.sql")
CREATE USER IF NOT EXISTS '$STACK_CDC_USER'@'127.0.0.1' IDENTIFIED BY '$STACK_CDC_PASSWORD';
CREATE USER IF NOT EXISTS '$STACK_CDC_USER'@'localhost' IDENTIFIED BY '$STACK_CDC_PASSWORD';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '$STACK_CDC_USER'@'127.0.0.1', '$STACK_CDC_USER'@'localhost';
GRANT SELECT ON \`$STACK_DB\`.product TO '$STACK_CDC_USER'@'127.0.0.1', '$STACK_CDC_USER'@'localhost';
CREATE USER IF NOT EXISTS '$STACK_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$STACK_ADMIN_PASSWORD';
CREATE USER IF NOT EXISTS '$STACK_ADMIN_USER'@'localhost' IDENTIFIED BY '$STACK_ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$STACK_ADMIN_USER'@'127.0.0.1', '$STACK_ADMIN_USER'@'localhost' WITH GRANT OPTION;
SQL
}

# A private CA and one server certificate for 127.0.0.1/localhost, shared by MariaDB and MySQL, so clients can
# be tested with MYSQL_SSL_MODE=VERIFY_IDENTITY and MYSQL_SSL_CA=$STACK_TLS_DIR/ca.pem. Made once.
STACK_TLS_DIR="$STACK_DIR/tls"
stack_tls() {
  [[ -f $STACK_TLS_DIR/server-cert.pem ]] && return 0
  command -v openssl >/dev/null || apt_install openssl
  say "tls: a private CA and a server certificate for 127.0.0.1 in $STACK_TLS_DIR"
  mkdir -p "$STACK_TLS_DIR"
  local d="$STACK_TLS_DIR"
  logged "openssl: CA" openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cdc local stack CA" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem"
  logged "openssl: server request" openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server-key.pem" -out "$d/server.csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/server.ext"
  logged "openssl: server certificate" openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
    -CAcreateserial -days 3650 -extfile "$d/server.ext" -out "$d/server-cert.pem"
}

# The [mysqld] lines that make a server use those files.
stack_tls_cnf() {
  printf 'ssl_ca           = %s\nssl_cert         = %s\nssl_key          = %s\n' \
    "$STACK_TLS_DIR/ca.pem" "$STACK_TLS_DIR/server-cert.pem" "$STACK_TLS_DIR/server-key.pem"
}
