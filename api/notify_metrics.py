"""Notification metrics, read from the records when scraped (docs/api.md, Operations):
deliveries per channel and status, and the notifier's lag like a projection's."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)


class NotificationCollector:
    def collect(self):
        from api import wiring
        from consumers.lag import oldest_unapplied_age
        from consumers.notify.consumer import CONSUMER
        from domain.store import notifications as records

        deliveries = GaugeMetricFamily(
            "casetrack_notification_deliveries",
            "Notification deliveries by channel and status",
            labels=["channel", "status"],
        )
        lag = GaugeMetricFamily(
            "casetrack_notify_lag_events", "Stored events the notifications consumer has not read"
        )
        lag_seconds = GaugeMetricFamily(
            "casetrack_notify_lag_seconds",
            "Age of the oldest stored event the notifications consumer has not read",
        )
        try:
            app = wiring.application()
            for (channel, status), count in sorted(records.delivery_counts(app.store).items()):
                deliveries.add_metric([channel, status], count)
            progress = records.progress(app.store, CONSUMER)
            if progress:
                mark = min(progress.values())
                lag.add_metric([], max(0, app.max_position() - mark))
                lag_seconds.add_metric([], oldest_unapplied_age(app, mark, datetime.now(UTC)))
        except Exception:  # a scrape answers even when the store is away
            log.warning("notification metrics unavailable", exc_info=True)
        yield deliveries
        yield lag
        yield lag_seconds
