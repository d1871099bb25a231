# Private Oracle MySQL 9.7 beside MariaDB: own datadir, socket and port (STACK_MYSQL97_PORT). Sourced by
# up/down/status. Debian 12's libc and libstdc++ are too old for it, so Debian sid's packages and the sid runtime
# libraries they need are unpacked into $MYSQL_ROOT_DIR (apt-get download + dpkg-deb -x, nothing installed on the
# system) and mysqld runs through sid's own loader.

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
STACK_MYSQL97_MIRROR="${STACK_MYSQL97_MIRROR:-http://deb.debian.org/debian}"
MYSQL_LIBS="$MYSQL_FS/usr/lib/x86_64-linux-gnu"

# Runs one of the private root's programs on sid's loader and libraries.
mysql97_exec() { # program-path-in-root args...
  local program="$1"; shift
  "$MYSQL_LIBS/ld-linux-x86-64.so.2" --library-path "$MYSQL_LIBS" "$MYSQL_FS$program" "$@"
}

mysql97_client() { mysql97_exec /usr/bin/mysql --defaults-file="$MYSQL_CNF" -uroot "$@"; }

# apt reads only this configuration: sid main, its own lists, cache and a copy of the dpkg status, no locks.
mysql97_apt_config() {
  mkdir -p "$MYSQL_APT/lists/partial" "$MYSQL_APT/cache/archives/partial" "$MYSQL_APT/parts" "$MYSQL_APT/prefs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $STACK_MYSQL97_MIRROR sid main" > "$MYSQL_APT/sources.list"
  cp /var/lib/dpkg/status "$MYSQL_APT/status"
  cat > "$MYSQL_APT/apt.conf" <<CONF
Dir::Etc::SourceList "$MYSQL_APT/sources.list";
Dir::Etc::SourceParts "$MYSQL_APT/parts";
Dir::Etc::PreferencesParts "$MYSQL_APT/prefs";
Dir::State::Lists "$MYSQL_APT/lists";
Dir::State::status "$MYSQL_APT/status";
Dir::Cache "$MYSQL_APT/cache";
Debug::NoLocking "true";
APT::Sandbox::User "root";
APT::Architectures { "amd64"; };
Acquire::Languages "none";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
Acquire::IndexTargets::deb::CNF::DefaultEnabled "false";
CONF
}

mysql97_apt() { APT_CONFIG="$MYSQL_APT/apt.conf" apt-get -q "$@"; }

# The packages apt would add or upgrade for MYSQL_PACKAGES on this system, kept to their dependency closure: a
# simulated install also upgrades unrelated packages (libc6-dev, dpkg-dev…) that sid's libc6 breaks.
mysql97_resolve() {
  comm -12 \
    <(mysql97_apt -s install "${MYSQL_PACKAGES[@]}" 2>>"$INSTALL_LOG" | awk '$1 == "Inst" { print $2 }' | sort -u) \
    <(APT_CONFIG="$MYSQL_APT/apt.conf" apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "${MYSQL_PACKAGES[@]}" 2>>"$INSTALL_LOG" | grep -v '^ ' | sort -u)
}

mysql97_install() {
  local stamp="$MYSQL_FS/.stamp" want="${MYSQL_PACKAGES[*]} $STACK_MYSQL97_MIRROR"
  if [[ -f $stamp && "$(head -1 "$stamp")" == "$want" && -x $MYSQL_FS/usr/sbin/mysqld ]]; then return 0; fi
  [[ "$(uname -m)" == x86_64 ]] || die "mysql: the private root is built for x86_64 only; run MySQL yourself and set MYSQL_PORT"
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "mysql: needs apt-get and dpkg-deb (a Debian or Ubuntu host)"
  say "mysql: fetching MySQL 9.7 from Debian sid into $MYSQL_ROOT_DIR (log in $INSTALL_LOG)"
  mysql97_apt_config
  logged "mysql: apt-get update (sid)" mysql97_apt update
  local packages
  mapfile -t packages < <(mysql97_resolve)
  [[ ${#packages[@]} -gt 0 ]] || die "mysql: apt resolved no packages for ${MYSQL_PACKAGES[*]}; see $INSTALL_LOG"
  say "mysql: downloading ${#packages[@]} packages"
  rm -rf "$MYSQL_APT/debs" && mkdir -p "$MYSQL_APT/debs"
  (cd "$MYSQL_APT/debs" && logged "mysql: apt-get download ${packages[*]}" mysql97_apt download "${packages[@]}")
  say "mysql: unpacking into $MYSQL_FS"
  rm -rf "$MYSQL_FS" && mkdir -p "$MYSQL_FS"
  local deb
  for deb in "$MYSQL_APT"/debs/*.deb; do logged "dpkg-deb -x $(basename "$deb")" dpkg-deb -x "$deb" "$MYSQL_FS"; done
  # The .debs are not needed once unpacked.
  rm -rf "$MYSQL_APT/debs" "$MYSQL_APT/cache/archives"
  [[ -x $MYSQL_FS/usr/sbin/mysqld ]] || die "mysql: no usr/sbin/mysqld after unpacking; see $INSTALL_LOG"
  { echo "$want"; printf '%s\n' "${packages[@]}"; } > "$stamp"
}

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
