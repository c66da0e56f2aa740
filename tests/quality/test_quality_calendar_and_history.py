"""Working days with federal holidays; stable issue IDs, resolution and the state summary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from msix.paths import DBT_PROJECT_DIR
from quality.calendar import federal_holidays, working_day_frame, working_days_between
from quality.findings import evaluate_rules, write_working_days
from quality.fixtures import Warehouse
from quality.issues import update_history
from quality.summary import write_state_summary


def test_federal_holidays_with_observed_days() -> None:
    days = federal_holidays(2026)
    assert date(2026, 1, 19) in days  # MLK day, third Monday
    assert date(2026, 7, 3) in days  # July 4th is a Saturday: observed Friday
    assert date(2026, 11, 26) in days  # Thanksgiving
    assert date(2026, 5, 25) in days  # Memorial Day, last Monday
    assert len(days) == 11


def test_working_days_skip_weekends_and_holidays() -> None:
    assert working_days_between(date(2026, 1, 16), date(2026, 1, 20)) == 1  # Sat, Sun, MLK
    assert working_days_between(date(2025, 12, 19), date(2026, 1, 5)) == 9
    frame = working_day_frame().set_index("day")
    assert frame.loc[date(2026, 1, 5), "wd_index"] - frame.loc[date(2025, 12, 19), "wd_index"] == 9


def _findings_run(con: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    evaluation = evaluate_rules(con, as_of)
    update_history(con, evaluation.findings, evaluation.evaluated, as_of)


def test_issue_ids_stable_and_resolved_when_fixed() -> None:
    con = duckdb.connect(":memory:")
    wh = Warehouse(con)
    wh.student("TX", "TX1", "000000000001", stamp=datetime(2026, 1, 5))
    course = {"state": "TX", "state_student_id": "TX1", "school_id": "TX0000000001",
              "school_year": "2025-2026", "term_type": "SEM1", "subject_area": "02",
              "course_title": "Algebra I", "credits_attempted": 0.5, "credits_granted": 1,
              "stamp": datetime(2026, 1, 5)}  # fmt: skip
    wh.add("raw.courses", [course])
    first, second = datetime(2026, 2, 2, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)
    _findings_run(con, first)
    before = con.execute("select issue_id, first_seen from marts.dq_issue").fetchall()
    _findings_run(con, second)
    after = con.execute(
        "select issue_id, first_seen, last_seen, status from marts.dq_issue"
    ).fetchall()
    assert [(i, f) for i, f, _, _ in after] == before
    assert after[0][2] == datetime(2026, 2, 3) and after[0][3] == "open"
    # the state fixes the credits: the finding is resolved, keeps its ID
    wh.add("raw.courses", [{**course, "credits_granted": 0.5, "stamp": datetime(2026, 2, 4)}])
    _findings_run(con, datetime(2026, 2, 5, tzinfo=UTC))
    rows = con.execute("select issue_id, status, resolved_at from marts.dq_issue").fetchall()
    assert rows == [(before[0][0], "closed", datetime(2026, 2, 5))]  # warehouse.md: open or closed
    history = con.execute("select status from quality.issue_history").fetchall()
    assert history == [("resolved",)]
    assert write_state_summary(con, datetime(2026, 2, 5, tzinfo=UTC)) == 1
    summary = con.execute("select state, students, open_findings from marts.dq_state_summary")
    assert summary.fetchall() == [("TX", 1, 0)]


def _dim_date(con: duckdb.DuckDBPyConnection) -> None:
    """`marts.dim_date` built from the dbt model's own SQL (it uses no Jinja)."""
    sql = (DBT_PROJECT_DIR / "models" / "marts" / "dim_date.sql").read_text(encoding="utf-8")
    con.execute("create schema if not exists marts")
    con.execute(f"create table marts.dim_date as {sql}")


def test_python_calendar_agrees_with_dbt_dim_date_2024_to_2027() -> None:
    con = duckdb.connect(":memory:")
    _dim_date(con)
    dbt_days = con.execute(
        """
        select date_day, is_working_day, working_day_index - min(working_day_index) over ()
        from marts.dim_date where date_day between date '2024-01-01' and date '2027-12-31'
        order by date_day
        """
    ).fetchall()
    frame = working_day_frame().set_index("day").loc[date(2024, 1, 1) : date(2027, 12, 31)]
    python_days = [
        (day, bool(row.is_working_day), int(row.wd_index - frame["wd_index"].iloc[0]))
        for day, row in frame.iterrows()
    ]
    assert len(dbt_days) == len(python_days) == 1461
    assert dbt_days == python_days


def test_rules_count_working_days_from_dim_date_when_it_exists() -> None:
    con = duckdb.connect(":memory:")
    Warehouse(con)
    con.execute("create schema if not exists quality")
    assert write_working_days(con) == "quality.calendar"
    _dim_date(con)
    assert write_working_days(con) == "marts.dim_date"
    rows = con.execute("select count(*), min(day), max(day) from quality.working_day").fetchall()
    assert rows == [(14976, date(2000, 1, 1), date(2040, 12, 31))]
