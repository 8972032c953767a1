"""Notifications end to end against real Kafka, a real mail server and the event store
(docs/design.md, "Notifications"): every kind in both languages by e-mail and SMS, the
fallback, the quiet hours, the reminders, and exactly once under SIGKILL, a crash between
a send and its record, and a full re-read of the topic."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from consumers.notify.consumer import Notifier, caught_up
from consumers.notify.dispatcher import Dispatcher
from consumers.notify.email import EmailChannel
from consumers.notify.reminders import Reminders
from consumers.notify.sms import LocalSmsToMailbox
from consumers.relay import Relay
from consumers.topics import Topics
from domain.services import Casetrack
from domain.store import notifications as records
from search.client import make_client
from search.indices import Names
from search.store import ReadModels, Write
from tests.support.mail import MailServer
from tests.support.processes import kill, manage
from tests.support.readmodels import expected_documents
from tests.support.scenarios import BUSINESS_ID, CITIZEN, CLERK, PERSON_ID, run_full_day
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration
PARTITIONS = 2
# 12:00 and 23:00 in Asia/Shanghai.
NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PERSON_MAIL, PERSON_PHONE = "zhang.san@example.cn", "13800000001"
BUSINESS_MAIL, BUSINESS_PHONE = "shuwei@example.cn", "13800000002"


@pytest.fixture
def mail(tmp_path):
    server = MailServer(tmp_path / "mail").start()
    yield server
    server.stop()


class World:
    """An event store, its relay to a topic of its own, and the notifier's parts."""

    def __init__(self, tmp_path, unique, kafka_bootstrap, es_url, mail: MailServer) -> None:
        self.prefix = f"test-notify-{unique}"
        self.mail = mail
        self.bootstrap = kafka_bootstrap
        self.env = {
            "CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}",
            "CASETRACK_TOPIC_PREFIX": self.prefix,
            "CASETRACK_PARTITIONS": str(PARTITIONS),
            "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CASETRACK_ES_URL": es_url,
            "CASETRACK_INDEX_PREFIX": self.prefix,
            "CASETRACK_NOTIFY_REMINDER_INTERVAL_S": "3600",
            "CASETRACK_SMTP_URL": mail.url,
            "CASETRACK_SMTP_MAILDIR": str(mail.maildir),
            "CASETRACK_NOTIFY_SEND_TIMEOUT_S": "2",
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
        }
        self.logs = tmp_path
        self.app = Casetrack(env=self.env)
        self.topic = Topics(self.prefix).events
        self.stop = threading.Event()
        self.relay = Relay(
            read_log=self.app.read_log,
            mapper=self.app.mapper,
            bootstrap=kafka_bootstrap,
            topic=self.topic,
            partitions=PARTITIONS,
        )
        self.relay_thread = threading.Thread(target=self.relay.run, args=(self.stop,))
        self.relay_thread.start()
        self.processes: list = []

    def ref(self, party_id: str) -> str:
        """How the notification tables name a party: their blind ref."""
        return self.app.keyring.party_ref(party_id)

    def published(self) -> None:
        position = self.app.max_position()
        wait_until(lambda: self.relay.stats.position >= position, timeout_s=60, what="the relay")

    def record(self, clock=lambda: NOON, group: str = "notify") -> Notifier:
        """Everything published so far, recorded by a notifier of group `group`."""
        self.published()
        notifier = Notifier(
            app=self.app,
            bootstrap=self.bootstrap,
            topic=self.topic,
            group_id=f"{self.prefix}.{group}",
            partitions=PARTITIONS,
            clock=clock,
        )
        notifier.run(self.stop, until=caught_up)
        return notifier

    def dispatcher(self, clock=lambda: NOON, **options) -> Dispatcher:
        email = EmailChannel(
            self.mail.url,
            sender="Casetrack <noreply@casetrack.localhost>",
            maildir=str(self.mail.maildir),
        )
        return Dispatcher(
            app=self.app,
            email=email,
            sms=LocalSmsToMailbox(email),
            sms_sign_name="政务服务",
            clock=clock,
            **options,
        )

    def send_all(self, dispatcher: Dispatcher) -> None:
        while dispatcher.pass_once():
            pass

    def start(self, *args: str):
        process = manage(*args, env=self.env, log=self.logs / f"{args[0]}.log")
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            kill(process)
        self.stop.set()
        self.relay_thread.join(timeout=30)
        self.app.close()


@pytest.fixture
def world(tmp_path, unique, kafka_bootstrap, es_url, mail):
    built = World(tmp_path, unique, kafka_bootstrap, es_url, mail)
    yield built
    built.close()


def prefer(app, party_id: str, language: str, email: str | None, phone: str | None) -> None:
    app.set_notification_preferences(
        party_id=party_id,
        language=language,
        channels={"email": bool(email), "sms": bool(phone)},
        email=email,
        phone=phone,
        actor={"role": "citizen", "subject": party_id},
    )


def statuses(app) -> Counter:
    return Counter({k: v for k, v in records.delivery_counts(app.store).items() if v})


EXPECTED_PERSON = Counter(
    {
        "case_submitted": 3,
        "case_materials_requested": 1,
        "case_accepted": 1,
        "case_decided": 1,
        "case_refused": 1,
        "licence_issued": 1,
        "licence_suspended": 1,
        "licence_renewed": 1,
        "licence_revoked": 1,
        "payment_requested": 1,  # the charge
    }
)
EXPECTED_BUSINESS = Counter(
    {
        "case_submitted": 2,
        "case_accepted": 2,
        "case_decided": 2,
        "payment_requested": 1,  # the fee
        "payment_settled": 2,  # the fee and a fine
        "payment_refunded": 1,
        "fine_imposed": 2,
    }
)


def test_every_kind_in_both_languages_by_inbox_email_and_sms(world: World) -> None:
    prefer(world.app, PERSON_ID, "en", PERSON_MAIL, PERSON_PHONE)
    prefer(world.app, BUSINESS_ID, "zh-Hans", BUSINESS_MAIL, BUSINESS_PHONE)
    made = run_full_day(world.app)
    world.app.revoke_licence(licence_number=made.licences[0], reason="以欺骗手段取得", actor=CLERK)
    world.record()
    assert Counter(records.kinds_of(world.app.store, world.ref(PERSON_ID))) == EXPECTED_PERSON
    assert Counter(records.kinds_of(world.app.store, world.ref(BUSINESS_ID))) == EXPECTED_BUSINESS
    world.send_all(world.dispatcher())

    person_mails = world.mail.to(PERSON_MAIL)
    business_mails = world.mail.to(BUSINESS_MAIL)
    assert len(person_mails) == EXPECTED_PERSON.total()
    assert len(business_mails) == EXPECTED_BUSINESS.total()
    subjects = {m["Subject"] for m in person_mails}
    assert f"Licence {made.licences[0]} revoked" in subjects
    assert {str(m["Content-Language"]) for m in person_mails} == {"en"}, [
        dict(m) for m in person_mails[:1]
    ]
    assert any(m["Subject"].startswith("罚款决定：200.00元") for m in business_mails)
    assert any("已退款 10.00元" == m["Subject"] for m in business_mails)
    texts = world.mail.to(f"{PERSON_PHONE}@sms.localhost")
    assert len(texts) == EXPECTED_PERSON.total()
    revoked = [t for t in texts if "revoked" in t.get_content()]
    assert revoked and revoked[0]["X-Sms-Template"] == "SMS_CT_1008"
    assert revoked[0].get_content().startswith("【政务服务】Licence ")
    assert len(world.mail.to(f"{BUSINESS_PHONE}@sms.localhost")) == EXPECTED_BUSINESS.total()
    counts = statuses(world.app)
    total = EXPECTED_PERSON.total() + EXPECTED_BUSINESS.total()
    assert counts == Counter(
        {("inbox", "delivered"): total, ("email", "sent"): total, ("sms", "delivered"): total}
    )
    # Each message exactly once.
    assert set(world.mail.message_ids().values()) == {1}


def test_fallback_temporary_failures_and_quiet_hours(world: World) -> None:
    # SMS refused for good -> e-mail; e-mail refused for good -> the inbox only;
    # a busy mailbox -> retried after its backoff.
    world.app.set_notification_preferences(
        party_id=PERSON_ID,
        language="zh-Hans",
        channels={"email": False, "sms": True},
        email=PERSON_MAIL,
        phone="13800000550",
        actor=CITIZEN,
    )
    prefer(world.app, BUSINESS_ID, "zh-Hans", "permanent-failure@example.cn", None)
    run_full_day(world.app)
    world.record(clock=lambda: NOON)
    world.send_all(world.dispatcher())
    person = EXPECTED_PERSON.total() - 1  # no revocation in this day
    assert len(world.mail.to(PERSON_MAIL)) == person
    assert world.mail.to("permanent-failure@example.cn") == []
    counts = statuses(world.app)
    assert counts[("sms", "failed")] == person
    assert counts[("email", "sent")] == person
    assert counts[("email", "failed")] == EXPECTED_BUSINESS.total()
    _, _, [item, *_] = records.inbox(world.app.store, world.ref(BUSINESS_ID))
    assert {d["channel"]: d["status"] for d in item["deliveries"]} == {
        "inbox": "delivered",
        "email": "failed",
    }

    # Quiet hours: at 23:00 in Shanghai a case's SMS waits for 08:00, its e-mail goes at once;
    # an urgent one (a suspended licence) goes at once.
    prefer(world.app, PERSON_ID, "zh-Hans", "night@example.cn", PERSON_PHONE)
    now = {"at": NIGHT}
    case = world.app.submit_case(
        item_code="510100-XK-0001",
        applicant={"party_id": PERSON_ID, "kind": "person", "name": "张小三"},
        channel="web",
        actor=CITIZEN,
    )["case_id"]
    world.app.withdraw_case(case_id=case, reason="不再需要", actor=CITIZEN)
    world.record(clock=lambda: now["at"])
    night = world.dispatcher(clock=lambda: now["at"])
    world.send_all(night)
    assert len(world.mail.to("night@example.cn")) == 1
    assert world.mail.to(f"{PERSON_PHONE}@sms.localhost") == []
    now["at"] = NIGHT + timedelta(hours=8, minutes=59)  # 07:59
    world.send_all(night)
    assert world.mail.to(f"{PERSON_PHONE}@sms.localhost") == []
    now["at"] = NIGHT + timedelta(hours=9)  # 08:00
    world.send_all(night)
    assert len(world.mail.to(f"{PERSON_PHONE}@sms.localhost")) == 1


def test_an_urgent_sms_is_sent_in_the_quiet_hours_and_a_busy_mailbox_retried(
    world: World,
) -> None:
    made = run_full_day(world.app)
    world.record()
    prefer(world.app, PERSON_ID, "en", "temporary-failure@example.cn", PERSON_PHONE)
    world.app.revoke_licence(licence_number=made.licences[0], reason="撤销", actor=CLERK)
    now = {"at": NIGHT}
    world.record(clock=lambda: now["at"])
    dispatcher = world.dispatcher(clock=lambda: now["at"])
    world.send_all(dispatcher)
    [text] = world.mail.to(f"{PERSON_PHONE}@sms.localhost")
    assert "revoked" in text.get_content()
    assert statuses(world.app)[("email", "queued")] == 1
    [(delivery)] = records.due(world.app.store, NIGHT + timedelta(seconds=30))
    assert (delivery.channel, delivery.attempts) == ("email", 1)
    assert records.due(world.app.store, NIGHT + timedelta(seconds=29)) == []
    # 72 hours of temporary failures: failed, and nothing else to fall back to.
    now["at"] = NIGHT + timedelta(hours=72)
    world.send_all(dispatcher)
    assert statuses(world.app)[("email", "failed")] == 1


def test_a_crash_between_the_send_and_its_record_is_reconciled_never_repeated(
    world: World,
) -> None:
    prefer(world.app, PERSON_ID, "en", PERSON_MAIL, None)
    run_full_day(world.app)
    world.record()
    # The dispatcher that starts after the crash, a second later.
    dispatcher = world.dispatcher(clock=lambda: NOON + timedelta(seconds=1), send_timeout_s=0.2)
    first, second = records.due(world.app.store, NOON)[:2]
    # One was sent and the process died before recording it; the other died before sending.
    for item in (first, second):
        assert records.claim(world.app.store, item, NOON, dispatcher._reference(item))
    dispatcher.email.send(
        to=PERSON_MAIL, subject="s", body="b", message_id=dispatcher._reference(first)
    )
    world.send_all(dispatcher)
    ids = world.mail.message_ids()
    assert ids[dispatcher._reference(first)] == 1
    assert ids[dispatcher._reference(second)] == 1
    assert set(ids.values()) == {1}
    assert len(world.mail.to(PERSON_MAIL)) == EXPECTED_PERSON.total() - 1
    assert statuses(world.app)[("email", "unknown")] == 0


def test_exactly_once_under_sigkill_and_a_full_reread(world: World) -> None:
    prefer(world.app, PERSON_ID, "en", PERSON_MAIL, None)
    prefer(world.app, BUSINESS_ID, "zh-Hans", BUSINESS_MAIL, None)
    notify = world.start("notify")
    done = threading.Event()

    def traffic() -> None:
        for day in range(3):
            run_full_day(world.app, suffix=f"{day:04d}")
        done.set()

    writer = threading.Thread(target=traffic)
    writer.start()
    rng = random.Random(16)
    while not done.is_set():
        time.sleep(rng.uniform(0.5, 2.0))
        kill(notify)  # SIGKILL, wherever it is
        notify = world.start("notify")
    writer.join()
    world.published()
    expected = 3 * (EXPECTED_PERSON.total() - 1 + EXPECTED_BUSINESS.total())

    def settled() -> bool:
        counts = records.delivery_counts(world.app.store)
        pending = sum(
            n
            for (channel, status), n in counts.items()
            if status in ("queued", "sending", "unknown")
        )
        return counts.get(("email", "sent"), 0) == expected and pending == 0

    wait_until(settled, timeout_s=120, what="every e-mail sent")
    ids = world.mail.message_ids()
    assert len(ids) == expected and set(ids.values()) == {1}
    kill(notify)

    # A deliberate re-read of the whole topic records nothing new and sends nothing.
    before = records.delivery_counts(world.app.store)
    reread = world.start("notify", "--from-beginning", "--until-caught-up")
    assert reread.wait(timeout=120) == 0
    [summary] = [
        line
        for line in (world.logs / "notify.log").read_text().splitlines()
        if "notifications recorded" in line
    ]
    assert ", 0 notifications recorded, " in summary, summary
    assert records.delivery_counts(world.app.store) == before
    again = world.start("notify")
    time.sleep(3)
    kill(again)
    assert world.mail.message_ids() == ids


def test_the_clock_reminds_once_of_a_fine_falling_due_and_a_licence_expiring(
    world: World, es_url: str
) -> None:
    prefer(world.app, BUSINESS_ID, "en", BUSINESS_MAIL, None)
    prefer(world.app, PERSON_ID, "zh-Hans", PERSON_MAIL, None)
    made = run_full_day(world.app)
    fine = world.app.record_violation(
        party_id=BUSINESS_ID,
        party_name="蜀味餐饮",
        description="占道经营",
        location="春熙路",
        region_code="510104",
        occurred_at=NOON,
        fine_fen=30000,
        legal_basis="城市管理条例",
        department="market-regulation",
        actor=CLERK,
    )["payment_id"]
    # The read models the clock asks, as the projections make them (projectors are tested
    # on their own).
    read_models = ReadModels(make_client(es_url, timeout_s=30), Names(world.prefix))
    documents = expected_documents(world.app)
    for name in ("payments", "licences"):
        read_models.ensure(name)
        writes = [Write(i, d["aggregate_version"], d) for i, d in documents[name].items()]
        read_models.write(read_models.names.alias(name), writes)
        read_models.refresh(read_models.names.alias(name))
    due = world.app.load_or_none(UUID(fine)).due_date
    expires = world.app.get_licence(made.licences[0]).valid_until
    at = {"now": NOON}
    reminders = Reminders(app=world.app, read_models=read_models, clock=lambda: at["now"])

    def on(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

    at["now"] = on(due - timedelta(days=4))
    assert reminders.pass_once() == 0
    at["now"] = on(due - timedelta(days=3))
    assert reminders.pass_once() == 1
    assert reminders.pass_once() == 0
    at["now"] = on(due - timedelta(days=1))
    assert (
        Reminders(app=world.app, read_models=read_models, clock=lambda: at["now"]).pass_once() == 0
    )
    at["now"] = on(expires - timedelta(days=31))
    assert reminders.pass_once() == 0
    at["now"] = on(expires - timedelta(days=30))
    assert reminders.pass_once() == 1
    assert reminders.pass_once() == 0
    world.send_all(world.dispatcher(clock=lambda: at["now"]))
    [fine_mail] = [m for m in world.mail.to(BUSINESS_MAIL) if m["Subject"].startswith("Your fine")]
    assert fine_mail["Subject"] == f"Your fine is due on {due.isoformat()}"
    assert "CNY 300.00" in fine_mail.get_content()
    [expiry] = [m for m in world.mail.to(PERSON_MAIL) if "即将到期" in m["Subject"]]
    assert expires.isoformat() in expiry.get_content()
