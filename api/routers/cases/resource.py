"""The one router of the cases resource: `commands.py` and `queries.py` register on it."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cases"])
