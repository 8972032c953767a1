"""Make a projection's consumer group reprocess the topic from an event-store position.

For a read model that lost documents (an index restored from an old snapshot, a bug fixed
in a handler together with a rebuild of some documents): the group's committed offsets
are moved back, per partition, to the first record whose position is greater than N.
Re-applying is harmless: documents at the same or a newer version refuse the write.
Stop the projection's projectors first; Kafka refuses offset changes for an active group.
"""

from __future__ import annotations

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from consumers.envelope import is_marker


def _position_at(consumer: KafkaConsumer, tp: TopicPartition, offset: int) -> int:
    consumer.seek(tp, offset)
    for _ in range(20):
        records = consumer.poll(timeout_ms=500, max_records=1).get(tp, [])
        if records:
            value = orjson.loads(records[0].value)
            return int(
                value["published_up_to"] if is_marker(records[0].headers) else value["position"]
            )
    raise TimeoutError(f"could not read {tp} at offset {offset}")


def first_offset_after(consumer: KafkaConsumer, tp: TopicPartition, position: int) -> int:
    """Binary search over offsets (positions grow along a partition; relay duplicates after a
    crash repeat earlier positions later on, so every event after `position` is still read)."""
    low = consumer.beginning_offsets([tp])[tp]
    high = consumer.end_offsets([tp])[tp]
    while low < high:
        middle = (low + high) // 2
        if _position_at(consumer, tp, middle) <= position:
            low = middle + 1
        else:
            high = middle
    return low


@retry(
    retry=retry_if_exception_type((CommitFailedError, KafkaError)),
    wait=wait_fixed(1),
    stop=stop_after_delay(60),
    reraise=True,
)
def _commit_when_group_is_empty(consumer: KafkaConsumer, offsets: dict) -> None:
    # A projector killed a moment ago stays a member until its session times out (10 s);
    # until then the coordinator refuses commits from outside the group.
    consumer.commit(offsets)


def rewind_group(
    *, bootstrap: str, topic: str, group_id: str, after_position: int
) -> dict[int, int]:
    """Commit, for every partition, the offset of the first record after `after_position`."""
    reader = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="casetrack-replay-read"
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())
        ]
        offsets = {}
        for tp in partitions:
            reader.assign([tp])  # one partition at a time: each poll answers from it alone
            offsets[tp] = first_offset_after(reader, tp, after_position)
    finally:
        reader.close()
    committer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        client_id="casetrack-replay",
    )
    try:
        committer.assign(partitions)
        _commit_when_group_is_empty(
            committer, {tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()}
        )
        return {tp.partition: offset for tp, offset in offsets.items()}
    finally:
        committer.close()
