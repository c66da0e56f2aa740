"""What a task needs to know about its run, read from the Airflow context at run time.

The run's clock is its data interval, never the wall clock: a scheduled ingest run uses the end
of its data interval, and a run started by an Asset event uses the clock of the run that
produced the event (carried in the event's `extra`). A backfill of last month therefore gives
the answers it would have given then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

CLOCK_KEY = "as_of"
FULL_REFRESH_KEY = "full_refresh"
RETRIED = "retried"  # in an ingest summary: the task's try is a retry (see `loaded_anything`)


def _triggering_extras(context: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    events = context.get("triggering_asset_events") or {}
    extras: list[Mapping[str, Any]] = []
    for batch in events.values():
        for event in batch:
            extras.append(getattr(event, "extra", None) or {})
    return extras


def run_clock(context: Mapping[str, Any]) -> datetime:
    """The time this run's logic is keyed on.

    Order: the latest `as_of` of the Asset events that triggered the run, else the end of the
    data interval, else the logical date, else the time the run was due (`run_after`).
    """
    stamps = [
        datetime.fromisoformat(str(extra[CLOCK_KEY]))
        for extra in _triggering_extras(context)
        if extra.get(CLOCK_KEY)
    ]
    if stamps:
        return max(stamps)
    for key in ("data_interval_end", "logical_date"):
        value = context.get(key)
        if value is not None:
            return value
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if run_after is None:
        raise ValueError("the run has no data interval, logical date or run_after to key on")
    return run_after


def full_refresh(context: Mapping[str, Any]) -> bool:
    """True when the run's `full_refresh` param is set or a triggering event asked for one."""
    params = context.get("params") or {}
    if bool(params.get(FULL_REFRESH_KEY, False)):
        return True
    return any(bool(extra.get(FULL_REFRESH_KEY)) for extra in _triggering_extras(context))


def wanted_states(params: Mapping[str, Any]) -> list[str] | None:
    """The `states` param as upper-case USPS codes; None (all states) when empty."""
    raw = params.get("states") or []
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    states = sorted({str(s).strip().upper() for s in raw if str(s).strip()})
    return states or None


def landing_states(landing: Path, wanted: Sequence[str] | None = None) -> list[str]:
    """States with a folder holding at least one file under the landing folder, sorted.

    `wanted` narrows the list to a subset of states (the DAG's `states` param).
    """
    if not landing.is_dir():
        return []
    found = sorted(
        entry.name.upper()
        for entry in landing.iterdir()
        if entry.is_dir() and any(child.is_file() for child in entry.iterdir())
    )
    if wanted is not None:
        keep = {s.upper() for s in wanted}
        found = [s for s in found if s in keep]
    return found


def loaded_anything(summaries: Iterable[Mapping[str, Any]]) -> bool:
    """True when any ingest summary reports loaded rows or files.

    Summaries whose counts have no `*loaded*` key cannot say, and count as loaded, so a new
    loader report shape never silently stops the downstream DAGs; so does the summary of a
    retried task (`RETRIED`): its failed try may have committed files the retry finds unchanged.
    """
    for summary in summaries:
        if summary.get(RETRIED):
            return True
        counts = summary.get("counts") or {}
        loaded = [int(v) for k, v in counts.items() if "loaded" in k]
        if not loaded or any(v > 0 for v in loaded):
            return True
    return False


def event_extra(clock: datetime, refresh: bool) -> dict[str, Any]:
    """The `extra` of an Asset event this run emits: its clock and whether it was a full refresh."""
    return {CLOCK_KEY: clock.isoformat(), FULL_REFRESH_KEY: refresh}
