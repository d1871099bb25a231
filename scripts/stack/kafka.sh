# One-node Apache Kafka (KRaft, combined broker+controller) from Maven Central jars. Sourced by up/down/status.

KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/logs/server.log"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_POM="$ROOT/scripts/stack/kafka/pom.xml"

kafka_install() {
  # Re-resolve only when the pom changed (e.g. a version bump).
  local stamp; stamp="$(sha1sum "$KAFKA_POM" | cut -c1-12)"
  if [[ -f "$KAFKA_DIR/libs/.stamp" && "$(cat "$KAFKA_DIR/libs/.stamp")" == "$stamp" ]]; then return 0; fi
  need_java
  say "kafka: resolving jars from Maven Central into $KAFKA_DIR/libs"
  rm -rf "$KAFKA_DIR/libs"
  mvn_q -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_DIR/libs"
  echo "$stamp" > "$KAFKA_DIR/libs/.stamp"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat > "$KAFKA_PROPS" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$STACK_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$STACK_KAFKA_PORT,CONTROLLER://127.0.0.1:$STACK_KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://127.0.0.1:$STACK_KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$STACK_KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$STACK_KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$STACK_KAFKA_SASL_USER="$STACK_KAFKA_SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$KAFKA_DIR/data
num.partitions=1
# One node: internal topics must not ask for replicas that cannot exist, or transactions never start.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# A new group waits this long for its members before the first assignment, so a pool's five consumers (which
# join within 100 ms of each other) share the partitions from the start instead of the first two taking all. The
# broker's default (3000 ms) is most of a pool's start; 1000 ms here had the pool hold every partition after 2.4 s,
# 100 ms after 0.55-0.66 s, still in one generation.
group.initial.rebalance.delay.ms=100
# Topics are created by the pipeline with the partition count it checks; a typo must not create one.
auto.create.topics.enable=false
PROPS
  cat > "$KAFKA_DIR/log4j2.properties" <<'LOG'
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
LOG
}

kafka_java() { java -cp "$KAFKA_DIR/libs/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
  -Dkafka.logs.dir="$KAFKA_DIR/logs" "$@"; }

kafka_healthy() { port_open "$STACK_KAFKA_PORT" && grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null; }

kafka_up() {
  if pid_alive "$KAFKA_PID" && kafka_healthy; then say "kafka: already up on 127.0.0.1:$STACK_KAFKA_PORT"; kafka_scram_user; return 0; fi
  kafka_install
  kafka_write_config
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    say "kafka: formatting storage"
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid | tail -1)" \
      -c "$KAFKA_PROPS" >&2 || die "kafka storage format failed"
  fi
  port_open "$STACK_KAFKA_PORT" && die "port $STACK_KAFKA_PORT is taken by another process; set STACK_KAFKA_PORT"
  port_open "$STACK_KAFKA_SASL_PORT" && die "port $STACK_KAFKA_SASL_PORT is taken by another process; set STACK_KAFKA_SASL_PORT"
  say "kafka: starting on 127.0.0.1:$STACK_KAFKA_PORT"
  : > "$KAFKA_LOG"
  # The JVM options of Kafka's own start script (kafka-run-class.sh): G1 aiming at 20 ms pauses. With G1's
  # 200 ms default, a young collection now and then holds a produce request for 50+ ms.
  setsid nohup java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
    "-Xlog:gc*:file=$KAFKA_DIR/logs/gc.log:time,tags:filecount=4,filesize=20M" -cp "$KAFKA_DIR/libs/*" \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    kafka.Kafka "$KAFKA_PROPS" > "$KAFKA_DIR/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$KAFKA_PID"
  wait_until 90 kafka kafka_healthy || die "kafka did not come up in 90s; see $KAFKA_LOG"
  kafka_scram_user
}

# The SASL user's SCRAM credentials live in the cluster metadata: added once, after the first start. A failure
# only costs the SCRAM tests, so it is reported, not fatal.
kafka_scram_user() {
  local marker="$KAFKA_DIR/data/.scram-$STACK_KAFKA_SASL_USER"
  [[ -f "$marker" ]] && return 0
  say "kafka: adding SCRAM-SHA-256/512 credentials for $STACK_KAFKA_SASL_USER"
  local mechanism
  # One mechanism per request: the broker refuses two changes to one user's credentials in one request.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    if ! kafka_java kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$STACK_KAFKA_PORT" --alter --entity-type users \
      --entity-name "$STACK_KAFKA_SASL_USER" --add-config "$mechanism=[password=$STACK_KAFKA_SASL_PASSWORD]" >> "$INSTALL_LOG" 2>&1; then
      say "kafka: adding $mechanism credentials failed (see $INSTALL_LOG); SASL/PLAIN still works"
      return 0
    fi
  done
  touch "$marker"
}

kafka_down() {
  if pid_alive "$KAFKA_PID"; then say "kafka: stopping"; fi
  stop_pidfile "$KAFKA_PID" kafka 60
}

kafka_status() { print_status kafka "$STACK_KAFKA_PORT" "$KAFKA_PID" "$KAFKA_LOG" kafka_healthy; }
