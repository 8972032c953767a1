"""A rebuild writes its new index without periodic refreshes and swaps in an index that has the
serving settings back and every document searchable (docs/design.md, "Elasticsearch contract").
Real Kafka and Elasticsearch."""

from __future__ import annotations

import threading

import pytest

from consumers import kafka_admin
from consumers.projector import Projector
from consumers.rebuild import rebuild
from consumers.topics import Topics
from domain.services import Casetrack
from search.client import make_client
from search.indices import SETTINGS, Names
from search.store import ReadModels
from tests.support.bus import envelopes_of, publish
from tests.support.projectors import projector_factory
from tests.support.scenarios import run_full_day

pytestmark = pytest.mark.integration

PARTITIONS = 2


class Watched(ReadModels):
    """Notes the new index's refresh interval at its first write and, at the swap, its refresh
    interval and how many documents a search finds in it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.at_write: list[str] = []
        self.at_swap: dict = {}

    def _interval(self, index: str) -> str:
        answer = self.client.indices.get_settings(index=index, name="index.refresh_interval")
        return answer[index]["settings"]["index"]["refresh_interval"]

    def write(self, target, writes, **kw):
        if not self.at_write and target != self.names.alias("cases"):
            self.at_write.append(self._interval(target))
        return super().write(target, writes, **kw)

    def swap_alias(self, model, new_index):
        self.at_swap = {
            "refresh_interval": self._interval(new_index),
            "searchable": self.client.count(index=new_index)["count"],
        }
        return super().swap_alias(model, new_index)


def test_a_rebuild_writes_without_refreshes_and_swaps_in_a_serving_searchable_index(
    kafka_bootstrap, es_url, unique
):
    prefix = f"test-rbset-{unique}"
    topics = Topics(prefix)
    kafka_admin.ensure_topic(
        kafka_bootstrap, topics.events, partitions=PARTITIONS, config={"retention.ms": "-1"}
    )
    read_models = Watched(make_client(es_url, timeout_s=30), Names(prefix))
    read_models.ensure_all()
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    made: list[Projector] = []
    try:
        day = run_full_day(app, suffix="0001")
        publish(kafka_bootstrap, topics.events, envelopes_of(app, 0))

        make = projector_factory(
            read_models=read_models,
            bootstrap=kafka_bootstrap,
            topics=topics,
            prefix=prefix,
            partitions=PARTITIONS,
            made=made,
        )

        result = rebuild(
            make_projector=make, name="cases", stop=threading.Event(), progress=lambda line: None
        )
        assert read_models.at_write == ["-1"]  # no periodic refresh while nothing reads it
        assert read_models.at_swap == {
            "refresh_interval": SETTINGS["refresh_interval"],
            "searchable": len(day.cases),
        }
        assert read_models.current_index("cases") == result.new_index
        assert read_models._interval(result.new_index) == SETTINGS["refresh_interval"]
        assert made[-1].consumer is None  # its group membership ends with the rebuild
    finally:
        app.close()
