"""`python manage.py rewrap_keys`: re-wrap every data key under the active master key.

The second step of a master-key rotation (docs/design.md, "Personal data"): put the new key
first in `CASETRACK_MASTER_KEYS`, keep the old one listed, restart, run this, then drop the old
key. Safe to run again: keys already under the active master key are left alone.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from api.wiring import make_application


class Command(BaseCommand):
    help = "Re-wrap every data key under the active master key (after a rotation)."

    def handle(self, *args, **opts):
        app = make_application()
        try:
            count = app.keyring.rewrap_all()
        finally:
            app.close()
        self.stdout.write(f"re-wrapped {count} data keys under {app.keyring.master.active_id}")
