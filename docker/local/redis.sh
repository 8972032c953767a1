# Redis from Debian's packages: the rate limiter's store, shared by every API worker
# (docs/design.md, "The limiter"). Sourced by stack.sh (after common.sh).
# Functions: redis_up, redis_down, redis_url.
#
#   CASETRACK_REDIS_PORT   port on 127.0.0.1 (default 16379)
#   CASETRACK_REDIS_URL    external Redis: redis_up/redis_down do nothing
#
# The counters are short-lived (a window of at most a minute), so nothing is saved to disk:
# a restart forgets them, which only lets callers start a fresh window.
REDIS_PORT="${CASETRACK_REDIS_PORT:-16379}"
REDIS_DIR="$VAR/redis"
REDIS_PID="$RUN_DIR/redis.pid"

redis_url() { printf 'redis://127.0.0.1:%s/0' "$REDIS_PORT"; }

redis_install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  log "installing Redis from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
    || die "could not install Redis (apt-get install redis-server)"
}

redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

redis_up() {
  if [ -n "${CASETRACK_REDIS_URL:-}" ]; then
    log "Redis: using external $CASETRACK_REDIS_URL"; return 0
  fi
  redis_install
  if pid_alive "$REDIS_PID" && redis_ready; then return 0; fi
  mkdir -p "$REDIS_DIR"
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
    --dir "$REDIS_DIR" --pidfile "$REDIS_PID" --logfile "$LOG_DIR/redis.log" \
    --daemonize yes --save "" --appendonly no >/dev/null \
    || { tail -n 30 "$LOG_DIR/redis.log" >&2; die "Redis did not start"; }
  STARTED+=(redis)
  wait_for "Redis" 30 redis_ready || { tail -n 30 "$LOG_DIR/redis.log" >&2; die "Redis not ready"; }
}

redis_down() {
  [ -z "${CASETRACK_REDIS_URL:-}" ] || return 0
  stop_pidfile Redis "$REDIS_PID"
}
