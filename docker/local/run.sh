#!/usr/bin/env bash
# `make run`: the local stack, then the API under gunicorn (port $PORT, default 8000),
# and the relay and projectors once they exist. Ctrl-C stops everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mkdir -p var/run var/log
started="var/run/run-started.$$"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash docker/local/stack.sh down --only-file "$started"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
eval "$(bash docker/local/stack.sh up --started-file "$started" | sed 's/^/export /')"
export DJANGO_SETTINGS_MODULE=api.settings

.venv/bin/gunicorn api.wsgi:application \
  --bind "127.0.0.1:${PORT:-8000}" --workers "${WEB_WORKERS:-2}" --threads 4 \
  --worker-class gthread --access-logfile - --graceful-timeout 10 &
pids+=($!)

echo "Casetrack is up: http://127.0.0.1:${PORT:-8000}/readyz  (Ctrl-C stops everything)"
wait -n "${pids[@]}"
