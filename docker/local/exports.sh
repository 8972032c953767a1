#!/usr/bin/env bash
# Reads `stack.sh up`'s output on stdin and prints `export` lines for the CASETRACK_* settings
# in it, and nothing else: a tool's chatter on stdout (Maven's colour codes on a first run,
# say) must never reach `eval`. Values are shell-quoted.
#
#   stack_env="$(bash docker/local/stack.sh up)"; eval "$(bash docker/local/exports.sh <<<"$stack_env")"
set -euo pipefail
esc=$'\e'
while IFS= read -r line || [ -n "$line" ]; do
  # Terminal escape sequences (colour codes) are not part of any setting.
  while [[ "$line" =~ ^(.*)${esc}\[[0-9\;]*[A-Za-z](.*)$ ]]; do
    line="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
  done
  if [[ "$line" =~ ^(CASETRACK_[A-Z0-9_]+)=([^[:cntrl:]]*)$ ]]; then
    printf 'export %s=%q\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  fi
done
