"""The latest rows of every record, kept between runs (`quality.latest_*`).

The `cur_*` relations (rules/_current.sql) start from the latest visible rows of each record
(`state`, `state_student_id`) of the raw tables: for students the latest row (by stamp, then
line), for moves, enrollments and courses every row of the latest stamp. A row is visible when
it is stamped at or before the run clock. Finding those rows reads the whole raw history (24 M
course rows at 1 M children), so an evaluation keeps them in `quality.latest_students`,
`latest_moves`, `latest_enrollments` and `latest_courses` (with the stamp; `quality.latest_run`
holds the clock they were built for), and the next incremental run (quality/scope.py) only
merges the rows that became visible since:

- the raw tables only grow, so the rows visible now are those visible at the previous clock
  (from a load that run saw, stamped at or before its clock) and the newly visible ones (from
  another load, or stamped after the previous clock, and at or before this one);
- the latest rows of a record over both are the latest rows over its kept latest rows and its
  newly visible rows: a record without newly visible rows keeps its rows, the others are
  replaced by that merge (the same rows as a window over the whole history).

The kept rows are those of the previous evaluation (its loads and clock), checked by
quality.scope.plan with the rest of the rule state: when they are missing or were built for
another clock, the run evaluates everything and builds them again. The crosswalk and the
retractions (action D) apply when the `cur_*` relations are read from them, so they are not
part of the kept rows.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from loaders.checks import lit
from msix.db import relation_exists

# The columns the `cur_*` relations read from each raw table (the key and stamp first).
KEY = ("state", "state_student_id", "stamp")
COLUMNS = {
    "students": (
        *KEY, "line_no", "action", "msix_id", "first_name", "middle_name", "last_name_1",
        "last_name_2", "sex", "birth_date", "multiple_birth",
    ),
    "moves": (*KEY, "qad", "lqm_date", "move_to_state", "eligibility_expiration_date"),
    "enrollments": (
        *KEY, "school_id", "district_id", "school_name", "enrollment_type", "enrollment_date",
        "withdrawal_date", "grade_level", "lep", "iep", "pfs",
    ),
    "courses": (
        *KEY, "school_id", "school_year", "term_type", "course_title", "course_section",
        "credits_attempted", "credits_granted", "clock_hours", "in_progress", "grade_to_date",
    ),
}  # fmt: skip
# Which of a record's rows are its latest: one student row, every child row of the latest stamp.
LATEST = {
    "students": "row_number() over (partition by state, state_student_id "
    "order by stamp desc, line_no desc) = 1",
    "moves": "stamp = max(stamp) over (partition by state, state_student_id)",
}
LATEST["enrollments"] = LATEST["courses"] = LATEST["moves"]
RUN_TABLE = "quality.latest_run"
# rows of loads the previous evaluation saw (quality/scope.py keeps their IDs)
SEEN = "load_id in (select load_id from quality.rule_state_load)"


def latest_sql(table: str, where: str = "true") -> str:
    """The latest visible rows of every record of `raw.<table>` (with `where` on raw rows)."""
    return f"""
        select {", ".join(COLUMNS[table])} from raw.{table}
        where stamp <= getvariable('as_of_ts') and ({where})
        qualify {LATEST[table]}
    """


def computed_views(con: duckdb.DuckDBPyConnection) -> None:
    """Temp views `latest_<table>` computing the rows from the raw history (nothing kept)."""
    for table in COLUMNS:
        con.execute(f"create or replace temp view latest_{table} as {latest_sql(table)}")


def kept_views(con: duckdb.DuckDBPyConnection, scoped: bool) -> None:
    """Temp views `latest_<table>` on the kept rows: all, or the records of `scope_keys`.

    Scoped, only the students' view is restricted: `cur_*` join the child rows with
    `cur_students`, which holds records in scope only (a second semi-join read the 10 M kept
    course rows once more).
    """
    for table in COLUMNS:
        scope = (
            " as l semi join scope_keys as k"
            " on l.state = k.state and l.state_student_id = k.state_student_id"
            if scoped and table == "students"
            else ""
        )
        con.execute(
            f"create or replace temp view latest_{table} as select * from quality.latest_{table}"
            + scope
        )


def _stamp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create or replace table {RUN_TABLE} as select getvariable('as_of_ts') as as_of")


def rebuild(con: duckdb.DuckDBPyConnection, seen_only: bool = False) -> None:
    """Build the kept rows from the raw history at the clock (`seen_only`: of the loads in
    `quality.rule_state_load`, the rows the previous evaluation saw at its clock)."""
    con.execute(f"drop table if exists {RUN_TABLE}")
    for table in COLUMNS:
        con.execute(
            f"create or replace table quality.latest_{table} as "
            + latest_sql(table, SEEN if seen_only else "true")
        )
    _stamp(con)


def built_for(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The clock the kept rows were built for, None when they are missing."""
    tables = [RUN_TABLE.split(".")[1], *(f"latest_{t}" for t in COLUMNS)]
    if not all(relation_exists(con, "quality", t) for t in tables):
        return None
    row = con.execute(f"select as_of from {RUN_TABLE}").fetchone()
    return row[0] if row else None


def _new_loads(con: duckdb.DuckDBPyConnection) -> str:
    """The loads of the manifest the previous evaluation did not see, as an SQL list."""
    rows = con.execute(
        "select load_id from raw.load_manifest "
        f"where load_id is not null and not ({SEEN}) order by load_id"
    ).fetchall()
    return ", ".join(lit(str(r[0])) for r in rows) or "null"


def update(con: duckdb.DuckDBPyConnection, previous: datetime) -> None:
    """Merge the rows visible since the previous evaluation (its loads, clock `previous`) into
    the kept rows.

    Needs `quality.rule_state_load` of that evaluation (raw rows come with their load's
    manifest row) and a clock at or after `previous`. The newly visible rows are those stamped
    after `previous` and those of the loads it did not see (two filters on one column each,
    which the scans skip row groups by). A record's newly visible latest rows replace its kept
    rows when they are later, join them when as late (child rows of the same stamp) and are
    dropped when earlier.
    """
    loads = _new_loads(con)
    con.execute("begin transaction")  # one commit: each statement's own took as long as its work
    con.execute(f"drop table if exists {RUN_TABLE}")
    on = "l.state = k.state and l.state_student_id is not distinct from k.state_student_id"
    for table, columns in COLUMNS.items():
        order = "(stamp, line_no)" if table == "students" else "stamp"
        ties = "false" if table == "students" else "n.latest = o.latest"
        con.execute(
            f"""
            create or replace temp table new_rows as
            select * from (
                select {", ".join(columns)} from raw.{table}
                where stamp > $previous and stamp <= getvariable('as_of_ts')
                union all
                select {", ".join(columns)} from raw.{table}
                where load_id in ({loads}) and stamp <= $previous
            )
            qualify {LATEST[table]}
            """,
            {"previous": previous},
        )
        con.execute(
            f"""
            create or replace temp table new_keys as
            with new as (
                select state, state_student_id, max({order}) as latest
                from new_rows group by all
            ),

            old as (
                select l.state, l.state_student_id, max({order}) as latest
                from quality.latest_{table} as l semi join new as k on {on}
                group by all
            )

            select n.state, n.state_student_id, o.latest is null or n.latest > o.latest as later
            from new as n
            left join old as o
                on n.state = o.state and n.state_student_id is not distinct from o.state_student_id
            where o.latest is null or n.latest > o.latest or {ties}
            """
        )
        con.execute(
            f"delete from quality.latest_{table} as l using new_keys as k where k.later and {on}"
        )
        con.execute(
            f"insert into quality.latest_{table} "
            f"select l.* from new_rows as l semi join new_keys as k on {on}"
        )
    con.execute("drop table new_rows; drop table new_keys")
    _stamp(con)
    con.execute("commit")
