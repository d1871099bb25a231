# Debian sid's packages unpacked into a private root, for servers Debian 12 does not have (MySQL 9.7, MariaDB
# 11.8): apt-get download + dpkg-deb -x, nothing installed on the system. Sid's libc and libstdc++ are newer
# than the host's, so the programs run through sid's own loader. Sourced after lib.sh.

STACK_SID_MIRROR="${STACK_SID_MIRROR:-${STACK_MYSQL97_MIRROR:-http://deb.debian.org/debian}}"

# Runs one of a private root's programs on sid's loader and libraries.
sid_root_exec() { # root-dir program-path-in-root args...
  local root="$1" program="$2"; shift 2
  local libs="$root/fs/usr/lib/x86_64-linux-gnu"
  "$libs/ld-linux-x86-64.so.2" --library-path "$libs" "$root/fs$program" "$@"
}

# apt reads only this configuration: sid main, its own lists, cache and a copy of the dpkg status, no locks.
sid_root_apt_config() { # root-dir
  local apt="$1/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/prefs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $STACK_SID_MIRROR sid main" > "$apt/sources.list"
  cp /var/lib/dpkg/status "$apt/status"
  cat > "$apt/apt.conf" <<CONF
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "$apt/parts";
Dir::Etc::PreferencesParts "$apt/prefs";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
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

sid_root_apt() { local root="$1"; shift; APT_CONFIG="$root/apt/apt.conf" apt-get -q "$@"; }

# The packages apt would add or upgrade for these on this system, kept to their dependency closure: a simulated
# install also upgrades unrelated packages (libc6-dev, dpkg-dev…) that sid's libc6 breaks.
sid_root_resolve() { # root-dir packages...
  local root="$1"; shift
  comm -12 \
    <(sid_root_apt "$root" -s install "$@" 2>>"$INSTALL_LOG" | awk '$1 == "Inst" { print $2 }' | sort -u) \
    <(APT_CONFIG="$root/apt/apt.conf" apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "$@" 2>>"$INSTALL_LOG" | grep -v '^ ' | sort -u)
}

# Fetches and unpacks the packages (and the sid libraries they need) once; a stamp records what is there.
sid_root_install() { # name root-dir program-that-must-exist packages...
  local name="$1" root="$2" program="$3"; shift 3
  local fs="$root/fs" stamp="$root/fs/.stamp" want="$* $STACK_SID_MIRROR"
  if [[ -f $stamp && "$(head -1 "$stamp")" == "$want" && -x $fs$program ]]; then return 0; fi
  [[ "$(uname -m)" == x86_64 ]] || die "$name: the private root is built for x86_64 only; run the server yourself and point MYSQL_PORT at it"
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "$name: needs apt-get and dpkg-deb (a Debian or Ubuntu host)"
  say "$name: fetching $* from Debian sid into $root (log in $INSTALL_LOG)"
  sid_root_apt_config "$root"
  logged "$name: apt-get update (sid)" sid_root_apt "$root" update
  local packages
  mapfile -t packages < <(sid_root_resolve "$root" "$@")
  [[ ${#packages[@]} -gt 0 ]] || die "$name: apt resolved no packages for $*; see $INSTALL_LOG"
  say "$name: downloading ${#packages[@]} packages"
  rm -rf "$root/apt/debs" && mkdir -p "$root/apt/debs"
  (cd "$root/apt/debs" && logged "$name: apt-get download ${packages[*]}" sid_root_apt "$root" download "${packages[@]}")
  say "$name: unpacking into $fs"
  rm -rf "$fs" && mkdir -p "$fs"
  local deb
  for deb in "$root"/apt/debs/*.deb; do logged "dpkg-deb -x $(basename "$deb")" dpkg-deb -x "$deb" "$fs"; done
  # The .debs are not needed once unpacked.
  rm -rf "$root/apt/debs" "$root/apt/cache/archives"
  [[ -x $fs$program ]] || die "$name: no $program after unpacking; see $INSTALL_LOG"
  { echo "$want"; printf '%s\n' "${packages[@]}"; } > "$stamp"
}
