#!/usr/bin/env bash
# Validate docker/compose.yml exactly as `docker compose -f docker/compose.yml config` does,
# on a machine with no Docker engine and no Compose plugin.
#
#   bash docker/compose-check.sh [COMPOSE_FILE] [-- extra `config` options, e.g. --format json]
#
# It builds the real Docker Compose CLI (github.com/docker/compose, pinned below) from its
# Go module with the local Go toolchain, once, into var/tools/ (git-ignored), and installs
# it as the docker CLI plugin ($DOCKER_CONFIG/cli-plugins or ~/.docker/cli-plugins). Later
# runs reuse it (a version check, well under a second). Cold: ~1.5-2 min on 2 cores (module
# downloads + compile); warm Go caches but no binary: ~20 s.
# Then it runs `docker compose -f FILE config` (or the binary standalone if there is no
# docker CLI) and exits with its status: non-zero for an invalid file, an unknown field, a
# bad reference or a missing required variable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# v5.6.0 is the newest release whose go.mod accepts Go 1.26.8 (v5.7 needs go >= 1.26.10).
COMPOSE_MODULE="${COMPOSE_MODULE:-github.com/docker/compose/v5}"
COMPOSE_VERSION="${COMPOSE_VERSION:-v5.6.0}"
TOOLS="$ROOT/var/tools"
BIN="$TOOLS/docker-compose-$COMPOSE_VERSION"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"

compose_file="$ROOT/docker/compose.yml"
if [ $# -gt 0 ] && [ "$1" != "--" ]; then compose_file="$1"; shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi

log() { echo "compose-check: $*" >&2; }

build() {
  command -v go >/dev/null || { log "Go is needed to build Docker Compose"; exit 2; }
  # Only the Go module proxy: the module source and its dependencies, checked against go.sum.
  export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
  local src
  src="$(go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" |
         sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -n "$src" ] && [ -d "$src" ] || { log "could not fetch $COMPOSE_MODULE@$COMPOSE_VERSION"; exit 2; }
  # Build as the main module (`go install m@v` refuses: compose's go.mod has exclude directives).
  (cd "$src" && go build -trimpath -mod=readonly \
      -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
      -o "$BIN.tmp" ./cmd)
  mv -f "$BIN.tmp" "$BIN"
}

mkdir -p "$TOOLS"
exec 9>"$TOOLS/.compose-check.lock"
flock 9   # concurrent runs (parallel tests) build once
if ! [ -x "$BIN" ] || ! "$BIN" version --short 2>/dev/null | grep -qx "${COMPOSE_VERSION#v}"; then
  log "building Docker Compose $COMPOSE_VERSION from the Go module (first run only)..."
  started=$SECONDS
  build
  log "built $BIN in $((SECONDS - started)) s"
fi
# Install as the docker CLI plugin, unless a Compose plugin we did not install is there
# already (that one is left alone; the check then runs our pinned binary standalone).
plugin="$PLUGIN_DIR/docker-compose"
ours="$PLUGIN_DIR/.docker-compose.installed-by-casetrack"
if [ ! -e "$plugin" ] || [ -f "$ours" ]; then
  if ! cmp -s "$BIN" "$plugin"; then
    mkdir -p "$PLUGIN_DIR"
    cp -f "$BIN" "$plugin.tmp" && mv -f "$plugin.tmp" "$plugin"
    echo "$COMPOSE_MODULE@$COMPOSE_VERSION" > "$ours"
    log "installed $plugin"
  fi
fi
exec 9>&-

if command -v docker >/dev/null && cmp -s "$BIN" "$plugin"; then
  exec docker compose -f "$compose_file" config "$@"
fi
exec "$BIN" -f "$compose_file" config "$@"
