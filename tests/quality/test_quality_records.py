"""The latest rows kept between runs (quality/records.py) are those of the whole history.

A build at one clock, then rows that become visible by the next clock (a later submission,
one of the same stamp, a late load with an older stamp, a retraction, a row stamped after the
first clock), merged into the kept rows, must give the rows a build from the whole history
gives at the new clock; so must a rerun at the same clock and a build from the previous
evaluation's loads and clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from quality import fixtures, records
from quality.findings import set_clock
from quality.fixtures import Warehouse

JAN5 = datetime(2026, 1, 5, 8, 0)
CLOCK1 = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
CLOCK2 = datetime(2026, 2, 15, 6, 0, tzinfo=UTC)


def _rows(load: str, stamp: datetime, sid: str, **fields: object) -> dict[str, object]:
    return {"state": "TX", "state_student_id": sid, "load_id": load, "stamp": stamp, **fields}


def _manifest(wh: Warehouse) -> None:
    """A manifest row for every load of the raw tables that has none yet."""
    loads = wh.con.execute(
        """
        select distinct load_id, state, stamp from (
            select load_id, state, stamp from raw.students
            union all select load_id, state, stamp from raw.moves
            union all select load_id, state, stamp from raw.enrollments
            union all select load_id, state, stamp from raw.courses)
        where load_id not in (select load_id from raw.load_manifest)
        """
    ).fetchall()
    wh.add("raw.load_manifest", [
        {"file_name": f"{lid}.csv", "file_path": f"/landing/{s}/{lid}.csv", "checksum": lid,
         "state": s, "stamp": st, "record_type": "students", "status": "loaded", "rows_read": 1,
         "rows_loaded": 1, "rows_quarantined": 0, "load_id": lid, "loaded_at": st}
        for lid, s, st in loads
    ])  # fmt: skip


def _seen(con: duckdb.DuckDBPyConnection) -> None:
    """What an evaluation keeps of the loads it saw (quality.scope.save_state)."""
    con.execute(
        "create or replace table quality.rule_state_load as "
        "select distinct load_id from raw.load_manifest"
    )


@pytest.fixture
def built() -> duckdb.DuckDBPyConnection:
    """A warehouse whose kept rows were built at CLOCK1 (one row after it already loaded)."""
    con = duckdb.connect()
    wh = Warehouse(con)
    wh.add("raw.students", [_rows("L1", JAN5, s) for s in ("A", "B", "C")])
    wh.add("raw.enrollments", [
        _rows("L1", JAN5, "A", school_id="S1", enrollment_date=date(2025, 8, 20)),
        _rows("L1", JAN5, "A", school_id="S2", enrollment_date=date(2025, 9, 1)),
    ])  # fmt: skip
    wh.add("raw.courses", [
        _rows("L1", JAN5, "A", course_title="Algebra"),
        _rows("L1", JAN5, "A", course_title="Biology"),
        _rows("L1", JAN5, "B", course_title="Chemistry"),
        _rows("L2", datetime(2026, 2, 10), "B", course_title="Drama"),  # after CLOCK1
    ])  # fmt: skip
    wh.add("raw.moves", [_rows("L1", JAN5, "C", qad=date(2025, 12, 1), move_to_state="FL")])
    _manifest(wh)
    set_clock(con, CLOCK1)
    records.rebuild(con)
    _seen(con)
    assert fixtures.differences(con) == dict.fromkeys(records.COLUMNS, 0)
    assert records.built_for(con) == CLOCK1.replace(tzinfo=None)
    return con


def _new_rows(con: duckdb.DuckDBPyConnection) -> None:
    wh = Warehouse(con)
    feb3 = datetime(2026, 2, 3, 8, 0)
    wh.add("raw.courses", [_rows("L3", feb3, "A", course_title="Geometry")])  # later: replaces
    # the same stamp as the kept rows: joins them
    enrolled = _rows("L4", JAN5, "A", school_id="S3", enrollment_date=date(2025, 10, 1))
    wh.add("raw.enrollments", [enrolled])
    # a late load with an older stamp: the kept row stays
    moved = _rows("L5", datetime(2026, 1, 1), "C", qad=date(2025, 11, 1), move_to_state="CA")
    wh.add("raw.moves", [moved])
    wh.add("raw.students", [_rows("L6", datetime(2026, 2, 4), "B", action="D")])  # retraction
    wh.add("raw.students", [_rows("L7", datetime(2026, 3, 1), "C", action="D")])  # future
    _manifest(wh)


def test_merged_rows_are_the_rows_of_the_whole_history(built: duckdb.DuckDBPyConnection) -> None:
    con = built
    _new_rows(con)
    set_clock(con, CLOCK2)
    records.update(con, CLOCK1.replace(tzinfo=None))
    assert fixtures.differences(con) == dict.fromkeys(records.COLUMNS, 0)
    assert records.built_for(con) == CLOCK2.replace(tzinfo=None)
    courses = con.execute(
        "select state_student_id, course_title from quality.latest_courses order by all"
    ).fetchall()
    assert courses == [("A", "Geometry"), ("B", "Drama")]
    schools = con.execute("select school_id from quality.latest_enrollments order by all")
    assert schools.fetchall() == [("S1",), ("S2",), ("S3",)]
    assert con.execute("select move_to_state from quality.latest_moves").fetchall() == [("FL",)]
    actions = con.execute(
        "select state_student_id, action from quality.latest_students order by all"
    ).fetchall()
    assert actions == [("A", "U"), ("B", "D"), ("C", "U")]  # C's retraction is not due yet
    # a rerun at the same clock merges nothing new
    _seen(con)
    records.update(con, CLOCK2.replace(tzinfo=None))
    assert fixtures.differences(con) == dict.fromkeys(records.COLUMNS, 0)
    # the next clock brings the later retraction
    later = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    set_clock(con, later)
    records.update(con, CLOCK2.replace(tzinfo=None))
    assert fixtures.differences(con) == dict.fromkeys(records.COLUMNS, 0)
    assert con.execute(
        "select action from quality.latest_students where state_student_id = 'C'"
    ).fetchall() == [("D",)]


def test_a_build_from_the_previous_loads_and_clock(built: duckdb.DuckDBPyConnection) -> None:
    """`rebuild(seen_only=True)` at the previous clock: the rows that evaluation kept."""
    con = built
    kept = {t: con.execute(f"select * from quality.latest_{t} order by all").fetchall()
            for t in records.COLUMNS}  # fmt: skip
    _new_rows(con)
    records.rebuild(con, seen_only=True)
    for table, rows in kept.items():
        assert con.execute(f"select * from quality.latest_{table} order by all").fetchall() == rows


def test_missing_kept_rows_are_noticed(built: duckdb.DuckDBPyConnection) -> None:
    con = built
    con.execute("drop table quality.latest_courses")
    assert records.built_for(con) is None
