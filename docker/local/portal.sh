#!/usr/bin/env bash
# The portal's set-up, run by `make run` and `make test`:
#  - Chart.js from the npm registry (api/portal/package-lock.json) copied into the portal's
#    static files (nothing is loaded from a CDN), and axe-core (a development dependency in
#    the same lock file) for the browser tests' accessibility check;
#  - the translations (api/portal/locale/*/django.po) compiled with Django's compilemessages,
#    which needs GNU gettext's msgfmt (Debian's `gettext`, installed when missing);
#  - with --browser: Debian's Chromium (and CJK fonts for readable screenshots) for the
#    browser tests, installed when missing. Playwright drives it; it never downloads a browser.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORTAL="$ROOT/api/portal"
VENDOR="$PORTAL/static/portal/vendor"

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "portal.sh: $* missing; install it (apt-get install -y $*) or run as root" >&2
    exit 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Chart.js, vendored from node_modules; axe-core stays there (the browser tests read it).
if [ ! -s "$VENDOR/chart.umd.min.js" ] || [ "$PORTAL/package-lock.json" -nt "$VENDOR/chart.umd.min.js" ] \
   || [ ! -s "$PORTAL/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  (cd "$PORTAL" && npm ci --no-audit --no-fund --loglevel=error)
  mkdir -p "$VENDOR"
  cp "$PORTAL/node_modules/chart.js/dist/chart.umd.min.js" "$VENDOR/chart.umd.min.js"
  cp "$PORTAL/node_modules/chart.js/LICENSE.md" "$VENDOR/chart.js.LICENSE.md"
fi

# 2. Translations.
stale=0
for po in "$PORTAL"/locale/*/LC_MESSAGES/django.po; do
  [ "$po" -nt "${po%.po}.mo" ] && stale=1
done
if [ "$stale" = 1 ]; then
  command -v msgfmt >/dev/null || apt_install gettext
  (cd "$PORTAL" && DJANGO_SETTINGS_MODULE=api.settings "$ROOT/.venv/bin/python" "$ROOT/manage.py" compilemessages --verbosity 0)
fi

# 3. The browser for the end-to-end tests.
if [ "${1:-}" = "--browser" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium fonts-noto-cjk
  elif ! fc-list ':lang=zh' 2>/dev/null | grep -q .; then
    apt_install fonts-noto-cjk
  fi
fi
