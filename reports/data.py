"""What the report site reads from the warehouse: aggregates only, small cells suppressed.

Every reader takes an open read-only connection and returns plain rows, or `None` when its
relation is not built yet (the site then says so instead of failing). No reader selects a
name or a birth date. Every count that describes children passes through `_suppressed_count`
inside SQL, so a count below the minimum cell size never leaves the database; published
`rpt_*` cells that are NULL, flagged, or below the minimum are shown as suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from msix.db import relation_exists

MOVES_MONTHLY = ("marts", "rpt_moves_monthly")
CREDIT_ACCRUAL = ("marts", "rpt_credit_accrual")
DQ_ISSUE = ("marts", "dq_issue")
DIM_STUDENT = ("marts", "dim_student")
XWALK = ("marts", "xwalk_student_identity")
LOAD_MANIFEST = ("raw", "load_manifest")

# Columns of rpt_credit_accrual named credits_* that are totals, not per-subject credits.
_CREDIT_TOTAL_COLUMNS = {"credits_granted_total", "credits_attempted_total", "credits_in_progress"}
CREDIT_BIN_WIDTH = 4


def qualified(relation: tuple[str, str]) -> str:
    return f"{relation[0]}.{relation[1]}"


def _suppressed_count(expr: str, min_cell: int) -> str:
    """SQL for a count that is NULL when below the minimum cell size."""
    return f"case when {expr} >= {int(min_cell)} then {expr} end"


def columns_of(con: duckdb.DuckDBPyConnection, relation: tuple[str, str]) -> list[str]:
    """Column names of a relation, in order."""
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        list(relation),
    ).fetchall()
    return [r[0] for r in rows]


def boolean_columns(con: duckdb.DuckDBPyConnection, relation: tuple[str, str]) -> list[str]:
    """Names of the BOOLEAN columns of a relation (suppression flags are among them)."""
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? and data_type = 'BOOLEAN' "
        "order by ordinal_position",
        list(relation),
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class MoveCell:
    """One published origin x destination x month cell; `moves` is None when suppressed."""

    from_state: str
    to_state: str
    month: str
    moves: int | None


def month_text(value: object) -> str:
    """`YYYY-MM` from a DATE, TIMESTAMP or text month."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    return str(value)[:7]


def moves_monthly(con: duckdb.DuckDBPyConnection, min_cell: int) -> list[MoveCell] | None:
    """The published monthly moves, with every suppressed or small cell as None."""
    if not relation_exists(con, *MOVES_MONTHLY):
        return None
    flags = [c for c in boolean_columns(con, MOVES_MONTHLY) if "suppress" in c.lower()]
    flag_sql = " or ".join(f"coalesce(cast({c} as boolean), false)" for c in flags) or "false"
    rows = con.execute(
        f"""
        select from_state, to_state, month,
               case when moves is null or moves < ? or ({flag_sql}) then null
                    else cast(moves as bigint) end as moves
        from {qualified(MOVES_MONTHLY)}
        order by month, from_state, to_state
        """,
        [int(min_cell)],
    ).fetchall()
    return [MoveCell(str(f), str(t), month_text(m), v) for f, t, m, v in rows]


@dataclass(frozen=True)
class CreditSummary:
    """Credit accrual of secondary students in aggregate (no overall total: see `quality`)."""

    bins: list[tuple[str, int | None]]  # credits granted range -> students (None: suppressed)
    by_state: list[
        tuple[str, int | None, float | None, float | None]
    ]  # state, students, avg granted, avg in progress
    by_subject: list[tuple[str, int | None, float | None]]  # subject column, students, credits


def credit_accrual(con: duckdb.DuckDBPyConnection, min_cell: int) -> CreditSummary | None:
    """Distribution of credits granted, averages by state and totals by subject, suppressed."""
    if not relation_exists(con, *CREDIT_ACCRUAL):
        return None
    rel = qualified(CREDIT_ACCRUAL)
    n = _suppressed_count("count(*)", min_cell)
    bins = con.execute(
        f"""
        with binned as (
            select least(floor(coalesce(credits_granted_total, 0) / {CREDIT_BIN_WIDTH}), 7) as bin
            from {rel}
        )
        select cast(bin as integer), {n} from binned group by bin order by bin
        """
    ).fetchall()
    by_state = con.execute(
        f"""
        with per_state as (
            select unnest(states) as state, credits_granted_total, credits_in_progress from {rel}
        )
        select state, {n},
               case when count(*) >= {int(min_cell)} then round(avg(credits_granted_total), 2) end,
               case when count(*) >= {int(min_cell)} then round(avg(credits_in_progress), 2) end
        from per_state group by state order by state
        """
    ).fetchall()
    subjects = [
        c
        for c in columns_of(con, CREDIT_ACCRUAL)
        if c.startswith("credits_") and c not in _CREDIT_TOTAL_COLUMNS
    ]
    by_subject = []
    for column in subjects:
        has = _suppressed_count(f"count(*) filter (where {column} > 0)", min_cell)
        students, credits = con.execute(
            f"select {has}, case when count(*) filter (where {column} > 0) >= {int(min_cell)} "
            f"then round(sum({column}), 2) end from {rel}"
        ).fetchone() or (None, None)
        by_subject.append((column, students, None if credits is None else float(credits)))
    return CreditSummary(
        bins=[(_bin_label(b), c) for b, c in bins],
        by_state=[(s, c, _f(a), _f(p)) for s, c, a, p in by_state],
        by_subject=by_subject,
    )


def _bin_label(index: int) -> str:
    low = index * CREDIT_BIN_WIDTH
    return f"{low}+" if index == 7 else f"{low}-{low + CREDIT_BIN_WIDTH}"


def _f(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class QualitySummary:
    """Open data-quality findings by state, rule and severity (suppressed like any count).

    One cross-classification and no margins: a total by state or by rule beside a suppressed
    cell would give the cell away by subtraction.
    """

    cells: list[tuple[str, str, str, int | None]]  # state, rule, severity, open findings
    closed: int | None


def quality(con: duckdb.DuckDBPyConnection, min_cell: int) -> QualitySummary | None:
    """Open findings per state, rule and severity; closed findings in all."""
    if not relation_exists(con, *DQ_ISSUE):
        return None
    rel = qualified(DQ_ISSUE)
    n = _suppressed_count("count(*)", min_cell)
    cells = con.execute(
        f"select coalesce(state, '-'), rule, severity, {n} from {rel} where status = 'open' "
        "group by all order by 1, 2, 3"
    ).fetchall()
    closed = con.execute(f"select {n} from {rel} where status <> 'open'").fetchone()
    return QualitySummary(cells, closed[0] if closed else None)


@dataclass(frozen=True)
class Overview:
    """Headline figures for the index page; None where a relation is missing or a count small."""

    national_ids: int | None
    states: int | None
    state_records: int | None
    files: dict[str, int]
    last_loaded_at: datetime | None


def overview(con: duckdb.DuckDBPyConnection, min_cell: int) -> Overview:
    """Students, states and files at a glance."""
    n = _suppressed_count("count(*)", min_cell)
    national_ids = states = records = None
    if relation_exists(con, *DIM_STUDENT):
        national_ids = _scalar(con, f"select {n} from {qualified(DIM_STUDENT)}")
    if relation_exists(con, *XWALK):
        records = _scalar(con, f"select {n} from {qualified(XWALK)}")
        states = _scalar(con, f"select count(distinct state) from {qualified(XWALK)}")
    files: dict[str, int] = {}
    last = None
    if relation_exists(con, *LOAD_MANIFEST):
        rel = qualified(LOAD_MANIFEST)
        files = dict(con.execute(f"select status, count(*) from {rel} group by 1").fetchall())
        last = _scalar(con, f"select max(loaded_at) from {rel}")
    return Overview(national_ids, states, records, files, last)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def credits_by_state_year(
    con: duckdb.DuckDBPyConnection,
    min_cell: int,
    state: str | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
) -> tuple[list[str], list[tuple[object, ...]]] | None:
    """Credits attempted and granted per state, school year and subject area, from fct_course.

    `first_year`/`last_year` filter on the school year's starting year. Groups with fewer
    students than the minimum cell size show NULL for every figure.
    """
    rel = ("marts", "fct_course")
    if not relation_exists(con, *rel):
        return None
    enough = f"count(distinct msix_id) >= {int(min_cell)}"
    columns = [
        "state",
        "school_year",
        "subject_area",
        "students",
        "courses",
        "credits_attempted",
        "credits_granted",
        "courses_in_progress",
    ]
    rows = con.execute(
        f"""
        with courses as (
            select *, try_cast(left(school_year, 4) as integer) as start_year
            from {qualified(rel)}
            where (? is null or state = ?)
              and (? is null or try_cast(left(school_year, 4) as integer) >= ?)
              and (? is null or try_cast(left(school_year, 4) as integer) <= ?)
        )
        select state, school_year, subject_area,
               case when {enough} then count(distinct msix_id) end,
               case when {enough} then count(*) end,
               case when {enough} then sum(credits_attempted) end,
               case when {enough} then sum(credits_granted) end,
               case when {enough} then count(*) filter (where cast(in_progress as varchar) in ('Y', 'true', '1'))
               end
        from courses
        group by all
        order by state, school_year, subject_area
        """,
        [state, state, first_year, first_year, last_year, last_year],
    ).fetchall()
    return columns, rows
