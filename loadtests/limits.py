"""Rate limits raised for load runs and test suites.

The API limits every caller by default (docs/api.md, "Rate limits"): a harness that sends
thousands of requests from one address or one token would mostly measure 429 answers. The
servers a harness starts get these instead; the flood benchmark sets its own.
"""

from __future__ import annotations

LIMITS = ("VERIFY", "ANONYMOUS", "SEARCH", "COMMANDS", "READS")
# A one-second moving window keeps at most this many entries per caller in Redis.
RAISED = {f"CASETRACK_RATE_LIMIT_{name}": "100000/second" for name in LIMITS}
