"""`GET /metrics` answers in Prometheus' text format with request, command and pipeline figures."""

from __future__ import annotations

import re

from django.test import Client

from tests.api.conftest import ITEM


def _value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)\{(.*)\} (\S+)$", line) or re.match(r"^(\w+)() (\S+)$", line)
        if match and match.group(1) == name:
            got = ",".join(sorted(match.group(2).split(","))) if match.group(2) else ""
            if got == wanted:
                return float(match.group(3))
    return 0.0


def test_requests_and_commands_are_counted_and_the_store_position_is_exposed(http, app):
    client = Client()
    before = client.get("/metrics").content.decode()
    http.publish(ITEM)
    client.get("/healthz")
    after = client.get("/metrics")
    text = after.content.decode()

    assert after.status_code == 200 and after["Content-Type"].startswith("text/plain")
    assert (
        _value(
            text,
            "casetrack_http_request_duration_seconds_count",
            method="GET",
            route="healthz",
            status="200",
        )
        == _value(
            before,
            "casetrack_http_request_duration_seconds_count",
            method="GET",
            route="healthz",
            status="200",
        )
        + 1
    )
    route = "api/v1/catalog/items"
    assert (
        _value(text, "casetrack_commands_total", route=route, outcome="2xx")
        == _value(before, "casetrack_commands_total", route=route, outcome="2xx") + 1
    )
    assert _value(text, "casetrack_event_store_position") == app.max_position() > 0
