# PostgreSQL from Debian's packages, a private cluster under var/postgres owned by the
# `postgres` system user (the server refuses to run as root; sessions and CI are root).
PG_PORT="${CASETRACK_POSTGRES_PORT:-15432}"
PG_DIR="$VAR/postgres"

# The server runs as `postgres`, which must be able to reach its data directory. A clone
# under a private home (/root is 0700) is not reachable: then the cluster lives under
# /var/tmp in a directory named after this checkout, and var/postgres links to it.
pg_locate() {
  if [ -L "$PG_DIR" ]; then PG_DIR="$(readlink -f "$PG_DIR")"; fi
  if [ ! -e "$PG_DIR" ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$VAR"; then
    # named after the checkout (and after var/cluster/ for the cluster's own server)
    local tag="$ROOT"; [ "$VAR" = "$ROOT/var" ] || tag="$VAR"
    local outside="/var/tmp/casetrack-postgres-$(printf '%s' "$tag" | sha1sum | cut -c1-12)"
    mkdir -p "$outside"
    ln -sfn "$outside" "$VAR/postgres"
    PG_DIR="$outside"
  fi
  PG_DATA="$PG_DIR/data"
  PG_SOCK="$PG_DIR/run"
}
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  return 1
}

postgres_url() { printf 'postgresql://casetrack:casetrack@127.0.0.1:%s/casetrack' "$PG_PORT"; }

postgres_install() {
  pg_bin >/dev/null && return 0
  log "installing PostgreSQL from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
    || die "could not install PostgreSQL (apt-get install postgresql)"
}

as_pg() { (cd / && runuser -u postgres -- "$@"); }

postgres_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

postgres_up() {
  if [ -n "${CASETRACK_POSTGRES_URL:-}" ]; then
    log "PostgreSQL: using external $CASETRACK_POSTGRES_URL"; return 0
  fi
  postgres_install
  pg_locate
  local bin; bin=$(pg_bin)
  if [ -f "$PG_DATA/postmaster.pid" ] && postgres_ready; then return 0; fi
  mkdir -p "$PG_DIR" "$PG_SOCK"
  chown postgres:postgres "$PG_DIR" "$PG_SOCK"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising a PostgreSQL cluster in $PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >>"$LOG_DIR/postgres.log" 2>&1 \
      || die "initdb failed; see $LOG_DIR/postgres.log"
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c shared_buffers=128MB -c max_connections=200 -c fsync=on" \
    start >/dev/null || { tail -n 30 "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  STARTED+=(postgres)
  wait_for "PostgreSQL" 60 postgres_ready || die "PostgreSQL not ready"
  as_pg "$bin/psql" -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
SELECT 'CREATE ROLE casetrack LOGIN CREATEDB PASSWORD ''casetrack'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casetrack')\gexec
SELECT 'CREATE DATABASE casetrack OWNER casetrack'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'casetrack')\gexec
SQL
}

postgres_down() {
  pg_locate
  [ -f "$PG_DATA/postmaster.pid" ] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
}
