"""`python -m quality.timing WAREHOUSE`: where the quality step spends its time, on a copy.

Copies the warehouse to a temporary folder (the step writes), then times each phase of
`run_quality` in order: importing Great Expectations, reading the suite batches, the finding
rules with the history merge, and validation with the Data Docs build. The baseline, measured
in the same run, is DuckDB profiling (SUMMARIZE) every relation the suites check; the ratio is
step time / baseline time. Prints counts and seconds only, no row values.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from msix.db import relation_exists, session


def _timed(phases: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    phases[name] = time.perf_counter() - start
    return result


def time_step(warehouse: Path, scratch: Path) -> tuple[dict[str, float], float]:
    """Seconds per phase of the quality step on a copy of `warehouse`, and the baseline's."""
    from quality.run import publish_findings
    from quality.suites import load_suites, read_batches, validate

    copy = scratch / "msix.duckdb"
    shutil.copyfile(warehouse, copy)
    specs = load_suites()
    phases: dict[str, float] = {}
    _timed(
        phases, "import great_expectations", lambda: importlib.import_module("great_expectations")
    )
    with session(copy, read_only=True) as reader:
        batches = _timed(phases, "read batches", lambda: read_batches(reader, specs))
    with session(copy) as con:
        _timed(phases, "rules + history", lambda: publish_findings(con, datetime.now(UTC)))
    _timed(phases, "validate + Data Docs", lambda: validate(batches, scratch / "data_docs"))
    for batch in batches:
        print(f"  batch {batch.name}: {len(batch.frame):,} of {batch.rows:,} rows")
    start = time.perf_counter()
    with session(copy, read_only=True) as reader:
        for relation in sorted({s.relation for s in specs}):
            if relation_exists(reader, *relation.split(".", 1)):
                reader.execute(f"summarize {relation}").fetchall()
    return phases, time.perf_counter() - start


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m quality.timing WAREHOUSE", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="quality_timing_") as scratch:
        phases, baseline = time_step(Path(argv[0]), Path(scratch))
    for name, seconds in phases.items():
        print(f"{name:28s} {seconds:7.2f} s")
    total = sum(phases.values())
    print(f"{'quality step':28s} {total:7.2f} s")
    print(f"{'baseline (SUMMARIZE)':28s} {baseline:7.2f} s   ratio {total / baseline:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
