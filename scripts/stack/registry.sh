# Apicurio Registry 2.6 (Confluent-compatible API at /apis/ccompat/v7), from Maven Central, H2 on disk so schema
# ids survive a restart: a message encoded with id N must still decode after `stack:down && stack:up`.
# Sourced by up/down/status.

REGISTRY_PID="$REGISTRY_DIR/registry.pid"
REGISTRY_LOG="$REGISTRY_DIR/logs/registry.log"
REGISTRY_POM="$ROOT/scripts/stack/registry/pom.xml"
REGISTRY_APP="$REGISTRY_DIR/app"

registry_install() {
  local stamp; stamp="$(sha1sum "$REGISTRY_POM" | cut -c1-12)"
  if [[ -f "$REGISTRY_APP/.stamp" && "$(cat "$REGISTRY_APP/.stamp")" == "$stamp" ]]; then return 0; fi
  need_java
  say "registry: fetching Apicurio Registry from Maven Central into $REGISTRY_APP"
  rm -rf "$REGISTRY_APP"
  mvn_q -f "$REGISTRY_POM" package -Dregistry.dir="$REGISTRY_APP" \
    -Dproject.build.directory="$REGISTRY_DIR/build"
  ls "$REGISTRY_APP"/*-runner.jar >/dev/null 2>&1 || die "no runner jar in $REGISTRY_APP"
  echo "$stamp" > "$REGISTRY_APP/.stamp"
}

registry_url() { echo "http://127.0.0.1:$STACK_REGISTRY_PORT/apis/ccompat/v7"; }

registry_healthy() { curl -fsS -o /dev/null --max-time 2 "$(registry_url)/subjects" 2>/dev/null; }

registry_up() {
  if pid_alive "$REGISTRY_PID" && registry_healthy; then say "registry: already up on 127.0.0.1:$STACK_REGISTRY_PORT"; return 0; fi
  registry_install
  mkdir -p "$REGISTRY_DIR/data" "$REGISTRY_DIR/logs"
  port_open "$STACK_REGISTRY_PORT" && die "port $STACK_REGISTRY_PORT is taken by another process; set STACK_REGISTRY_PORT"
  say "registry: starting on 127.0.0.1:$STACK_REGISTRY_PORT"
  local jar; jar="$(ls "$REGISTRY_APP"/*-runner.jar | head -1)"
  # A small pool and heap: one pipeline talks to it, and it shares two cores with MariaDB and Kafka.
  REGISTRY_DATASOURCE_URL="jdbc:h2:file:$REGISTRY_DIR/data/registry;WRITE_DELAY=0" \
    setsid nohup java -Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$STACK_REGISTRY_PORT" \
      -Dquarkus.datasource.jdbc.initial-size=2 -Dquarkus.datasource.jdbc.min-size=2 \
      -Dquarkus.datasource.jdbc.max-size=10 \
      -jar "$jar" > "$REGISTRY_LOG" 2>&1 < /dev/null &
  echo $! > "$REGISTRY_PID"
  wait_until 90 registry registry_healthy || die "registry did not come up in 90s; see $REGISTRY_LOG"
}

registry_down() {
  if pid_alive "$REGISTRY_PID"; then say "registry: stopping"; fi
  # SIGTERM lets H2 close its file cleanly.
  stop_pidfile "$REGISTRY_PID" registry 30
}

registry_status() { print_status registry "$STACK_REGISTRY_PORT" "$REGISTRY_PID" "$REGISTRY_LOG" registry_healthy; }
