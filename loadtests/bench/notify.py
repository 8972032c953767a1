"""The notifications consumer's benchmark (docs/design.md, "Notifications").

    .venv/bin/python -m loadtests.bench.notify --cases 2000 --fresh-seconds 20

Against the real local stack (Kafka; a mail server of its own, aiosmtpd on a free port):

1. throughput, events/s over the same topic from offset 0, each in a fresh consumer group:
   the raw consumer (kafka-python, every record decoded), the notifier recording to the inbox
   only, and the notifier for parties who chose e-mail (recording), then the dispatcher
   sending those e-mails (e-mails/s, SMTP to the local server);
2. freshness at `--rate` commands/s (200): each command's commit to its notification
   recorded (the inbox), p50/p99/max, with the relay and `manage.py notify` as processes.

Prints the figures and writes `loadtests/results/notify.json`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
from kafka import KafkaConsumer

from consumers.notify.consumer import Notifier, caught_up
from consumers.notify.dispatcher import Dispatcher
from consumers.notify.email import EmailChannel
from consumers.notify.sms import LocalSmsToMailbox
from consumers.relay import Relay
from consumers.topics import Topics
from domain.identifiers import make_resident_id
from domain.services import Casetrack
from domain.store import notifications as records
from loadtests.bench.config import DEFAULTS, RESULTS, ROOT
from loadtests.bench.loader import Loader
from loadtests.bench.tools import free_port, percentile, wait_for

CITIZEN = {"role": "citizen", "subject": "bench-citizen"}


def mail_server(maildir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-u",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "casetrack_mailbox.LocalMailbox",
            str(maildir),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT / "docker" / "local" / "smtp")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return process, f"smtp://127.0.0.1:{port}"


class Run:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.prefix = f"bench-notify-{uuid.uuid4().hex[:8]}"
        self.env = {
            "CASETRACK_EVENT_STORE": f"sqlite:///{workdir / 'events.db'}",
            "CASETRACK_TOPIC_PREFIX": self.prefix,
            "CASETRACK_INDEX_PREFIX": self.prefix,
            "CASETRACK_PARTITIONS": str(args.partitions),
            "CASETRACK_KAFKA_BOOTSTRAP": args.kafka,
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
            "CASETRACK_NOTIFY_REMINDER_INTERVAL_S": "86400",
        }
        self.app = Casetrack(env=self.env)
        self.topic = Topics(self.prefix).events
        self.workdir = workdir
        self.stop = threading.Event()

    def relay_all(self) -> None:
        relay = Relay(
            read_log=self.app.read_log,
            mapper=self.app.mapper,
            bootstrap=self.args.kafka,
            topic=self.topic,
            partitions=self.args.partitions,
        )
        thread = threading.Thread(target=relay.run, args=(self.stop,), daemon=True)
        thread.start()
        head = self.app.max_position()
        wait_for(lambda: relay.stats.position >= head, timeout_s=600, what="the relay")
        self.stop.set()
        thread.join()
        self.stop.clear()

    def raw(self) -> float:
        consumer = KafkaConsumer(
            self.topic,
            bootstrap_servers=self.args.kafka,
            group_id=f"{self.prefix}.raw.{uuid.uuid4().hex[:6]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=2000,
        )
        events, started = 0, time.perf_counter()
        try:
            while True:
                for messages in consumer.poll(timeout_ms=500).values():
                    for message in messages:
                        orjson.loads(message.value)
                        events += 1
                assigned = consumer.assignment()
                if assigned:
                    ends = consumer.end_offsets(list(assigned))
                    if len(assigned) == self.args.partitions and all(
                        consumer.position(tp) >= ends[tp] for tp in assigned
                    ):
                        break
        finally:
            consumer.close()
        return events / (time.perf_counter() - started)

    def notifier(self, name: str) -> tuple[float, Notifier]:
        notifier = Notifier(
            app=self.app,
            bootstrap=self.args.kafka,
            topic=self.topic,
            group_id=f"{self.prefix}.{name}",
            partitions=self.args.partitions,
            progress_name=name,
        )
        started = time.perf_counter()
        notifier.run(self.stop, until=caught_up)
        return notifier.stats.events / (time.perf_counter() - started), notifier

    def recipients(self) -> set[str]:
        """The party ids of everyone notified (the tables hold blind refs: the ids come from
        the cases, opened by the store)."""
        notes, _, _ = records._tables(self.app.store)
        with self.app.store.read_cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT case_id FROM {notes} WHERE case_id IS NOT NULL")
            case_ids = [r["case_id"] for r in cursor.fetchall()]
        parties = set()
        for case_id in case_ids:
            case = self.app.load_or_none(uuid.UUID(case_id))
            if case is not None:
                parties.add(case.applicant["party_id"])
        return parties

    def forget_notifications(self) -> None:
        with self.app.store.write_cursor() as cursor:
            for table in records._tables(self.app.store):
                cursor.execute(f"DELETE FROM {table}")

    def with_email(self, smtp_url: str) -> tuple[float, float, int]:
        for party in self.recipients():
            self.app.set_notification_preferences(
                party_id=party,
                language="zh-Hans",
                channels={"email": True, "sms": False},
                email=f"p{party[-6:]}@example.cn",
                phone=None,
                actor=CITIZEN,
            )
        self.forget_notifications()
        self.relay_all()  # the preferences' own events
        rate, _ = self.notifier("notify-email")
        email = EmailChannel(smtp_url, sender="Casetrack <noreply@casetrack.localhost>")
        dispatcher = Dispatcher(app=self.app, email=email, sms=LocalSmsToMailbox(email))
        started = time.perf_counter()
        while dispatcher.pass_once():
            pass
        return rate, dispatcher.sent / (time.perf_counter() - started), dispatcher.sent

    def freshness(self, smtp_url: str) -> dict:
        env = {
            **os.environ,
            **self.env,
            "CASETRACK_SMTP_URL": smtp_url,
            "DJANGO_SETTINGS_MODULE": "api.settings",
            "PYTHONUNBUFFERED": "1",
        }
        logs = self.workdir / "processes.log"
        processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", name],
                cwd=ROOT,
                env=env,
                stdout=open(logs, "ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for name in ("relay", "notify")
        ]
        try:
            # Warm-up: one command through both processes (started, joined, caught up).
            code = self.item
            first = self.app.submit_case(
                item_code=code, applicant=self.applicant(-1), channel="web", actor=CITIZEN
            )["case_id"]
            wait_for(lambda: self.recorded({first: 0.0}), timeout_s=120, what="the warm-up")
            committed: dict[str, float] = {}
            interval, started = 1 / self.args.rate, time.perf_counter()
            n = 0
            while time.perf_counter() - started < self.args.fresh_seconds:
                target = started + n * interval
                if (wait := target - time.perf_counter()) > 0:
                    time.sleep(wait)
                case = self.app.submit_case(
                    item_code=code, applicant=self.applicant(n), channel="web", actor=CITIZEN
                )["case_id"]
                committed[case] = time.time()
                n += 1
            achieved = n / (time.perf_counter() - started)
            wait_for(
                lambda: len(self.recorded(committed)) >= len(committed),
                timeout_s=120,
                what="every notification",
            )
            lags = [at - committed[case] for case, at in self.recorded(committed).items()]
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        return {
            "commands_per_s": round(achieved, 1),
            "p50_s": round(percentile(lags, 50), 3),
            "p99_s": round(percentile(lags, 99), 3),
            "max_s": round(max(lags), 3),
        }

    def applicant(self, n: int) -> dict:
        return {
            "party_id": make_resident_id("510104", date(1990, 1, 1), 100 + (n + 800) % 800),
            "kind": "person",
            "name": "测试",
        }

    def recorded(self, committed: dict[str, float]) -> dict[str, float]:
        notes, _, _ = records._tables(self.app.store)
        with self.app.store.read_cursor() as cursor:
            cursor.execute(f"SELECT case_id, created_at FROM {notes} WHERE kind = 'case_submitted'")
            return {
                r["case_id"]: datetime.fromisoformat(r["created_at"]).timestamp()
                for r in cursor.fetchall()
                if r["case_id"] in committed
            }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.bench.notify")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--fresh-seconds", type=float, default=20.0)
    parser.add_argument("--kafka", default=DEFAULTS["kafka"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        workdir = Path(tmp)
        mail, smtp_url = mail_server(workdir / "mail")
        run = Run(args, workdir)
        try:
            loader = Loader(run.app)
            loader.publish_catalogue()
            run.item = loader.terms[0]["code"]
            loader.load(args.cases)
            run.relay_all()
            events = run.app.max_position()
            raw = run.raw()
            inbox, notifier = run.notifier("notify-inbox")
            recorded = notifier.stats.notified
            email_rate, sent_rate, sent = run.with_email(smtp_url)
            run.notifier("notify")  # the live group starts at the end of the topic
            fresh = run.freshness(smtp_url)
        finally:
            run.app.close()
            mail.terminate()
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cases": args.cases,
        "events": events,
        "notifications": recorded,
        "raw_consumer_events_per_s": round(raw),
        "notifier_inbox_events_per_s": round(inbox),
        "notifier_email_events_per_s": round(email_rate),
        "dispatcher_emails_per_s": round(sent_rate),
        "emails_sent": sent,
        "freshness": {"rate": args.rate, **fresh},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notify.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
