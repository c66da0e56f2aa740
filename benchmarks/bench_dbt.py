"""dbt benchmark: a full build of the warehouse models on synthetic national-scale raw tables,
and a weekly delta through the incremental facts, each against a DuckDB baseline in the same run.

    .venv/bin/python -m benchmarks.bench_dbt [--students 1000000] [--delta-share 0.02]

Writes raw.* straight with DuckDB SQL (students in 52 states; per student 1 qualifying move,
5 enrollments, 10 course rows, 1 assessment) and identity.* (two state records per child, so
interstate moves exist; the two records' enrollments alternate without overlapping, 30 days
each with 5 days between, as a child's real moves do), then times

1. the full build, as the pipeline runs it (`msix.pipeline.staging_build_args`, then
   `marts_build_args`): models, snapshots and data tests (unit tests run in `make test`);
2. the baseline: one `create table as select *` copy of every raw table (the cost of reading and
   writing the data once);
3. a weekly delta: a new submission for --delta-share of the students (new stamp, their
   enrollments and courses replaced), then both dbt phases again (the current-record models,
   moves, facts, dim_student and credit accrual are incremental and the snapshots compare only
   the records rebuilt; the crosswalk, eligibility, dim_school and the monthly report rebuild,
   and every test runs on whole relations).

Prints seconds and ratios, and with --top N seconds per node group (summed over dbt's two
threads, so more than the wall time) and the N slowest nodes. Targets (issue 5): full build <= 5 minutes on 2 cores at 1M students,
delta <= 30 seconds.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from identity.store import ensure_schema as ensure_identity_schema
from loaders.contract import STATES
from loaders.schema import ensure_schema as ensure_raw_schema
from msix.dbt import run_dbt
from msix.pipeline import marts_build_args, staging_build_args

STATE_LIST = "[" + ", ".join(f"'{s}'" for s in STATES) + "]"
RAW_TABLES = ("students", "moves", "enrollments", "courses", "assessments")


def _lineage(stamp_sql: str, line_sql: str = "s") -> str:
    """Lineage columns and state_student_id for a row of student `s` (one file per state and day)."""
    state = f"{STATE_LIST}[1 + (s % {len(STATES)})]"
    return f"""
        'L' || {state} || strftime({stamp_sql}, '%Y%m%d') as load_id,
        {state} || '_' || strftime({stamp_sql}, '%Y%m%dT%H%M%S') || '.csv' as file_name,
        cast({line_sql} % 1000000 as integer) + 2 as line_no,
        {state} as state,
        {stamp_sql} as stamp,
        {state} || lpad(cast(s as varchar), 9, '0') as state_student_id"""


def write_raw(
    con: duckdb.DuckDBPyConnection, students: int, first: int = 0, stamp: str | None = None
) -> None:
    """Append one submission's rows for students [first, first + students) in bulk."""
    stamp_sql = (
        f"timestamp '{stamp}'"
        if stamp
        else "timestamp '2026-01-01 08:00:00' + to_days(cast(s % 28 as integer))"
    )
    rows = f"from range({first}, {first + students}) as t(s)"
    con.execute(f"""
        insert into raw.students by name
        select {_lineage(stamp_sql)}, 'U' as action,
               ['Maria','Jose','Ana','Luis','Rosa','Juan'][1 + s % 6] as first_name,
               ['Hernandez','Lopez','Garcia','Martinez'][1 + s % 4] as last_name_1,
               ['F','M'][1 + s % 2] as sex,
               date '2008-01-01' + cast((s // 2) % 3000 as integer) as birth_date, 'N' as multiple_birth
        {rows}""")  # fmt: skip
    con.execute(f"""
        insert into raw.moves by name
        select {_lineage(stamp_sql)},
               date '2025-08-01' + cast((s // 2) % 100 as integer) + cast(s % 2 as integer) * 60 as qad,
               {STATE_LIST}[1 + ((s + 51) % {len(STATES)})] as move_from_state
        {rows}""")  # fmt: skip
    for table, per, extra in (
        ("enrollments", 5, """
               lpad(cast(480000000000 + (s % 50000) as varchar), 12, '0') as school_id,
               lpad(cast(4800000 + (s % 900) + k as varchar), 7, '0') as district_id,
               'School' as school_name, '01' as enrollment_type,
               date '2024-08-15' + cast(k * 70 + (s % 2) * 35 as integer) as enrollment_date,
               date '2024-08-15' + cast(k * 70 + (s % 2) * 35 + 30 as integer) as withdrawal_date,
               '10' as grade_level"""),
        ("courses", 10, """
               lpad(cast(480000000000 + (s % 50000) as varchar), 12, '0') as school_id,
               '2025-2026' as school_year, ['SEM1', 'SEM2'][1 + k % 2] as term_type,
               'Course ' || cast(k as varchar) as course_title,
               lpad(cast(1 + k % 5 as varchar), 2, '0') as subject_area,
               cast(0.5 as decimal(4, 2)) as credits_attempted,
               cast(0.25 * (k % 3) as decimal(4, 2)) as credits_granted,
               case when k = 9 then 'Y' else 'N' end as in_progress"""),
        ("assessments", 1, """
               'State test' as assessment_title, 'mathematics' as content_area,
               '2025-05' as administration_date, '300' as score"""),
    ):  # fmt: skip
        con.execute(f"""
            insert into raw.{table} by name
            select {_lineage(stamp_sql, '(s * 16 + k)')}, {extra}
            {rows} cross join range({per}) as r(k)""")  # fmt: skip


def write_identity(con: duckdb.DuckDBPyConnection, students: int) -> None:
    """Two state records per child (records 2c and 2c+1 sit in neighbouring states)."""
    state = f"{STATE_LIST}[1 + (s % {len(STATES)})]"
    con.execute(f"""
        insert into identity.xwalk by name
        select {state} as state, {state} || lpad(cast(s as varchar), 9, '0') as state_student_id,
               lpad(cast(100000000000 + s // 2 as varchar), 12, '0') as msix_id,
               'auto' as match_method, timestamp '2026-02-01' as assigned_at
        from range({students}) as t(s)""")  # fmt: skip
    con.execute(f"""
        insert into identity.national_ids by name
        select lpad(cast(100000000000 + c as varchar), 12, '0') as msix_id, 'active' as status,
               timestamp '2026-02-01' as issued_at
        from range({(students + 1) // 2}) as t(c)""")  # fmt: skip


MART_PREFIXES = ("fct_", "dim_", "rpt_", "xwalk_", "near_match_")


def node_group(name: str) -> str:
    """The group a dbt node's time is reported under (by the project's naming conventions)."""
    if name.startswith("stg_"):
        return "staging"
    if name.startswith("int_"):
        return "intermediate"
    if name.startswith("snp_"):
        return "snapshots"
    if name.startswith(MART_PREFIXES):
        return "marts"
    return "tests"


def build(warehouse: Path, target: Path, top: int = 0) -> float:
    """Both dbt phases as the pipeline runs them; seconds. Prints seconds per node group and
    the `top` slowest nodes."""
    started = time.perf_counter()
    results = run_dbt(staging_build_args(), warehouse, target_path=target)
    results += run_dbt(marts_build_args(), warehouse, target_path=target)
    elapsed = time.perf_counter() - started
    groups: dict[str, float] = {}
    for result in results:
        group = node_group(result.name)
        groups[group] = groups.get(group, 0.0) + result.seconds
    print("  by group:", ", ".join(f"{g} {s:.1f}s" for g, s in sorted(groups.items())))
    for result in sorted(results, key=lambda r: r.seconds, reverse=True)[:top]:
        print(f"    {result.seconds:6.1f}s  {result.name}")
    return elapsed


def baseline(warehouse: Path) -> float:
    """One CTAS copy of every raw table; seconds."""
    con = duckdb.connect(str(warehouse))
    try:
        started = time.perf_counter()
        con.execute("create schema if not exists bench_copy")
        for table in RAW_TABLES:
            con.execute(f"create or replace table bench_copy.{table} as select * from raw.{table}")
        elapsed = time.perf_counter() - started
        con.execute("drop schema bench_copy cascade")
        return elapsed
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--delta-share", type=float, default=0.02)
    parser.add_argument("--top", type=int, default=0, help="print the N slowest dbt nodes")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_dbt_"))
    warehouse = root / "msix.duckdb"
    try:
        con = duckdb.connect(str(warehouse))
        ensure_raw_schema(con)
        ensure_identity_schema(con, con.execute("select current_database()").fetchone()[0])
        write_raw(con, args.students)
        write_identity(con, args.students)
        counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}
        con.close()
        print("raw rows:", ", ".join(f"{t}={n:,}" for t, n in counts.items()))
        full = build(warehouse, root / "target", args.top)
        copy = baseline(warehouse)
        print(
            f"full build: {full:.1f}s; baseline CTAS of raw: {copy:.1f}s; ratio {full / copy:.1f}"
        )

        delta = max(1, int(args.students * args.delta_share))
        con = duckdb.connect(str(warehouse))
        write_raw(con, delta, first=0, stamp="2026-02-15 08:00:00")
        con.close()
        weekly = build(warehouse, root / "target", args.top)
        print(
            f"weekly delta ({delta:,} students resubmitted): {weekly:.1f}s; ratio to baseline {weekly / copy:.1f}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
