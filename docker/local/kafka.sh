# Apache Kafka, single KRaft node (broker + controller), from the jars on Maven Central.
KAFKA_PORT="${CASETRACK_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${CASETRACK_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_DIR="$VAR/kafka"
KAFKA_PID="$RUN_DIR/kafka.pid"
KAFKA_LIB="$ROOT/docker/local/kafka/target/lib"

kafka_bootstrap() { printf '127.0.0.1:%s' "$KAFKA_PORT"; }

kafka_build() {
  if [ ! -d "$KAFKA_LIB" ] || [ "$ROOT/docker/local/kafka/pom.xml" -nt "$KAFKA_LIB" ]; then
    log "resolving Kafka jars from Maven Central"
    rm -rf "$KAFKA_LIB"
    mvn_build "$ROOT/docker/local/kafka"
  fi
}

kafka_ready() {
  "$PYTHON" - "$(kafka_bootstrap)" <<'PY'
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
admin.list_topics()
admin.close()
PY
}

KAFKA_JVM=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$ROOT/docker/local/kafka/log4j2.properties"
  "-Dkafka.logs.dir=$LOG_DIR" -cp "$KAFKA_LIB/*")
kafka_java() { java "${KAFKA_JVM[@]}" "$@"; }

kafka_up() {
  if [ -n "${CASETRACK_KAFKA_BOOTSTRAP:-}" ]; then
    log "Kafka: using external $CASETRACK_KAFKA_BOOTSTRAP"; return 0
  fi
  if pid_alive "$KAFKA_PID"; then
    kafka_ready >/dev/null 2>&1 && return 0
  else
    kafka_build
    mkdir -p "$KAFKA_DIR/data"
    sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|@DATA@|$KAFKA_DIR/data|g" \
        "$ROOT/docker/local/kafka/server.properties.in" > "$KAFKA_DIR/server.properties"
    if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
      log "formatting Kafka storage"
      kafka_java kafka.tools.StorageTool format --standalone \
        -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
        -c "$KAFKA_DIR/server.properties" >>"$LOG_DIR/kafka.log" 2>&1 \
        || die "Kafka storage format failed; see $LOG_DIR/kafka.log"
    fi
    log "starting Kafka on $(kafka_bootstrap)"
    setsid nohup java "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" \
      >>"$LOG_DIR/kafka.log" 2>&1 < /dev/null &
    echo $! > "$KAFKA_PID"
    STARTED+=(kafka)
  fi
  if ! wait_for "Kafka" 120 kafka_ready; then
    tail -n 40 "$LOG_DIR/kafka.log" >&2
    die "Kafka did not answer metadata requests within 120 s"
  fi
}

kafka_down() { stop_pidfile Kafka "$KAFKA_PID"; }
