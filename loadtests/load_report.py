"""Print a locust CSV stats file as one line per endpoint: requests/s, failures, p50/p95/p99.

.venv/bin/python -m loadtests.load_report loadtests/results/load_stats.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def report(path: Path) -> str:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    lines = [
        f"{'endpoint':<44} {'req/s':>7} {'requests':>9} {'failures':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    ]
    for row in rows:
        name = f"{row['Type']} {row['Name']}".strip() if row["Name"] != "Aggregated" else "ALL"
        lines.append(
            f"{name[:44]:<44} {float(row['Requests/s']):>7.1f} {row['Request Count']:>9} "
            f"{row['Failure Count']:>9} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "loadtests/results/load_stats.csv")
    if not path.exists():
        print(f"no stats at {path}: did locust run?", file=sys.stderr)
        return 1
    print(report(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
