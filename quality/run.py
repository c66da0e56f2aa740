"""`run_quality`: the pipeline's check_quality step.

1. Read the suites' frames from the warehouse as it was when the step began (`marts_dq_issue`
   sees the previous run's findings).
2. Evaluate every finding rule as of the run clock, merge the findings into
   `quality.issue_history` and `marts.dq_issue`, rewrite `marts.dq_state_summary`.
3. Validate the frames with Great Expectations (Data Docs go to `<artifacts>/data_docs`) and
   keep the outcomes in `quality.expectation_result`.

One writer session does it all. Steps 1 and 3 run in a background thread while the main
thread does step 2: reading the frames is DuckDB work (1-2 s at 1 M children), Great
Expectations (its import takes seconds, the validation and Data Docs as long again) is Python,
and step 2 spends its time inside DuckDB (it releases the GIL). The frames are read through a
cursor of the writer session in a transaction begun before step 2 writes (`snapshot_reader`):
DuckDB's snapshot isolation shows it the warehouse of step 1 whatever step 2 commits meanwhile,
without opening the file a second time. The outcomes are kept once both threads are done.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from alerts.notices import store_notices
from msix.db import session
from msix.logs import get_logger
from msix.settings import Settings
from quality.findings import clock, evaluate_rules, naive_utc
from quality.issues import update_history
from quality.scope import per_child_rule_names, save_state
from quality.suites import (
    Batch,
    ExpectationOutcome,
    SuiteSpec,
    load_suites,
    outcomes_frame,
    read_batches,
    validate,
)
from quality.summary import write_state_summary

log = get_logger("quality")


@dataclass
class QualityReport:
    """Counts of one quality run, and notes (rule and suite names only)."""

    suites: int = 0
    expectations_failed: int = 0
    rules_evaluated: int = 0
    opened: int = 0
    changed: int = 0
    resolved: int = 0
    open_total: int = 0
    scope_records: int = -1  # records evaluated again by an incremental run; -1: every record
    skipped: dict[str, str] = field(default_factory=dict)
    failed_suites: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "suites": self.suites,
            "expectations_failed": self.expectations_failed,
            "rules": self.rules_evaluated,
            "opened": self.opened,
            "changed": self.changed,
            "resolved": self.resolved,
            "open": self.open_total,
            "scope_records": self.scope_records,
        }

    def notes(self) -> list[str]:
        notes = [f"rule {name} skipped: {why}" for name, why in self.skipped.items()]
        if self.failed_suites:
            notes.append("suites with failed expectations: " + ", ".join(self.failed_suites))
        return notes


def run_quality(settings: Settings, as_of: datetime | None = None) -> QualityReport:
    """Validate, evaluate the rules as of `as_of` (the run's data interval end) and publish."""
    moment = clock(as_of)
    report = QualityReport()
    specs = load_suites()
    with session(settings.warehouse) as con:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="validate") as pool:
            # the suites read and validate the warehouse of now meanwhile (module docstring)
            validating = pool.submit(
                _read_and_validate, snapshot_reader(con), specs, settings.artifacts_dir
            )
            # MSIX_QUALITY_FULL=1: evaluate every record (the incremental run gives the same rows)
            publish_findings(con, moment, report, os.environ.get("MSIX_QUALITY_FULL", "") != "1")
            batches, outcomes = validating.result()
        report.suites = len({b.spec.name for b in batches})
        report.expectations_failed = sum(not o.success for o in outcomes)
        report.failed_suites = sorted({o.suite for o in outcomes if not o.success})
        _keep_outcomes(con, outcomes_frame(outcomes), moment)
    log.info("quality: %s", report.counts())
    return report


def publish_findings(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    report: QualityReport | None = None,
    incremental: bool = True,
) -> QualityReport:
    """Evaluate the rules, merge into the history and `marts.dq_issue`, write the summary.

    Incremental after an earlier run (quality/scope.py), the same rows as `incremental=False`.
    """
    report = report or QualityReport()
    evaluation = evaluate_rules(con, as_of, incremental=incremental)
    report.rules_evaluated = len(evaluation.evaluated)
    report.skipped = evaluation.skipped
    if evaluation.scope is not None:
        report.scope_records = evaluation.scope.records
    log.info("quality: %s", evaluation.mode)
    counts = update_history(con, evaluation.findings, evaluation.evaluated, as_of)
    report.opened, report.changed = counts.opened, counts.changed
    report.resolved, report.open_total = counts.resolved, counts.open_total
    if evaluation.evaluated:
        write_state_summary(con, as_of)
        # while the cur_* relations exist, for send_alerts
        store_notices(con, as_of, scoped=evaluation.scope is not None)
        if not set(per_child_rule_names()) - set(evaluation.evaluated):
            # last: the next run may then be incremental
            save_state(con, as_of, scoped=evaluation.scope is not None)
    return report


def snapshot_reader(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of `con` in a transaction that sees the warehouse as it is now, whatever `con`
    commits afterwards (DuckDB's snapshot isolation); the caller ends it and closes it.

    DuckDB takes a transaction's snapshot at its first read of the database, so the cursor
    reads the catalog once here, before `con` may write.
    """
    reader = con.cursor()
    reader.execute("begin transaction")
    reader.execute("select count(*) from information_schema.tables").fetchall()
    return reader


def _read_and_validate(
    reader: duckdb.DuckDBPyConnection, specs: list[SuiteSpec], artifacts: Path
) -> tuple[list[Batch], list[ExpectationOutcome]]:
    """Read the suites' frames in the reader's snapshot, close it, then validate the frames."""
    try:
        batches = read_batches(reader, specs)
    finally:
        reader.execute("rollback")  # read only: ends the snapshot, so DuckDB may checkpoint
        reader.close()
    return batches, validate(batches, artifacts / "data_docs")


def _keep_outcomes(con: duckdb.DuckDBPyConnection, frame: object, moment: datetime) -> None:
    """Replace this run's rows of `quality.expectation_result`."""
    run_at = naive_utc(moment)
    con.execute(
        """
        create table if not exists quality.expectation_result (
            run_at timestamp, suite varchar, expectation varchar, "column" varchar,
            success boolean, unexpected_percent double)
        """
    )
    con.register("outcomes", frame)
    try:
        con.execute("begin transaction")
        con.execute("delete from quality.expectation_result where run_at = ?", [run_at])
        con.execute("insert into quality.expectation_result select ?, * from outcomes", [run_at])
        con.execute("commit")
    finally:
        con.unregister("outcomes")
