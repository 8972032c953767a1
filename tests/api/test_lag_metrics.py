"""The Prometheus lag gauges (docs/api.md, Operations) on a live pipeline: while commands pour
in and the cases projector is held back they count the backlog, in events and in seconds;
once it runs and catches up, every projection's lag is zero."""

from __future__ import annotations

import threading

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from projections import EVENT_PROJECTIONS
from tests.support.live import live_casetrack
from tests.support.scenarios import ADMIN, CLERK, MATERIALS, PERSON, PERSON_ID, item_terms

pytestmark = pytest.mark.integration

ITEM = "510100-XK-LAG001"
CASES = 25


def scrape() -> dict[tuple[str, str], float]:
    """(metric, projection) -> value of the pipeline gauges."""
    answer = Client().get("/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, sample.labels.get("projection", "")): sample.value
        for family in text_string_to_metric_families(answer.content.decode())
        for sample in family.samples
        if sample.name.startswith(("casetrack_projection_", "casetrack_event_store_position"))
    }


def test_lag_gauges_count_the_backlog_under_load_and_are_zero_when_caught_up(
    tmp_path, kafka_bootstrap, es_url
):
    with live_casetrack(
        tmp_path, kafka_bootstrap=kafka_bootstrap, es_url=es_url, name="lag", hold=("cases",)
    ) as live:
        app = live.app
        app.publish_item(code=ITEM, actor=ADMIN, **item_terms())
        citizen = {"role": "citizen", "subject": PERSON_ID, "channel": "web"}
        done = threading.Event()

        def load() -> None:
            try:
                for _ in range(CASES):
                    case = app.submit_case(
                        item_code=ITEM,
                        applicant=PERSON,
                        channel="web",
                        materials=MATERIALS,
                        actor=citizen,
                    )["case_id"]
                    app.accept_case(case_id=case, actor=CLERK)
            finally:
                done.set()

        writer = threading.Thread(target=load)
        writer.start()
        samples = []
        while not done.is_set() or not samples:
            at_least = app.max_position()
            gauges = scrape()
            samples.append(gauges[("casetrack_projection_lag_events", "cases")])
            assert samples[-1] >= at_least > 0
            assert gauges[("casetrack_projection_lag_seconds", "cases")] > 0
            assert gauges[("casetrack_projection_watermark_position", "cases")] == 0
        writer.join()
        head = app.max_position()
        assert scrape()[("casetrack_projection_lag_events", "cases")] == head
        assert samples[-1] > samples[0] or len(samples) == 1

        live.start_projector("cases")
        live.wait_caught_up(timeout_s=60)
        gauges = scrape()
        assert gauges[("casetrack_event_store_position", "")] == head
        for name in EVENT_PROJECTIONS:
            assert gauges[("casetrack_projection_lag_events", name)] == 0, name
            assert gauges[("casetrack_projection_lag_seconds", name)] == 0, name
            assert gauges[("casetrack_projection_watermark_position", name)] >= head, name
