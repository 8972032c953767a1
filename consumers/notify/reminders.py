"""The clock's reminders: a fine due in 3 days, a licence expiring in 30.

Every `interval` the read models name the candidates (`search/reminders.py`); each one is
loaded from the event store, which decides whether it still applies (unpaid, active, the same
deadline), and recorded like any notification. A reminder's event id is a name-based UUID of
(kind, record, deadline), so the notifications table itself records what the clock has sent:
a restart, a second process or the next pass records nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from consumers.notify.compose import compose, preferences
from domain.calendar import shanghai_date
from domain.notifications.kinds import FINE_DUE_DAYS, LICENCE_EXPIRY_DAYS, reminder
from domain.notifications.recipients import subject_of
from domain.store import notifications as records
from search.reminders import fines_due, licences_expiring

log = logging.getLogger(__name__)


class Reminders:
    def __init__(
        self,
        *,
        app: Any,
        read_models: Any,
        interval_s: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.read_models = read_models
        self.interval_s = interval_s
        self.clock = clock

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.pass_once()
            except Exception:  # Elasticsearch or the store away: the next pass catches up
                log.warning("notify: reminder pass failed", exc_info=True)
            stop.wait(self.interval_s)

    def pass_once(self) -> int:
        """Record the reminders due today (Asia/Shanghai); the number newly recorded."""
        now = self.clock()
        today = shanghai_date(now)
        planned = []
        fines_until = today + timedelta(days=FINE_DUE_DAYS)
        for payment_id in fines_due(self.read_models, today, fines_until):
            payment = self.app.load_or_none(UUID(payment_id))
            if payment is None or payment.status != "requested" or payment.kind != "fine":
                continue
            if not today <= payment.due_date <= fines_until:
                continue
            planned.append(
                reminder("fine_due_soon", subject_of(payment), payment.due_date.isoformat())
            )
        licences_until = today + timedelta(days=LICENCE_EXPIRY_DAYS)
        for licence_id in licences_expiring(self.read_models, today, licences_until):
            licence = self.app.load_or_none(UUID(licence_id))
            if licence is None or licence.status != "active" or licence.valid_until is None:
                continue
            if not today <= licence.valid_until <= licences_until:
                continue
            planned.append(
                reminder("licence_expiring", subject_of(licence), licence.valid_until.isoformat())
            )
        prefs: dict[str, dict] = {}
        composed = []
        for p in planned:
            ref = self.app.keyring.party_ref(p.recipient)
            if records.recorded(self.app.store, p.event_id, ref):
                continue
            if ref not in prefs:
                prefs[ref] = preferences(self.app, ref)
            composed.append(compose(p, ref, prefs[ref], now))
        return len(records.record(self.app.store, composed))
