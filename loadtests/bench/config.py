"""Where the bench writes, which servers it uses by default, and the actors it commands as."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "loadtests" / "results"
DEFAULTS = {
    "kafka": os.environ.get("CASETRACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
    "es": os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200"),
    "postgres": os.environ.get(
        "CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
    ),
}
ADMIN = {"role": "admin", "subject": "bench-admin"}
GATEWAY = {"role": "gateway", "subject": "bench-gateway"}
