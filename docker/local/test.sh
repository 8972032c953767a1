#!/usr/bin/env bash
# `make test`: start whatever part of the stack is not running, run the whole suite,
# then stop exactly what this run started (also on failure or Ctrl-C).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mkdir -p var/run
started="var/run/test-started.$$"
cleanup() { bash docker/local/stack.sh down --only-file "$started"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# Only CASETRACK_* lines are exported (exports.sh); a failed start stops here (set -e).
stack_env="$(bash docker/local/stack.sh up --started-file "$started")"
eval "$(bash docker/local/exports.sh <<<"$stack_env")"
bash docker/local/portal.sh --browser   # Chart.js, translations, Debian's Chromium for tests/e2e
.venv/bin/pytest "$@"
