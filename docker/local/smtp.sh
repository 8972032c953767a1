# The local mail server: aiosmtpd (the asyncio SMTP server of the aio-libs project) keeping
# every message as one file of a Maildir under var/mail/ (docs/design.md, "Local real
# stack"). Sourced by stack.sh (after common.sh). Functions: smtp_up, smtp_down, smtp_url.
#
#   CASETRACK_SMTP_PORT   port on 127.0.0.1 (default 11025)
#   CASETRACK_SMTP_URL    external mail server: smtp_up/smtp_down do nothing
SMTP_PORT="${CASETRACK_SMTP_PORT:-11025}"
SMTP_MAILDIR="$VAR/mail"
SMTP_PID="$RUN_DIR/smtp.pid"

smtp_url() { printf 'smtp://127.0.0.1:%s' "$SMTP_PORT"; }

smtp_ready() { "$PYTHON" - "$SMTP_PORT" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=2) as c:
    c.noop()
PY
}

smtp_up() {
  if [ -n "${CASETRACK_SMTP_URL:-}" ]; then
    log "mail server: using external $CASETRACK_SMTP_URL"; return 0
  fi
  if pid_alive "$SMTP_PID" && smtp_ready >/dev/null 2>&1; then return 0; fi
  mkdir -p "$SMTP_MAILDIR"
  log "starting the mail server on 127.0.0.1:$SMTP_PORT (Maildir $SMTP_MAILDIR)"
  PYTHONPATH="$ROOT/docker/local/smtp" nohup "$PYTHON" -m aiosmtpd -n -u \
    -l "127.0.0.1:$SMTP_PORT" -c casetrack_mailbox.LocalMailbox "$SMTP_MAILDIR" \
    >>"$LOG_DIR/smtp.log" 2>&1 &
  echo $! > "$SMTP_PID"
  STARTED+=(smtp)
  wait_for "mail server" 30 smtp_ready || { tail -n 30 "$LOG_DIR/smtp.log" >&2; die "mail server not ready"; }
}

smtp_down() {
  [ -z "${CASETRACK_SMTP_URL:-}" ] || return 0
  stop_pidfile "mail server" "$SMTP_PID"
}
