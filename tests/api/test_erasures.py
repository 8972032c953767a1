"""`POST /api/v1/erasures` (docs/api.md, "Personal data"): admin only, the identifier in the
body, 404 for a party never seen, the same answer when erased again, and the person's data
unreadable everywhere in the store afterwards while the chain still verifies."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from domain.privacy import ERASED
from tests.api.conftest import ADMIN, APPLICANT, AUDITOR, CITIZEN, CLERK, OTHER_PERSON, PERSON

BODY = {"party_id": PERSON, "legal_basis": "《个人信息保护法》第四十七条", "reason": "本人申请删除"}


def _store_bytes(app) -> bytes:
    folder = Path(app.settings.sqlite_path).parent
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("events.db"))


def test_only_an_admin_erases(catalogue):
    catalogue.submit()
    for token in (CITIZEN, CLERK, AUDITOR):
        answer = catalogue.post("/erasures", BODY, as_=token)
        assert answer.status == 403, answer.body
    assert catalogue.app.load_or_none(_erasure_id(catalogue.app)) is None


def test_a_party_never_seen_is_404_and_nothing_is_recorded(catalogue):
    head = catalogue.app.max_position()
    answer = catalogue.post("/erasures", {**BODY, "party_id": OTHER_PERSON}, as_=ADMIN)
    assert answer.status == 404 and answer.problem["status"] == 404
    assert catalogue.app.max_position() == head


def test_a_malformed_identifier_is_422(catalogue):
    answer = catalogue.post("/erasures", {**BODY, "party_id": "12345"}, as_=ADMIN)
    assert answer.status == 422
    assert any(e["field"].endswith("party_id") for e in answer.problem["errors"])


def test_erasure_makes_the_person_unreadable_and_answers_the_same_again(catalogue):
    case_id = catalogue.submit()["case_id"]
    app = catalogue.app
    assert app.repository.get(UUID(case_id)).applicant == APPLICANT
    first = catalogue.post("/erasures", BODY, as_=ADMIN)
    assert first.status == 201, first.body
    assert first.body["erased_records"] == 1 and first.body["keys_deleted"] >= 1
    assert PERSON not in str(first.body)
    case = app.repository.get(UUID(case_id))
    assert case.applicant["name"] == ERASED and case.applicant["party_id"] == ERASED
    assert case.form == ERASED
    assert app.verify().ok
    stored = _store_bytes(app)
    assert APPLICANT["name"].encode() not in stored and PERSON.encode() not in stored
    again = catalogue.post("/erasures", {**BODY, "reason": "再次申请"}, as_=ADMIN)
    assert again.status == 200
    assert again.body["erasure_id"] == first.body["erasure_id"]


def _erasure_id(app):
    from domain.model.erasure import erasure_id

    return erasure_id(app.keyring.party_ref(PERSON))


def test_a_citizen_exports_every_record_about_them_and_nothing_about_anyone_else(catalogue):
    from tests.api.conftest import OTHER_CITIZEN

    mine = catalogue.submit()["case_id"]
    other = {"party_id": OTHER_PERSON, "kind": "person", "name": "李四"}
    theirs = catalogue.submit(applicant=other, as_=OTHER_CITIZEN)["case_id"]
    answer = catalogue.call("get", "/me/data-export", as_=CITIZEN)
    assert answer.status == 200, answer.body
    records = {r["record_id"]: r for r in answer.body["records"]}
    assert mine in records and theirs not in records
    submitted = records[mine]["events"][0]
    assert submitted["event_type"] == "CaseSubmitted"
    assert submitted["data"]["applicant"] == APPLICANT
    assert submitted["data"]["form"] == {"shop_name": "蜀味"}
    assert "李四" not in str(answer.body) and OTHER_PERSON not in str(answer.body)
    assert catalogue.call("get", "/me/data-export", as_=CLERK).status == 403


def test_after_an_erasure_the_export_holds_nothing_of_the_person(catalogue):
    catalogue.submit()
    assert catalogue.post("/erasures", BODY, as_=ADMIN).status == 201
    answer = catalogue.call("get", "/me/data-export", as_=CITIZEN)
    assert answer.status == 200 and answer.body["records"] == []


def test_the_export_holds_the_inbox_and_an_erasure_deletes_it_with_its_pending_sends(catalogue):
    from datetime import UTC, datetime

    from domain.store import notifications

    case_id = catalogue.submit()["case_id"]
    app = catalogue.app
    me = app.keyring.party_ref(PERSON)
    notifications.record(
        app.store,
        [
            notifications.NewNotification(
                event_id=f"{case_id}:1",
                recipient=me,
                kind="case_submitted",
                language="zh-Hans",
                title="申请已收到",
                body="您的申请已收到",
                params={},
                urgent=False,
                case_id=case_id,
                payment_id=None,
                licence_number=None,
                created_at=datetime.now(UTC),
                channels={"email": datetime.now(UTC)},
            )
        ],
    )
    export = catalogue.call("get", "/me/data-export", as_=CITIZEN).body
    assert [n["case_id"] for n in export["notifications"]] == [case_id]
    assert catalogue.post("/erasures", BODY, as_=ADMIN).status == 201
    assert notifications.inbox(app.store, me) == (0, 0, [])
    assert not notifications.due(app.store, datetime.now(UTC))


def test_answers_kept_for_idempotency_hold_no_personal_data(catalogue):
    """A retried command is answered from a stored answer (plain columns): it must carry no
    name, identity number, address or mobile number."""
    catalogue.post(
        "/cases",
        {"item_code": "510100-XK-0001", "applicant": APPLICANT, "channel": "web"},
        as_=CITIZEN,
        key="submit-1",
    )
    prefs = {
        "language": "en",
        "channels": {"email": True, "sms": True},
        "email": "zhang.xiaosan@example.cn",
        "phone": "13812345678",
    }
    first = catalogue.put("/me/notification-preferences", prefs, as_=CITIZEN, key="prefs-1")
    assert first.status == 200 and first.body["email"] == prefs["email"]
    again = catalogue.put("/me/notification-preferences", prefs, as_=CITIZEN, key="prefs-1")
    assert again.status == 200 and again.body["phone"] == prefs["phone"]
    assert again.headers["Idempotent-Replayed"] == "true"
    stored = _store_bytes(catalogue.app)
    for secret in (APPLICANT["name"], PERSON, prefs["email"], prefs["phone"]):
        assert secret.encode() not in stored, secret
