"""Evaluate the finding rules against the warehouse as of the run clock.

`prepare` sets the clock and writes the calendar relations (working days from the dbt
calendar `marts.dim_date` when it exists); `evaluate_rules` runs every rule
whose inputs exist and returns one frame of findings with a stable `issue_id`: a hash of the
rule, the state that must act, the child's state ID (or national ID) and the subject key,
so the same finding keeps its ID across runs while its detail may change. After an earlier
evaluation it evaluates the per-child rules only for the records in scope and keeps the
other children's findings (quality/scope.py); `incremental=False` evaluates everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from msix.db import relation_exists
from quality import records
from quality.calendar import term_end_frame, working_day_frame
from quality.registry import BASE_RELATIONS, RULE_COLUMNS, RULES, RULES_DIR, Rule

if TYPE_CHECKING:
    from quality.scope import Scope

FINDING_COLUMNS = (
    "issue_id",
    "rule",
    "severity",
    "state",
    "district_id",
    "msix_id",
    "state_student_id",
    "subject_key",
    "detail",
)


@dataclass
class Evaluation:
    """The findings of one evaluation and which rules ran."""

    findings: pd.DataFrame
    evaluated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    # an incremental evaluation's scope (None: every record was evaluated), and why not
    scope: Scope | None = None
    mode: str = "full"


def clock(as_of: datetime | None) -> datetime:
    """The run clock as an aware UTC datetime (now only when the caller gave none)."""
    if as_of is None:
        return datetime.now(UTC)
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)


def naive_utc(moment: datetime) -> datetime:
    """The moment as a naive UTC timestamp, as the warehouse stores times (naive: taken as UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def clock_day(as_of: datetime) -> date:
    return clock(as_of).date()


def _missing(con: duckdb.DuckDBPyConnection, relations: tuple[str, ...]) -> list[str]:
    return [r for r in relations if not relation_exists(con, *r.split(".", 1))]


def prepare(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[str]:
    """Set the clock variables, write the calendar relations, create the `cur_*` relations
    from the raw history (nothing kept between runs).

    Returns the base relations that are missing (then no rule can run).
    """
    missing = set_clock(con, as_of)
    if not missing:
        records.computed_views(con)
        create_current(con, scoped=False)
    return missing


def set_clock(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[str]:
    """The clock variables and calendar relations; the base relations that are missing."""
    moment = clock(as_of)
    con.execute(f"set variable as_of = date '{moment.date().isoformat()}'")
    stamp = naive_utc(moment).isoformat(sep=" ")
    con.execute(f"set variable as_of_ts = timestamp '{stamp}'")
    con.execute("create schema if not exists quality")
    write_working_days(con)
    con.register("term_ends_frame", term_end_frame())
    con.execute("create or replace table quality.term_end as select * from term_ends_frame")
    con.unregister("term_ends_frame")
    return _missing(con, BASE_RELATIONS)


def create_current(con: duckdb.DuckDBPyConnection, scoped: bool) -> None:
    """The `raw_*` views (whole or scoped) and the `cur_*` relations of `rules/_current.sql`
    (which read the `latest_*` views of quality/records.py)."""
    from quality.scope import create_raw_views

    create_raw_views(con, scoped)
    con.execute((RULES_DIR / "_current.sql").read_text(encoding="utf-8"))


def write_working_days(con: duckdb.DuckDBPyConnection) -> str:
    """Write `quality.working_day` (`day`, `is_working_day`, `wd_index`); return its source.

    The warehouse calendar `marts.dim_date` (dbt) is the source of truth when it exists; the
    same calendar computed in Python (`quality.calendar`) serves a warehouse without marts,
    such as the unit tests' (a test checks that both agree).
    """
    if relation_exists(con, "marts", "dim_date"):
        con.execute(
            """
            create or replace table quality.working_day as
            select date_day as day, is_working_day, working_day_index as wd_index
            from marts.dim_date
            """
        )
        return "marts.dim_date"
    con.register("working_days_frame", working_day_frame())
    try:
        con.execute(
            "create or replace table quality.working_day as select * from working_days_frame"
        )
    finally:
        con.unregister("working_days_frame")
    return "quality.calendar"


def run_rule(con: duckdb.DuckDBPyConnection, rule: Rule) -> pd.DataFrame:
    """One rule's rows (RULE_COLUMNS), keyed and with the rule's name and severity."""
    frame = con.execute(
        f"""
        with found as ({rule.sql()})
        select
            left(sha256(concat_ws('|', '{rule.name}', state,
                coalesce(state_student_id, msix_id, ''), subject_key)), 20) as issue_id,
            '{rule.name}' as rule,
            '{rule.severity}' as severity,
            {", ".join(RULE_COLUMNS)}
        from found
        qualify row_number() over (partition by issue_id order by detail) = 1
        """
    ).df()
    return frame


def _with_district(con: duckdb.DuckDBPyConnection, findings: pd.DataFrame) -> pd.DataFrame:
    """Add the district of the child's latest enrollment in the acting state (for routing)."""
    con.register("findings_frame", findings)
    try:
        return con.execute(
            """
            with found_students as (
                select distinct state, state_student_id from findings_frame
            ),

            -- the latest enrollment of the children with a finding only
            districts as (
                select e.state, e.state_student_id, e.district_id
                from cur_enrollments as e
                semi join found_students as f
                    on e.state = f.state and e.state_student_id = f.state_student_id
                qualify row_number() over (
                    partition by state, state_student_id order by enrollment_date desc, school_id
                ) = 1
            )
            select f.issue_id, f.rule, f.severity, f.state, d.district_id, f.msix_id,
                f.state_student_id, f.subject_key, f.detail
            from findings_frame as f
            left join districts as d
                on f.state = d.state and f.state_student_id = d.state_student_id
            order by f.rule, f.state, f.issue_id
            """
        ).df()
    finally:
        con.unregister("findings_frame")


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    rules: tuple[Rule, ...] = RULES,
    incremental: bool = True,
) -> Evaluation:
    """Run every rule whose inputs exist; findings in FINDING_COLUMNS order.

    With `incremental` and every rule, after an earlier evaluation (quality.scope.plan): the
    per-child rules run on the records in scope and the previous findings of the other
    children are kept, the same findings as evaluating everything.
    """
    from quality import scope as scoping

    missing_base = set_clock(con, as_of)
    evaluation = Evaluation(pd.DataFrame(columns=list(FINDING_COLUMNS)))
    if missing_base:
        evaluation.skipped = {r.name: "missing " + ", ".join(missing_base) for r in rules}
        return evaluation
    if incremental and rules == RULES:
        evaluation.scope, evaluation.mode = scoping.plan(con, clock(as_of))
    else:
        scoping.forget(con)
        evaluation.mode = "full evaluation asked for"
    scoped = evaluation.scope is not None
    if evaluation.scope is not None:  # merge the newly visible rows into the kept ones
        records.update(con, evaluation.scope.previous)
    else:
        records.rebuild(con)
    records.kept_views(con, scoped)
    create_current(con, scoped)
    scoping.update_current_students(con, scoped)
    frames = []
    for rule in rules:
        missing = _missing(con, rule.needs)
        if missing:
            evaluation.skipped[rule.name] = "missing " + ", ".join(missing)
            continue
        frames.append(run_rule(con, rule))
        evaluation.evaluated.append(rule.name)
    frames = [f for f in frames if not f.empty]
    if frames:
        evaluation.findings = _with_district(con, pd.concat(frames, ignore_index=True))
    if scoped:
        kept = con.execute(scoping.kept_findings_sql(", ".join(FINDING_COLUMNS))).df()
        evaluation.findings = (
            pd.concat(
                [f for f in (evaluation.findings, kept) if not f.empty], ignore_index=True
            ).sort_values(["rule", "state", "issue_id"], ignore_index=True)
            if not kept.empty
            else evaluation.findings
        )
    return evaluation
