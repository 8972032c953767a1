"""gunicorn's access log keeps no query string and no referrer (docs/api.md, "Access log"):
`/search?q=<identity number>` or a licence's `?code=` would otherwise sit in plain text in
every web server log. The format is read from where gunicorn is started (`make run`'s
docker/local/run.sh and the image's CMD), and a real gunicorn is run with it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from api.auth import issue_dev_token
from domain.identifiers import make_resident_id
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support.processes import kill
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PERSON_ID = make_resident_id("510104", date(1990, 5, 1), 123)
FORMAT_FLAG = re.compile(r"--access-logformat '([^']+)'")


def started_formats() -> dict[str, str]:
    """The access log format of each place that starts gunicorn with an access log."""
    run_sh = (ROOT / "docker/local/run.sh").read_text()
    [cmd] = [
        line
        for line in (ROOT / "docker/Dockerfile").read_text().splitlines()
        if line.startswith("CMD")
    ]
    shell = json.loads(cmd.removeprefix("CMD"))[-1]
    found = {"run.sh": FORMAT_FLAG.findall(run_sh), "Dockerfile": FORMAT_FLAG.findall(shell)}
    assert all(len(formats) == 1 for formats in found.values()), found
    assert "--access-logfile" in run_sh and "--access-logfile" in shell
    return {where: formats[0] for where, formats in found.items()}


def test_every_gunicorn_start_logs_the_path_without_query_string_or_referrer():
    formats = started_formats()
    assert len(set(formats.values())) == 1, formats
    [chosen] = set(formats.values())
    assert "%(U)s" in chosen
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert leaky not in chosen, f"{leaky} can carry personal data"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # not listening yet


def test_a_search_by_identity_number_leaves_no_trace_of_it_in_the_access_log(
    tmp_path, es_url, kafka_bootstrap
):
    [access_format] = set(started_formats().values())
    prefix = f"test-gunicornlog-{uuid4().hex[:8]}"
    env = {
        "CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}",
        "CASETRACK_INDEX_PREFIX": prefix,
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CASETRACK_ES_URL": es_url,
        "CASETRACK_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "api.settings",
    }
    read_models = ReadModels(make_client(es_url, timeout_s=30), Names(prefix))
    read_models.ensure_all()
    port = _free_port()
    access_log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "api.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "--worker-class",
            "gthread",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            access_format,
        ],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
        stdout=open(tmp_path / "gunicorn.log", "ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _get(f"{base}/healthz", {}) == 200,
            timeout_s=60,
            what=f"gunicorn on port {port} (log: {tmp_path / 'gunicorn.log'})",
        )
        clerk = issue_dev_token(
            role="clerk", sub="clerk-7", department="market-regulation", region_code="510100"
        )
        secret_code = "K7QW2M9XHP4D"
        referrer = {"Referer": f"{base}/?q={PERSON_ID}&code={secret_code}"}
        searched = _get(
            f"{base}/api/v1/search?q={PERSON_ID}",
            {"Authorization": f"Bearer {clerk}", **referrer},
        )
        assert searched == 200, "staff still search by a full identity number"
        verified = _get(
            f"{base}/api/v1/licences/SCL-2026-510100-00000001/verify?code={secret_code}", referrer
        )
        assert verified == 200
        wait_until(
            lambda: access_log.exists() and access_log.read_text().count("\n") >= 3,
            timeout_s=30,
            what="gunicorn to write its access log",
        )
        logged = access_log.read_text()
        assert "GET /api/v1/search HTTP/1.1" in logged
        assert "GET /api/v1/licences/SCL-2026-510100-00000001/verify HTTP/1.1" in logged
        for secret in (PERSON_ID, PERSON_ID[:14], PERSON_ID[4:], secret_code, "?"):
            assert secret not in logged, f"{secret!r} in the access log:\n{logged}"
    finally:
        kill(server)
        for index in read_models.client.indices.get(index=f"{prefix}-*", expand_wildcards="all"):
            read_models.client.indices.delete(index=index)
