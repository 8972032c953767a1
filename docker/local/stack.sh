#!/usr/bin/env bash
# The local real stack on loopback: Kafka (KRaft), Elasticsearch 8, PostgreSQL, Redis, and a
# mail server (SMTP into a Maildir under var/mail/).
#
#   stack.sh up   [--started-file F] [SERVICE...]   start (idempotent), print exportable URLs
#   stack.sh down [--only-file F]    [SERVICE...]   stop what `up` started (by pid files)
#   stack.sh env                                    print the URLs only
#
# A service whose URL is given in the environment (CASETRACK_KAFKA_BOOTSTRAP,
# CASETRACK_ES_URL, CASETRACK_POSTGRES_URL, CASETRACK_REDIS_URL, CASETRACK_SMTP_URL) is external and never started
# or stopped here.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
source "$HERE/kafka.sh"
source "$HERE/es.sh"
source "$HERE/postgres.sh"
source "$HERE/redis.sh"
source "$HERE/smtp.sh"

ALL=(postgres elasticsearch kafka redis smtp)
STARTED=()

# A URL that names our own local server (e.g. exported from `make up`'s output) is not
# external: only a different address makes us leave that service alone.
[ "${CASETRACK_KAFKA_BOOTSTRAP:-}" != "$(kafka_bootstrap)" ] || unset CASETRACK_KAFKA_BOOTSTRAP
[ "${CASETRACK_ES_URL:-}" != "$(es_url)" ] || unset CASETRACK_ES_URL
[ "${CASETRACK_POSTGRES_URL:-}" != "$(postgres_url)" ] || unset CASETRACK_POSTGRES_URL
[ "${CASETRACK_REDIS_URL:-}" != "$(redis_url)" ] || unset CASETRACK_REDIS_URL
[ "${CASETRACK_SMTP_URL:-}" != "$(smtp_url)" ] || unset CASETRACK_SMTP_URL

print_env() {
  printf 'CASETRACK_KAFKA_BOOTSTRAP=%s\n' "${CASETRACK_KAFKA_BOOTSTRAP:-$(kafka_bootstrap)}"
  printf 'CASETRACK_ES_URL=%s\n' "${CASETRACK_ES_URL:-$(es_url)}"
  printf 'CASETRACK_POSTGRES_URL=%s\n' "${CASETRACK_POSTGRES_URL:-$(postgres_url)}"
  printf 'CASETRACK_REDIS_URL=%s\n' "${CASETRACK_REDIS_URL:-$(redis_url)}"
  printf 'CASETRACK_SMTP_URL=%s\n' "${CASETRACK_SMTP_URL:-$(smtp_url)}"
  # The local server's Maildir, read to reconcile sends a crash left unknown.
  [ -n "${CASETRACK_SMTP_URL:-}" ] || printf 'CASETRACK_SMTP_MAILDIR=%s\n' "$SMTP_MAILDIR"
}

cmd="${1:-}"; shift || true
file=""
if [ "${1:-}" = "--started-file" ] || [ "${1:-}" = "--only-file" ]; then file="$2"; shift 2; fi
services=("$@"); [ ${#services[@]} -gt 0 ] || services=("${ALL[@]}")

case "$cmd" in
  up)
    # Build/resolve first (Maven runs one at a time), then start the servers together.
    for s in "${services[@]}"; do
      case "$s" in kafka) [ -n "${CASETRACK_KAFKA_BOOTSTRAP:-}" ] || kafka_build ;;
                   elasticsearch) [ -n "${CASETRACK_ES_URL:-}" ] || es_build ;; esac
    done
    for s in "${services[@]}"; do
      case "$s" in
        postgres) postgres_up ;;
        kafka) kafka_up ;;
        elasticsearch) es_up ;;
        redis) redis_up ;;
        smtp) smtp_up ;;
        *) die "unknown service $s" ;;
      esac
    done
    if [ -n "$file" ]; then printf '%s\n' "${STARTED[@]}" > "$file"; fi
    print_env
    ;;
  down)
    if [ -n "$file" ]; then
      [ -f "$file" ] || exit 0
      mapfile -t services < "$file"; rm -f "$file"
    fi
    for s in "${services[@]}"; do
      case "$s" in
        postgres) postgres_down ;;
        kafka) kafka_down ;;
        elasticsearch) es_down ;;
        redis) redis_down ;;
        smtp) smtp_down ;;
        "") ;;
        *) die "unknown service $s" ;;
      esac
    done
    ;;
  env) print_env ;;
  *) die "usage: stack.sh up|down|env [SERVICE...]" ;;
esac
