"""`msix run`: every pipeline step once, in order, in this process."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from msix import pipeline
from msix.dbt import DbtFailure
from msix.logs import get_logger
from msix.settings import Settings

log = get_logger("run")


def run_pipeline(
    settings: Settings,
    *,
    states: list[str] | None = None,
    full_refresh: bool = False,
    as_of: datetime | None = None,
) -> int:
    """Run all steps; print one line per step; return the process exit code (0 when all ran)."""
    as_of = as_of or datetime.now(UTC)
    run_id = as_of.strftime("manual__%Y%m%dT%H%M%S")
    steps = [
        lambda: pipeline.ingest(settings, settings.landing, states=states),
        lambda: pipeline.transform_staging(settings, run_id, full_refresh=full_refresh),
        lambda: pipeline.resolve_identities(settings, run_date=as_of),
        lambda: pipeline.transform_marts(settings, run_id, full_refresh=full_refresh),
        lambda: pipeline.check_quality(settings, data_interval_end=as_of),
        lambda: pipeline.send_alerts(settings, data_interval_end=as_of),
        lambda: pipeline.build_reports(settings),
    ]
    for name, step in zip(pipeline.STEPS, steps, strict=True):
        started = time.perf_counter()
        try:
            summary = step()
        except DbtFailure as exc:
            print(f"{name}: FAILED: {exc}")
            return 1
        except Exception as exc:  # the pipeline itself failed: say which step, exit non-zero
            log.exception("step %s failed", name)
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}")
            return 1
        print(f"{summary.line()} [{time.perf_counter() - started:.1f}s]")
    print(f"warehouse: {settings.warehouse}")
    return 0
