#!/usr/bin/env bash
# `make run`: the local stack, then the API under gunicorn (port $PORT, default 8000),
# the relay, one projector per read model, the notifications consumer and the daily retention
# run (logs in var/log/). Ctrl-C stops everything it started.
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
# Only CASETRACK_* lines are exported (exports.sh); a failed start stops here (set -e).
stack_env="$(bash docker/local/stack.sh up --started-file "$started")"
eval "$(bash docker/local/exports.sh <<<"$stack_env")"
export DJANGO_SETTINGS_MODULE=api.settings
PY=.venv/bin/python
bash docker/local/portal.sh   # the portal's Chart.js and compiled translations

# First run: demo data, so the portal and the search have something to show.
if [ "$($PY -c 'from api.wiring import make_application; print(make_application().max_position())')" = "0" ]; then
  $PY manage.py seed_demo --cases "${SEED_CASES:-300}"
fi

$PY manage.py relay >>var/log/relay.log 2>&1 &
pids+=($!)
$PY manage.py project all >>var/log/projectors.log 2>&1 &
pids+=($!)
$PY manage.py notify >>var/log/notify.log 2>&1 &
pids+=($!)
# Retention (docs/design.md, "Retention"): destroys what is due now, then daily at 02:00 Shanghai.
$PY manage.py retention --daily >>var/log/retention.log 2>&1 &
pids+=($!)

# Counters and histograms of all gunicorn workers, aggregated for /metrics.
export PROMETHEUS_MULTIPROC_DIR="$ROOT/var/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
# The access log names the path without its query string (%(U)s, not %(r)s) and no referrer:
# both can carry an identity number (/search?q=...) or a licence's verification code.
.venv/bin/gunicorn api.wsgi:application \
  --bind "127.0.0.1:${PORT:-8000}" --workers "${WEB_WORKERS:-2}" --threads 4 \
  --worker-class gthread --access-logfile - --graceful-timeout 10 \
  --access-logformat '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s' &
pids+=($!)

echo "Casetrack is up: http://127.0.0.1:${PORT:-8000}/readyz  (Ctrl-C stops everything)"
wait -n "${pids[@]}"
