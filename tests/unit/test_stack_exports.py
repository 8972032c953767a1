"""`make test` and `make run` export the local stack's settings and nothing else.

A first run on a fresh machine has Maven print colour codes and progress on stdout next to
`stack.sh up`'s settings; `eval` of that output once broke both commands.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "docker" / "local" / "exports.sh"

NOISY_OUTPUT = (
    "\x1b[0m\x1b[0m[INFO] Downloading from central: https://repo.example/kafka.pom\n"
    "\x1b[0m\x1b[0mCASETRACK_KAFKA_BOOTSTRAP=127.0.0.1:19092\n"
    "CASETRACK_ES_URL=http://127.0.0.1:19200\n"
    "not an assignment; rm -rf /tmp/should-not-run\n"
    "PATH=/nowhere\n"
    "CASETRACK_POSTGRES_URL=postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack\n"
    "CASETRACK_ODD=a value with spaces $(touch /tmp/should-not-run) `id`"
)


def exported_after_eval(output: str) -> dict[str, str]:
    script = f'eval "$(bash {EXPORTS} <<<"$1")"; env | grep -E "^(CASETRACK_|PATH=)" | sort'
    result = subprocess.run(
        ["bash", "-c", script, "bash", output],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def test_only_the_stacks_settings_are_exported_from_noisy_output():
    assert exported_after_eval(NOISY_OUTPUT) == {
        "CASETRACK_KAFKA_BOOTSTRAP": "127.0.0.1:19092",
        "CASETRACK_ES_URL": "http://127.0.0.1:19200",
        "CASETRACK_POSTGRES_URL": "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack",
        "CASETRACK_ODD": "a value with spaces $(touch /tmp/should-not-run) `id`",
        "PATH": "/usr/bin:/bin",
    }


def test_nothing_of_a_line_that_is_not_a_setting_runs():
    marker = "/tmp/casetrack-exports-should-not-exist"
    exported_after_eval(f"$(touch {marker})\nCASETRACK_X=`touch {marker}`\ntouch {marker}")
    assert not Path(marker).exists()


def test_the_scripts_of_make_test_and_make_run_export_through_the_filter():
    for script in ("test.sh", "run.sh"):
        text = (ROOT / "docker" / "local" / script).read_text()
        assert 'eval "$(bash docker/local/exports.sh <<<"$stack_env")"' in text
        assert "sed 's/^/export /'" not in text
