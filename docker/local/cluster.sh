#!/usr/bin/env bash
# The local cluster on loopback, beside (never instead of) the single-node stack of stack.sh:
# three Kafka 4 nodes in KRaft mode (each broker and controller: a controller quorum of three),
# three master-eligible Elasticsearch nodes (the launcher of docker/local/elasticsearch), and
# PostgreSQL and Redis of its own. Ports from CASETRACK_CLUSTER_* variables, data and logs
# under var/cluster/.
#
#   cluster.sh up [--started-file F]   start (idempotent); print the CASETRACK_* settings, then
#                                       `NODE <name> <pid>` for every Kafka and ES node
#   cluster.sh down                    stop every server the cluster runs (by pid files)
#   cluster.sh env                     print the settings only
#   cluster.sh start|stop NODE         start / stop one node (kafka-1.., elasticsearch-1..);
#                                       `up` also restarts a node that died
#
# Ports (defaults): CASETRACK_CLUSTER_KAFKA_PORT 29092 (brokers on 29092-29094),
# CASETRACK_CLUSTER_KAFKA_CONTROLLER_PORT 29192 (29192-29194), CASETRACK_CLUSTER_ES_PORT 29200
# (HTTP 29200-29202, transport +100), CASETRACK_CLUSTER_POSTGRES_PORT 25432,
# CASETRACK_CLUSTER_REDIS_PORT 26379. Heaps: CASETRACK_CLUSTER_KAFKA_HEAP (384m),
# CASETRACK_CLUSTER_ES_HEAP (512m): six JVMs share the machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
VAR="$ROOT/var/cluster"
RUN_DIR="$VAR/run"
LOG_DIR="$VAR/log"
mkdir -p "$RUN_DIR" "$LOG_DIR"
# The cluster always runs its own servers: URLs exported for the single-node stack (or for
# the cluster itself) never make it leave one alone.
unset CASETRACK_KAFKA_BOOTSTRAP CASETRACK_ES_URL CASETRACK_POSTGRES_URL CASETRACK_REDIS_URL
export CASETRACK_POSTGRES_PORT="${CASETRACK_CLUSTER_POSTGRES_PORT:-25432}"
export CASETRACK_REDIS_PORT="${CASETRACK_CLUSTER_REDIS_PORT:-26379}"
source "$HERE/kafka.sh"   # kafka_build and the jars' location
source "$HERE/es.sh"      # es_build and the launcher's jar
source "$HERE/postgres.sh"
source "$HERE/redis.sh"

NODES=3
C_KAFKA_PORT="${CASETRACK_CLUSTER_KAFKA_PORT:-29092}"
C_KAFKA_CONTROLLER_PORT="${CASETRACK_CLUSTER_KAFKA_CONTROLLER_PORT:-29192}"
C_ES_PORT="${CASETRACK_CLUSTER_ES_PORT:-29200}"
KAFKA_HEAP="${CASETRACK_CLUSTER_KAFKA_HEAP:-384m}"
ES_HEAP="${CASETRACK_CLUSTER_ES_HEAP:-512m}"
CLUSTER_ID_FILE="$VAR/kafka-cluster-id"
START_TIMEOUT="${CASETRACK_CLUSTER_START_TIMEOUT:-300}"

seq_nodes() { seq 1 "$NODES"; }
kafka_port() { echo $(( C_KAFKA_PORT + $1 - 1 )); }
kafka_controller_port() { echo $(( C_KAFKA_CONTROLLER_PORT + $1 - 1 )); }
es_port() { echo $(( C_ES_PORT + $1 - 1 )); }
es_transport_port() { echo $(( C_ES_PORT + 100 + $1 - 1 )); }
join() { local IFS=,; echo "$*"; }

cluster_bootstrap() { local i out=(); for i in $(seq_nodes); do out+=("127.0.0.1:$(kafka_port "$i")"); done; join "${out[@]}"; }
cluster_es_urls() { local i out=(); for i in $(seq_nodes); do out+=("http://127.0.0.1:$(es_port "$i")"); done; join "${out[@]}"; }

print_env() {
  printf 'CASETRACK_KAFKA_BOOTSTRAP=%s\n' "$(cluster_bootstrap)"
  printf 'CASETRACK_ES_URL=%s\n' "$(cluster_es_urls)"
  printf 'CASETRACK_POSTGRES_URL=%s\n' "$(postgres_url)"
  printf 'CASETRACK_REDIS_URL=%s\n' "$(redis_url)"
}

print_nodes() {
  local i
  for i in $(seq_nodes); do
    for n in kafka elasticsearch; do
      pid_alive "$RUN_DIR/$n-$i.pid" && printf 'NODE %s-%s %s\n' "$n" "$i" "$(cat "$RUN_DIR/$n-$i.pid")"
    done
  done
  return 0
}

# ------------------------------------------------------------------ Kafka

kafka_node_start() {
  local i="$1" dir="$VAR/kafka-$i" voters=() j
  pid_alive "$RUN_DIR/kafka-$i.pid" && return 0
  for j in $(seq_nodes); do voters+=("$j@127.0.0.1:$(kafka_controller_port "$j")"); done
  mkdir -p "$dir/data"
  sed -e "s|@ID@|$i|g" -e "s|@VOTERS@|$(join "${voters[@]}")|g" \
      -e "s|@PORT@|$(kafka_port "$i")|g" -e "s|@CONTROLLER_PORT@|$(kafka_controller_port "$i")|g" \
      -e "s|@DATA@|$dir/data|g" "$ROOT/docker/local/kafka/cluster.properties.in" > "$dir/server.properties"
  local jvm=(-Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:ReservedCodeCacheSize=64m -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$ROOT/docker/local/kafka/log4j2.properties"
    "-Dkafka.logs.dir=$LOG_DIR" -cp "$KAFKA_LIB/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    [ -s "$CLUSTER_ID_FILE" ] || java "${jvm[@]}" kafka.tools.StorageTool random-uuid > "$CLUSTER_ID_FILE"
    java "${jvm[@]}" kafka.tools.StorageTool format -t "$(cat "$CLUSTER_ID_FILE")" \
      -c "$dir/server.properties" >>"$LOG_DIR/kafka-$i.log" 2>&1 \
      || die "Kafka storage format failed; see $LOG_DIR/kafka-$i.log"
  fi
  log "starting kafka-$i on 127.0.0.1:$(kafka_port "$i")"
  setsid nohup java "${jvm[@]}" kafka.Kafka "$dir/server.properties" \
    >>"$LOG_DIR/kafka-$i.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/kafka-$i.pid"
}

# All brokers registered and every partition of every topic (the internal ones included) with
# its full set of in-sync replicas.
kafka_cluster_ready() {
  "$PYTHON" - "$(cluster_bootstrap)" "$NODES" <<'PY'
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
try:
    brokers = admin.describe_cluster()["brokers"]
    assert len(brokers) == int(sys.argv[2]), brokers
finally:
    admin.close()
PY
}

# ------------------------------------------------------------------ Elasticsearch

es_node_start() {
  local i="$1" home="$VAR/elasticsearch-$i" seeds=() names=() j
  pid_alive "$RUN_DIR/elasticsearch-$i.pid" && return 0
  for j in $(seq_nodes); do
    seeds+=("127.0.0.1:$(es_transport_port "$j")"); names+=("elasticsearch-$j")
  done
  mkdir -p "$home/tmp"
  local jvm=("${ES_JVM[@]}")
  jvm=("${jvm[@]/-Xms256m/-Xms$ES_HEAP}"); jvm=("${jvm[@]/-Xmx1g/-Xmx$ES_HEAP}")
  log "starting elasticsearch-$i on http://127.0.0.1:$(es_port "$i")"
  # The launcher's single-node defaults are overridden: a cluster of three master-eligible
  # nodes that find each other on the transport ports, bootstrapped once by name.
  setsid nohup java "${jvm[@]}" "-Djava.io.tmpdir=$home/tmp" -jar "$ES_JAR" --home "$home" \
    --port "$(es_port "$i")" --transport-port "$(es_transport_port "$i")" \
    --cluster-name casetrack-cluster --pid-file "$RUN_DIR/elasticsearch-$i.pid" "${ES_SETTINGS[@]}" \
    -E "node.name=elasticsearch-$i" -E discovery.type=multi-node \
    -E "discovery.seed_hosts=$(join "${seeds[@]}")" \
    -E "cluster.initial_master_nodes=$(join "${names[@]}")" \
    -E cluster.routing.allocation.node_concurrent_recoveries=2 \
    >>"$LOG_DIR/elasticsearch-$i.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/elasticsearch-$i.pid"  # the launcher rewrites it with the JVM's own
}

es_cluster_ready() {
  local body
  body=$(curl -fsS -m 3 "http://127.0.0.1:$(es_port 1)/_cluster/health" 2>/dev/null) \
    || body=$(curl -fsS -m 3 "http://127.0.0.1:$(es_port 2)/_cluster/health" 2>/dev/null) || return 1
  printf '%s' "$body" | grep -Eq '"status":"(green|yellow)"' \
    && printf '%s' "$body" | grep -q "\"number_of_nodes\":$NODES,"
}

# ------------------------------------------------------------------ commands

node_stop() {
  local name="$1"
  stop_pidfile "$name" "$RUN_DIR/$name.pid"
}

wait_cluster() {
  wait_for "Kafka cluster ($NODES brokers)" "$START_TIMEOUT" kafka_cluster_ready \
    || { tail -n 30 "$LOG_DIR"/kafka-*.log >&2; die "the Kafka cluster did not form within $START_TIMEOUT s"; }
  wait_for "Elasticsearch cluster ($NODES nodes)" "$START_TIMEOUT" es_cluster_ready \
    || { tail -n 30 "$LOG_DIR"/elasticsearch-*.log >&2; die "the Elasticsearch cluster did not form within $START_TIMEOUT s"; }
}

cmd="${1:-}"; shift || true
case "$cmd" in
  up)
    file=""
    if [ "${1:-}" = "--started-file" ]; then file="$2"; fi
    already=0   # anything of the cluster running: this call did not start the cluster
    for f in "$RUN_DIR"/kafka-*.pid "$RUN_DIR"/elasticsearch-*.pid; do
      pid_alive "$f" && already=1
    done
    kafka_build
    es_build
    postgres_up
    redis_up
    for i in $(seq_nodes); do kafka_node_start "$i"; es_node_start "$i"; done
    wait_cluster
    [ -z "$file" ] || { [ "$already" = 1 ] && : > "$file" || echo cluster > "$file"; }
    print_env
    print_nodes
    ;;
  down)
    for i in $(seq_nodes); do node_stop "elasticsearch-$i"; node_stop "kafka-$i"; done
    redis_down
    postgres_down
    ;;
  env) print_env ;;
  nodes) print_nodes ;;
  start)
    case "${1:-}" in
      kafka-[1-3]) kafka_node_start "${1#kafka-}" ;;
      elasticsearch-[1-3]) es_node_start "${1#elasticsearch-}" ;;
      *) die "usage: cluster.sh start kafka-N|elasticsearch-N" ;;
    esac
    ;;
  stop)
    case "${1:-}" in kafka-[1-3]|elasticsearch-[1-3]) node_stop "$1" ;; *) die "usage: cluster.sh stop kafka-N|elasticsearch-N" ;; esac ;;
  *) die "usage: cluster.sh up|down|env|nodes|start NODE|stop NODE" ;;
esac
