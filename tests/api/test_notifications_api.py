"""The inbox and the preferences over HTTP (docs/api.md, "Notifications"): each party sees
and marks only their own notifications, preferences are validated (422, nothing recorded)
and answered as set."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import orjson
import pytest

from domain.model.preferences import preferences_id
from domain.store import notifications as records
from tests.api.conftest import CITIZEN, CLERK, OTHER_CITIZEN, OTHER_PERSON, PERSON


def get(http, path: str, token: str):
    response = http.client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, orjson.loads(response.content)


def test_preferences_default_then_set_then_read(http, app) -> None:
    status, body = get(http, "/me/notification-preferences", CITIZEN)
    assert status == 200
    assert body == {
        "language": "zh-Hans",
        "channels": {"email": False, "sms": False},
        "email": None,
        "phone": None,
        "version": 0,
    }
    chosen = {
        "language": "en",
        "channels": {"email": True, "sms": True},
        "email": "zhang.san@example.cn",
        "phone": "+86 138 0013 8000",
    }
    answer = http.put("/me/notification-preferences", chosen, as_=CITIZEN)
    assert answer.status == 200, answer.body
    assert answer.body == {**chosen, "phone": "13800138000", "version": 1}
    assert get(http, "/me/notification-preferences", CITIZEN)[1] == answer.body
    # Another party's preferences are their own.
    assert get(http, "/me/notification-preferences", OTHER_CITIZEN)[1]["version"] == 0
    # The same again records nothing.
    again = http.put("/me/notification-preferences", chosen, as_=CITIZEN)
    assert again.body["version"] == 1
    # Stored sealed: neither the identity number, the address nor the number in plain bytes,
    # and the aggregate id comes from the party's blind ref.
    stream = app.read_stream(preferences_id(app.keyring.party_ref(PERSON)))
    assert len(stream) == 1
    for plain in (PERSON, "zhang.san@example.cn", "13800138000"):
        assert plain.encode() not in stream[0].state


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not an address", "channels": {"email": True, "sms": False}},
        {"phone": "010-12345678", "channels": {"email": False, "sms": True}},
        {"channels": {"email": True, "sms": False}, "email": None},
        {"language": "fr"},
    ],
)
def test_malformed_preferences_are_422_and_change_nothing(http, app, change) -> None:
    before = app.max_position()
    body = {"language": "zh-Hans", "channels": {"email": False, "sms": False}, **change}
    answer = http.put("/me/notification-preferences", body, as_=CITIZEN)
    assert answer.status == 422, answer.body
    assert answer.problem["status"] == 422
    assert app.max_position() == before


def test_only_citizens_have_preferences(http) -> None:
    assert http.put("/me/notification-preferences", {}, as_=CLERK).status == 403


def _notify(app, party: str, title: str) -> str:
    [notification_id] = records.record(
        app.store,
        [
            records.NewNotification(
                event_id=str(uuid4()),
                recipient=app.keyring.party_ref(party),
                kind="case_submitted",
                language="zh-Hans",
                title=title,
                body="正文",
                params={},
                urgent=False,
                case_id=str(uuid4()),
                payment_id=None,
                licence_number=None,
                created_at=datetime.now(UTC),
                channels={"email": datetime.now(UTC)},
            )
        ],
    )
    return notification_id


def test_the_inbox_is_the_party_own_and_reading_marks_it(http, app) -> None:
    mine = _notify(app, PERSON, "已收到您的申请 1")
    _notify(app, PERSON, "已收到您的申请 2")
    theirs = _notify(app, OTHER_PERSON, "别人的")
    status, inbox = get(http, "/me/notifications?page=1&size=1", CITIZEN)
    assert status == 200
    assert (inbox["total"], inbox["unread"], len(inbox["items"])) == (2, 2, 1)
    item = inbox["items"][0]
    assert {d["channel"]: d["status"] for d in item["deliveries"]} == {
        "inbox": "delivered",
        "email": "queued",
    }
    read = http.post(f"/me/notifications/{mine}/read", as_=CITIZEN)
    assert read.status == 200 and read.body["read_at"]
    assert http.post(f"/me/notifications/{mine}/read", as_=CITIZEN).body == read.body
    status, unread = get(http, "/me/notifications?unread=true", CITIZEN)
    assert (unread["total"], unread["unread"]) == (1, 1)
    assert mine not in [i["notification_id"] for i in unread["items"]]
    # Someone else's notification is 404, like a missing one; nothing is marked.
    assert http.post(f"/me/notifications/{theirs}/read", as_=CITIZEN).status == 404
    assert http.post(f"/me/notifications/{uuid4()}/read", as_=CITIZEN).status == 404
    assert get(http, "/me/notifications", OTHER_CITIZEN)[1]["unread"] == 1
    assert get(http, "/me/notifications?size=0", CITIZEN)[0] == 422


def test_deliveries_per_channel_and_status_are_in_the_metrics(http, app) -> None:
    _notify(app, PERSON, "一")
    _notify(app, OTHER_PERSON, "二")
    text = http.client.get("/metrics").content.decode()
    assert 'casetrack_notification_deliveries{channel="email",status="queued"} 2.0' in text
    assert 'casetrack_notification_deliveries{channel="inbox",status="delivered"} 2.0' in text
    assert PERSON not in text and app.keyring.party_ref(PERSON) not in text
