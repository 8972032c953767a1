# Shared helpers for the local real stack. Sourced by stack.sh and the per-service scripts.
# Everything lives under $ROOT/var (git-ignored): data, logs, pid files.

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
VAR="$ROOT/var"
RUN_DIR="$VAR/run"
LOG_DIR="$VAR/log"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
mkdir -p "$RUN_DIR" "$LOG_DIR"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# pid_alive PIDFILE: true when the file names a live process.
pid_alive() {
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null
}

# wait_for DESCRIPTION DEADLINE_SECONDS COMMAND...: poll COMMAND until it succeeds.
wait_for() {
  local what="$1" deadline=$(( $(date +%s) + $2 )); shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.5
  done
  log "$what is ready"
}

# stop_pidfile NAME PIDFILE: TERM, wait up to 30 s, then KILL; only the process we started.
stop_pidfile() {
  local name="$1" f="$2" pid i
  if ! pid_alive "$f"; then rm -f "$f"; return 0; fi
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop in 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
  log "$name stopped"
}

# mvn_build DIR: resolve/build a Maven project once; offline when the cache already has it.
mvn_build() {
  local dir="$1"
  # Whatever Maven prints goes to stderr: stdout carries only the stack's settings.
  (cd "$dir" && { mvn -q -B -o package >/dev/null 2>&1 || mvn -q -B -Dstyle.color=never package >&2; }) \
    || die "maven build failed in $dir"
}
