# Elasticsearch 8 (single node, loopback), assembled from Maven Central artifacts only.
# Sourced by stack.sh (after common.sh). Functions: es_build, es_up, es_down, es_url.
#
# The server is docker/local/elasticsearch: our launcher (io.casetrack.es.Launcher) starts an
# org.elasticsearch.node.Node in-process with org.elasticsearch:elasticsearch + transport-netty4,
# plus our own small plugins for what the 8.x distribution ships as modules that are not on
# Maven Central (cjk/ngram analysis, GET /). See docker/local/elasticsearch/src.
#
# Available: everything in the server jar (index/bulk incl. version_type=external, _refresh,
# search/msearch, highlighting, fuzzy, aliases and alias swaps, index and component templates,
# terms/date_histogram/histogram/range/filters/composite/cardinality/percentiles/top_hits/
# significant_terms/rare_terms aggs, cumulative_sum and *_bucket pipelines) plus our analysis:
# analyzer cjk; tokenizers ngram, edge_ngram, whitespace, keyword, letter; filters cjk_width,
# cjk_bigram, ngram, edge_ngram, asciifolding, trim, uppercase (lowercase, stop, shingle are
# in the server); char filter html_strip.
# NOT available (8.x modules Elastic does not publish on Maven Central): scripts (painless),
# _reindex/_update_by_query/_delete_by_query, the `aggregations` module (auto_date_histogram,
# bucket_sort, derivative, ...), mapper-extras (scaled_float, search_as_you_type, ...),
# other analysis-common analyzers/filters (language analyzers, synonyms, ...), ingest
# processors, x-pack (security, multi_terms, ...). Real Elasticsearch has all of these, so code
# that works here works there, not necessarily the other way round.
#
# Running as root (sessions, CI): the "can not run elasticsearch as root" refusal and the
# bootstrap checks (vm.max_map_count, file descriptors, ...) live in the distribution's
# bootstrap class org.elasticsearch.bootstrap.Elasticsearch, which the launcher does not use,
# so no setting or runuser is needed. Disk watermarks are disabled, so a full disk does not block
# a dev node. Index files are memory-mapped (`hybridfs`, Elasticsearch's own default) unless
# CASETRACK_ES_MMAP=false: the launcher turns mmap off, es.sh turns it back on, because reading
# them through NIO cost a partial-name or faceted search 20-40 % more CPU at a million cases
# (loadtests/RESULTS.md, 2026-12-01 fifth session). Elasticsearch maps one region per file here
# (Lucene's 1 GiB chunks), far below the default vm.max_map_count of 65530.
#
# Environment:
#   CASETRACK_ES_URL        external Elasticsearch: es_up/es_down do nothing
#   CASETRACK_ES_PORT       HTTP port (default 19200); transport uses PORT+100
#   CASETRACK_ES_JAVA_OPTS  extra JVM flags appended (e.g. a different -Xmx)
#   CASETRACK_ES_MMAP       true (default) or false: memory-map index files

if ! declare -F pid_alive >/dev/null; then
  # shellcheck source=common.sh
  source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
fi

ES_PORT="${CASETRACK_ES_PORT:-19200}"
ES_SRC="$ROOT/docker/local/elasticsearch"
ES_JAR="$ES_SRC/target/es-launcher.jar"
ES_HOME="$VAR/elasticsearch"
ES_PID="$RUN_DIR/elasticsearch.pid"
ES_LOG="$LOG_DIR/elasticsearch.log"
ES_START_TIMEOUT="${CASETRACK_ES_START_TIMEOUT:-120}"
case "${CASETRACK_ES_MMAP:-true}" in
  true|false) ES_SETTINGS=(-E "node.store.allow_mmap=${CASETRACK_ES_MMAP:-true}") ;;
  *) die "CASETRACK_ES_MMAP must be true or false, not '${CASETRACK_ES_MMAP}'" ;;
esac

es_url() { printf 'http://127.0.0.1:%s' "$ES_PORT"; }

# es_build: (re)build the launcher only when the jar is missing or older than pom/sources.
es_build() {
  if [ -f "$ES_JAR" ] && [ -d "$ES_SRC/target/lib" ] \
     && [ -z "$(find "$ES_SRC/pom.xml" "$ES_SRC/src" -newer "$ES_JAR" -print -quit)" ]; then
    return 0
  fi
  if [ -f "$ES_JAR" ] && pid_alive "$ES_PID"; then
    # never rewrite the jar under a running JVM (classes are loaded lazily from it)
    log "Elasticsearch launcher sources changed but the server is running; es_down and es_up to rebuild"
    return 0
  fi
  log "building the Elasticsearch launcher (Maven Central: org.elasticsearch:elasticsearch)"
  mvn_build "$ES_SRC"
  [ -f "$ES_JAR" ] || die "Elasticsearch launcher build produced no $ES_JAR"
}

# es_healthy: cluster health is yellow or green.
es_healthy() {
  local body
  if command -v curl >/dev/null 2>&1; then
    body=$(curl -fsS -m 3 "$(es_url)/_cluster/health" 2>/dev/null) || return 1
  else
    body=$("$PYTHON" -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1],timeout=3).read().decode())' \
      "$(es_url)/_cluster/health" 2>/dev/null) || return 1
  fi
  printf '%s' "$body" | grep -Eq '"status":"(green|yellow)"'
}

# 1 GiB heap at most: with 512 MiB, search at a million cases spent its time collecting garbage
# (p99 436 ms vs 212 ms at 50 req/s, loadtests/RESULTS.md); the heap grows only when used.
ES_JVM=(-Xms256m -Xmx1g -XX:+UseSerialGC -XX:MaxDirectMemorySize=128m -XX:ReservedCodeCacheSize=96m
  -XX:-OmitStackTraceInFastThrow -Djava.awt.headless=true -Dfile.encoding=UTF-8
  -Dlog4j2.formatMsgNoLookups=true -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
  -Djna.nosys=true)

es_up() {
  if [ -n "${CASETRACK_ES_URL:-}" ]; then
    log "Elasticsearch: using external $CASETRACK_ES_URL"; return 0
  fi
  if pid_alive "$ES_PID"; then
    if es_healthy; then return 0; fi
    log "Elasticsearch (pid $(cat "$ES_PID")) is running but not healthy yet; waiting"
  else
    rm -f "$ES_PID"
    if es_healthy; then
      die "something already answers on $(es_url) but $ES_PID does not name it; stop it, or set CASETRACK_ES_URL to use it"
    fi
    es_build
    mkdir -p "$ES_HOME/tmp"
    ES_LOG_FROM=$(( $(wc -l 2>/dev/null < "$ES_LOG" || echo 0) + 1 ))
    log "starting Elasticsearch on $(es_url) (data in $ES_HOME, log $ES_LOG)"
    # shellcheck disable=SC2086
    setsid nohup java "${ES_JVM[@]}" "-Djava.io.tmpdir=$ES_HOME/tmp" ${CASETRACK_ES_JAVA_OPTS:-} \
      -jar "$ES_JAR" --home "$ES_HOME" --port "$ES_PORT" --pid-file "$ES_PID" "${ES_SETTINGS[@]}" \
      >>"$ES_LOG" 2>&1 < /dev/null &
    echo $! > "$ES_PID"   # the launcher rewrites it with its own pid as soon as the JVM is up
    STARTED+=(elasticsearch)
  fi
  local from="${ES_LOG_FROM:-1}"
  local deadline=$(( $(date +%s) + ES_START_TIMEOUT )) dead_since=""
  until es_healthy; do
    if ! pid_alive "$ES_PID"; then
      # allow a moment for the launcher to rewrite the pid file (setsid may fork)
      [ -n "$dead_since" ] || dead_since=$(date +%s)
      if [ $(( $(date +%s) - dead_since )) -ge 3 ]; then
        tail -n "+$from" "$ES_LOG" | tail -n 60 >&2
        rm -f "$ES_PID"
        die "Elasticsearch exited during startup; see $ES_LOG"
      fi
    else
      dead_since=""
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n "+$from" "$ES_LOG" | tail -n 60 >&2
      die "Elasticsearch was not yellow/green on $(es_url)/_cluster/health within ${ES_START_TIMEOUT} s; see $ES_LOG"
    fi
    sleep 0.5
  done
  log "Elasticsearch is ready on $(es_url)"
}

es_down() {
  if [ -n "${CASETRACK_ES_URL:-}" ]; then return 0; fi
  stop_pidfile Elasticsearch "$ES_PID"
}
