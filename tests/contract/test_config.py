from __future__ import annotations

from pathlib import Path

import pytest

from domain.store.config import REPO_ROOT, load_settings
from domain.store.hashing import DEV_CHECKPOINT_KEY


def test_the_default_store_is_var_events_db_in_the_repository() -> None:
    settings = load_settings({})
    assert settings.backend == "sqlite"
    assert settings.sqlite_path == REPO_ROOT / "var" / "events.db"
    assert settings.checkpoint_key == DEV_CHECKPOINT_KEY


def test_sqlite_urls_take_relative_and_absolute_paths_and_options() -> None:
    assert load_settings({"CASETRACK_EVENT_STORE": "sqlite:///x/e.db"}).sqlite_path == (
        REPO_ROOT / "x" / "e.db"
    )
    settings = load_settings(
        {"CASETRACK_EVENT_STORE": "sqlite:////tmp/e.db?busy_timeout=7&synchronous=NORMAL"}
    )
    assert settings.sqlite_path == Path("/tmp/e.db")
    assert settings.library_env["CASETRACK_SQLITE_BUSY_TIMEOUT"] == "7"
    assert settings.library_env["CASETRACK_SQLITE_SYNCHRONOUS"] == "NORMAL"


def test_postgres_urls_become_the_library_settings() -> None:
    settings = load_settings(
        {
            "CASETRACK_EVENT_STORE": "postgresql://u:p%40ss@db.example:6543/cases?schema=s1",
            "CASETRACK_CHECKPOINT_KEY": "k",
            "CASETRACK_HASH_ALGORITHM": "sm3",
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
        }
    )
    env = settings.library_env
    assert settings.backend == "postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "cases",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("u", "p@ss")
    assert env["POSTGRES_SCHEMA"] == "s1" and env["CASETRACK_HASH_ALGORITHM"] == "sm3"
    assert env["IS_SNAPSHOTTING_ENABLED"] == "n"
    assert settings.checkpoint_key == "k"


def test_idempotency_keys_are_kept_at_least_a_day_whatever_is_configured() -> None:
    settings = load_settings({"CASETRACK_IDEMPOTENCY_RETENTION_HOURS": "1"})
    assert settings.retention.total_seconds() == 24 * 3600


@pytest.mark.parametrize(
    "bad",
    [
        {"CASETRACK_EVENT_STORE": "mysql://x"},
        {"CASETRACK_EVENT_STORE": "sqlite://relative-without-slash"},
        {"CASETRACK_HASH_ALGORITHM": "md5"},
    ],
)
def test_bad_settings_fail_at_start(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        load_settings(bad)
