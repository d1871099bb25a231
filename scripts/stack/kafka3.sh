# A three-broker Apache Kafka cluster (KRaft; each node broker and controller, a quorum of three), from the same
# Maven Central jars as the single broker, for the cluster fault tests: replication factor 3 and
# min.insync.replicas 2 for the pipeline's topics and Kafka's internal ones. Service `kafka3`; not part of the
# default stack. Node N listens on 127.0.0.1:$((STACK_KAFKA3_PORT + N - 1)) (controller on the same offset from
# STACK_KAFKA3_CONTROLLER_PORT), its data and log in .stack/kafka3/node-N. Sourced by up/down/status.

STACK_KAFKA3_PORT="${STACK_KAFKA3_PORT:-9192}"
STACK_KAFKA3_CONTROLLER_PORT="${STACK_KAFKA3_CONTROLLER_PORT:-9292}"
KAFKA3_DIR="$STACK_DIR/kafka3"

kafka3_port() { echo $((STACK_KAFKA3_PORT + $1 - 1)); }
kafka3_node_dir() { echo "$KAFKA3_DIR/node-$1"; }
kafka3_brokers() { echo "127.0.0.1:$(kafka3_port 1),127.0.0.1:$(kafka3_port 2),127.0.0.1:$(kafka3_port 3)"; }

kafka3_write_config() { # node
  local n="$1" dir; dir="$(kafka3_node_dir "$n")"
  mkdir -p "$dir/data" "$dir/logs"
  local voters="1@127.0.0.1:$STACK_KAFKA3_CONTROLLER_PORT,2@127.0.0.1:$((STACK_KAFKA3_CONTROLLER_PORT + 1)),3@127.0.0.1:$((STACK_KAFKA3_CONTROLLER_PORT + 2))"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka3_port "$n"),CONTROLLER://127.0.0.1:$((STACK_KAFKA3_CONTROLLER_PORT + n - 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka3_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
# What a production cluster runs: every partition on all three, a write acknowledged by two.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
# A replica that cannot keep up (or a node cut off) leaves the ISR after this long.
replica.lag.time.max.ms=10000
group.initial.rebalance.delay.ms=100
auto.create.topics.enable=false
PROPS
  sed "s|\${sys:kafka.logs.dir}|$dir/logs|" "$KAFKA_DIR/log4j2.properties" > "$dir/log4j2.properties" 2>/dev/null || true
}

kafka3_pidfile() { echo "$(kafka3_node_dir "$1")/kafka.pid"; }
kafka3_log() { echo "$(kafka3_node_dir "$1")/logs/server.log"; }
kafka3_node_healthy() { port_open "$(kafka3_port "$1")" && grep -q 'Kafka Server started' "$(kafka3_log "$1")" 2>/dev/null; }
kafka3_healthy() { kafka3_node_healthy 1 && kafka3_node_healthy 2 && kafka3_node_healthy 3; }

kafka3_start_node() { # node
  local n="$1" dir; dir="$(kafka3_node_dir "$n")"
  if pid_alive "$(kafka3_pidfile "$n")"; then return 0; fi
  port_open "$(kafka3_port "$n")" && die "port $(kafka3_port "$n") is taken by another process; set STACK_KAFKA3_PORT"
  : > "$(kafka3_log "$n")"
  # A smaller heap than the single broker's: three share two cores and the rest of the stack.
  setsid nohup java -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true -cp "$KAFKA_DIR/libs/*" \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
    kafka.Kafka "$dir/server.properties" > "$dir/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$(kafka3_pidfile "$n")"
}

kafka3_up() {
  if kafka3_healthy && pid_alive "$(kafka3_pidfile 1)" && pid_alive "$(kafka3_pidfile 2)" && pid_alive "$(kafka3_pidfile 3)"; then
    say "kafka3: already up on $(kafka3_brokers)"; return 0
  fi
  kafka_install
  kafka_write_config # the single broker's log4j2 file, shared
  local n id=""
  for n in 1 2 3; do
    kafka3_write_config "$n"
    if [[ ! -f "$(kafka3_node_dir "$n")/data/meta.properties" ]]; then
      [[ -n $id ]] || id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -1)"
      say "kafka3: formatting node $n"
      kafka_java kafka.tools.StorageTool format -t "$id" -c "$(kafka3_node_dir "$n")/server.properties" >&2 || die "kafka3 node $n storage format failed"
    fi
  done
  say "kafka3: starting three nodes on $(kafka3_brokers)"
  for n in 1 2 3; do kafka3_start_node "$n"; done
  wait_until 120 kafka3 kafka3_healthy || die "kafka3 did not come up in 120s; see $KAFKA3_DIR/node-*/logs/server.log"
}

kafka3_down() {
  local n
  for n in 1 2 3; do
    if pid_alive "$(kafka3_pidfile "$n")"; then say "kafka3: stopping node $n"; fi
    stop_pidfile "$(kafka3_pidfile "$n")" "kafka3 node $n" 60
  done
}

kafka3_status() {
  local n
  for n in 1 2 3; do print_status "kafka3-$n" "$(kafka3_port "$n")" "$(kafka3_pidfile "$n")" "$(kafka3_log "$n")" "kafka3_node_healthy $n"; done
}
