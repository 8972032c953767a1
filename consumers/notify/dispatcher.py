"""The dispatcher: sends the queued deliveries, once each (docs/design.md, "Notifications").

Per due delivery:

1. the quiet hours are checked again (an SMS queued at 21:59 and due at 22:01 waits);
2. the address or number is read from the party's preferences (never kept in the records);
3. **intent**: the delivery is claimed in a committed transaction (`queued` -> `sending`,
   attempts + 1, the reference the send will carry: a Message-ID, an SMS `OutId`); a
   delivery another sender claimed first is skipped;
4. the send;
5. **outcome**: `sent` / `delivered`; a temporary failure queued again after its backoff
   (failed after 72 hours); a permanent failure `failed`, with the fallback channel queued
   in the same transaction.

A process killed between 3 and 5 leaves `sending`: once the claim is older than the send
timeout it becomes `unknown`, and reconciliation asks the channel whether the reference
arrived: yes -> `sent`; no -> queued again (it never left); cannot tell -> it stays
`unknown` for an operator. An unknown send is never repeated blindly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from consumers.notify.compose import preferences
from consumers.notify.email import EmailChannel
from consumers.notify.outcome import DELIVERED, PERMANENT, SENT, TEMPORARY, UNKNOWN, SendResult
from consumers.notify.sms import SmsMessage, SmsProvider
from domain.notifications import delivery as rules
from domain.notifications.templates import render
from domain.store import notifications as records

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        *,
        app: Any,
        email: EmailChannel | None,
        sms: SmsProvider | None,
        sms_sign_name: str = "",
        send_timeout_s: float = 60.0,
        interval_s: float = 0.5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: Callable[[str, str], None] = lambda channel, status: None,
    ) -> None:
        self.app = app
        self.email = email
        self.sms = sms
        self.sms_sign_name = sms_sign_name
        self.send_timeout_s = send_timeout_s
        self.interval_s = interval_s
        self.clock = clock
        self.metrics = metrics
        self.sent = 0

    @property
    def store(self) -> Any:
        return self.app.store

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    busy = self.pass_once(stop)
                except Exception:  # the store away: try again after the interval
                    log.warning("notify: dispatch pass failed", exc_info=True)
                    busy = False
                if not busy:
                    stop.wait(self.interval_s)
        finally:
            if self.email is not None:
                self.email.close()

    def pass_once(self, stop: threading.Event | None = None) -> bool:
        """Reconcile dead claims, send what is due; True when anything was due (a fallback it
        queued, or the rest of a long queue, may be due at once)."""
        now = self.clock()
        if records.expire_claims(self.store, now - timedelta(seconds=self.send_timeout_s)):
            log.warning("notify: sends interrupted by a crash are now unknown; reconciling")
        self.reconcile()
        due = records.due(self.store, now, limit=100)
        for item in due:
            if stop is not None and stop.is_set():
                break
            self.deliver(item)
        return bool(due)

    # ------------------------------------------------------------------ one delivery

    def _reference(self, item: records.Delivery) -> str:
        if item.channel == rules.EMAIL:
            return f"<{item.notification_id}.email@casetrack>"
        return f"{item.notification_id}.sms"

    def deliver(self, item: records.Delivery) -> None:
        now = self.clock()
        later = rules.not_before(item.channel, now, urgent=item.urgent)
        if later > now:
            records.postpone(self.store, item, later, now)
            return
        prefs = preferences(self.app, item.recipient)
        address = prefs.get("email") if item.channel == rules.EMAIL else prefs.get("phone")
        words = render(item.kind, item.language, item.params)
        reference = self._reference(item)
        if not records.claim(self.store, item, now, reference):
            return  # another sender has it
        attempt = item.attempts + 1
        if not address:
            result = SendResult(PERMANENT, reference, "no address")
        elif item.channel == rules.EMAIL and self.email is not None:
            result = self.email.send(
                to=address,
                subject=words.title,
                body=words.body,
                message_id=reference,
                language=item.language,
            )
        elif item.channel == rules.SMS and self.sms is not None:
            result = self.sms.send(self._sms(item, address, words, now))
        else:
            result = SendResult(TEMPORARY, reference, f"no {item.channel} channel configured")
        self._record(item, attempt, result, prefs)

    def _sms(self, item: records.Delivery, phone: str, words: Any, now: datetime) -> SmsMessage:
        return SmsMessage(
            phone=phone,
            sign_name=self.sms_sign_name,
            template_code=words.sms_template,
            params=words.sms_params,
            out_id=self._reference(item),
            text=words.sms,
            sent_on=now.astimezone(rules.SHANGHAI).strftime("%Y%m%d"),
        )

    def _record(
        self, item: records.Delivery, attempt: int, result: SendResult, prefs: dict
    ) -> None:
        now = self.clock()
        options: dict[str, Any] = {"reference": result.reference, "error": result.error}
        if result.status in (SENT, DELIVERED):
            status = result.status
            self.sent += 1
        elif result.status == UNKNOWN:
            status = rules.UNKNOWN
        elif result.status == TEMPORARY and (
            at := rules.retry_at(datetime.fromisoformat(item.created_at), now, attempt)
        ):
            status = rules.QUEUED
            options["next_at"] = at
        else:
            status = rules.FAILED
            options["fallback"] = self._fallback(item, prefs, now)
        records.finish(
            self.store,
            item.notification_id,
            item.channel,
            attempts=attempt,
            status=status,
            now=now,
            **options,
        )
        self.metrics(item.channel, status)
        if status == rules.FAILED:
            log.warning(
                "notify: %s delivery of %s failed (%s)",
                item.channel,
                item.notification_id,
                result.error,
            )

    def _fallback(self, item: records.Delivery, prefs: dict, now: datetime):
        channel = rules.fallback(item.channel)
        if channel == rules.EMAIL and prefs.get("email"):
            return channel, now
        return None  # the inbox only: it has the notification already

    # ------------------------------------------------------------------ reconciliation

    def reconcile(self) -> None:
        for item in records.unknown(self.store):
            found = self._find(item)
            if found is True:
                records.finish(
                    self.store,
                    item.notification_id,
                    item.channel,
                    attempts=item.attempts,
                    status=SENT,
                    now=self.clock(),
                )
                log.info("notify: %s of %s had arrived: sent", item.channel, item.notification_id)
            elif found is False:
                records.requeue_unknown(self.store, item, self.clock())
                log.info(
                    "notify: %s of %s never arrived: queued", item.channel, item.notification_id
                )

    def _find(self, item: records.Delivery) -> bool | None:
        reference = item.reference or self._reference(item)
        if item.channel == rules.EMAIL and self.email is not None:
            return self.email.find(reference)
        if item.channel == rules.SMS and self.sms is not None:
            phone = preferences(self.app, item.recipient).get("phone") or ""
            sent_on = datetime.fromisoformat(item.created_at).astimezone(rules.SHANGHAI)
            message = SmsMessage(
                phone=phone,
                sign_name=self.sms_sign_name,
                template_code="",
                params={},
                out_id=reference,
                sent_on=sent_on.strftime("%Y%m%d"),
            )
            return self.sms.find(message)
        return None
