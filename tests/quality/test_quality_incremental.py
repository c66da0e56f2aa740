"""An incremental evaluation gives the same rows as evaluating everything, run after run.

Two warehouses receive the same generated submissions in the same order (some files loaded
late, some loaded before their stamp is visible), the same crosswalk changes (a record moved
to another child and back) and the same clocks (a day, a weekend, weeks, months, a step back,
a rerun): one evaluates incrementally (quality/scope.py), the other every record each run.
After every run the findings, their history, the state summary and the move notices are
compared row by row, the latest rows both keep (quality/records.py) with those of the whole
history, and the incremental runs must have evaluated fewer records than there are.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from generator.write import generate
from loaders.ingest import ingest_landing
from msix.paths import LAYOUTS_DIR
from quality import fixtures, records
from quality.fixtures import IDENTITY_DDL, Warehouse
from quality.run import publish_findings

COMPARED = (
    "marts.dq_issue",
    "quality.issue_history",
    "marts.dq_state_summary",
    "quality.move_notice",
    "quality.move_notice_run",
)


def _stamp(path: Path) -> datetime:
    return datetime.strptime(path.name.split("_")[1].split(".")[0], "%Y%m%dT%H%M%S")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], pd.DataFrame]:
    out = tmp_path_factory.mktemp("incremental")
    generate(out=out, children=300, seed=5, states=["TX", "FL", "CA"])
    files = sorted((p for p in (out / "landing").rglob("*") if p.is_file()), key=_stamp)
    records = pd.read_csv(out / "truth" / "records.csv", dtype=str)
    records["msix_id"] = records["child_id"].str[1:].str.zfill(12)
    return out, files, records[["state", "state_student_id", "msix_id"]]


def _load(warehouse: Path, landing: Path, files: list[Path], source: Path) -> None:
    for path in files:
        target = landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    ingest_landing(landing, warehouse, layouts_dir=LAYOUTS_DIR)


def _differences(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        table: fixtures.rows_apart(
            con, f"select * from inc.{table}", f"select * from whole.{table}"
        )
        for table in COMPARED
    }


def _run_and_compare(
    warehouses: dict[str, Path],
    clock: datetime,
    setup: Callable[[duckdb.DuckDBPyConnection], None] = lambda con: None,
) -> int:
    """Publish in both warehouses (after `setup`), compare; the incremental run's scope."""
    scope = -1
    for name, path in warehouses.items():
        with duckdb.connect(str(path)) as con:
            setup(con)
            report = publish_findings(con, clock, incremental=name == "inc")
            # the latest rows kept for the next run are those of the whole history
            assert fixtures.differences(con) == dict.fromkeys(records.COLUMNS, 0), clock
        if name == "inc":
            scope = report.scope_records
    with duckdb.connect() as con:
        for name, path in warehouses.items():
            con.execute(f"attach '{path}' as {name} (read_only)")
        assert _differences(con) == dict.fromkeys(COMPARED, 0), clock
    return scope


def test_incremental_runs_give_the_rows_of_whole_evaluations(
    generated: tuple[Path, list[Path], pd.DataFrame], tmp_path: Path
) -> None:
    out, files, xwalk = generated
    source = out / "landing"
    late = [p for p in files if p.parent.name == "FL" and _stamp(p) < datetime(2026, 5, 1)][-1:]
    moved = xwalk.iloc[7]  # a record relinked to another child's national ID, then back
    other_id = xwalk.iloc[40]["msix_id"]
    # (clock, files loaded up to this stamp, crosswalk: as generated or with the record moved)
    every = datetime(2027, 1, 1)
    runs = [
        (datetime(2026, 5, 1, 6, tzinfo=UTC), datetime(2026, 5, 1, 6), False),
        (datetime(2026, 5, 4, 6, tzinfo=UTC), datetime(2026, 5, 20), False),  # files ahead
        (datetime(2026, 5, 20, 6, tzinfo=UTC), datetime(2026, 5, 20), True),
        (datetime(2026, 7, 1, 6, tzinfo=UTC), datetime(2026, 7, 1, 6), True),
        (datetime(2026, 8, 28, 6, tzinfo=UTC), datetime(2026, 8, 28, 6), False),
        (datetime(2026, 8, 31, 6, tzinfo=UTC), datetime(2026, 8, 31, 6), False),
        (datetime(2026, 8, 20, 6, tzinfo=UTC), datetime(2026, 8, 31, 6), False),  # back
        (datetime(2026, 10, 1, 6, tzinfo=UTC), datetime(2026, 10, 1, 6), False),
        (datetime(2026, 11, 2, 6, tzinfo=UTC), every, False),
        (datetime(2026, 11, 2, 6, tzinfo=UTC), every, False),  # a rerun
        # no new data: only the clock moves (30/60-day windows, notices, future dates)
        *((datetime(2026, 11, 2, 6, tzinfo=UTC) + timedelta(days=d), every, False)
          for d in (1, 4, 7, 14, 21, 30, 45, 64)),
    ]  # fmt: skip
    warehouses = {
        "inc": tmp_path / "inc" / "msix.duckdb",
        "whole": tmp_path / "whole" / "msix.duckdb",
    }
    for path in warehouses.values():
        path.parent.mkdir(parents=True)
        with duckdb.connect(str(path)) as con:
            for ddl in IDENTITY_DDL:
                con.execute(ddl)
    scopes = []
    for number, (clock, loaded_to, relinked) in enumerate(runs):
        batch = [p for p in files if _stamp(p) <= loaded_to and p not in late]
        if number >= 3:
            batch += late  # an early submission that arrives late
        links = xwalk.copy()
        if relinked:
            links.loc[links.index[7], "msix_id"] = other_id
        for path in warehouses.values():
            _load(path, path.parent / "landing", batch, source)

        def relink(con: duckdb.DuckDBPyConnection, links: pd.DataFrame = links) -> None:
            con.register("links", links)
            con.execute("delete from marts.xwalk_student_identity")
            con.execute("insert into marts.xwalk_student_identity select * from links")
            con.unregister("links")

        scopes.append(_run_and_compare(warehouses, clock, relink))
    assert moved["msix_id"] != other_id
    with duckdb.connect(str(warehouses["inc"])) as con:
        issues = con.execute("select count(distinct rule) from marts.dq_issue").fetchone()
    assert issues and issues[0] >= 10
    # the first run and the one after the clock went back evaluate everything, the others not
    assert scopes[0] == -1 and scopes[6] == -1
    records = len(xwalk)
    assert all(0 <= s < records for i, s in enumerate(scopes) if i not in (0, 6)), scopes


def _manifest(con: duckdb.DuckDBPyConnection) -> None:
    """A manifest row for each load of the raw rows without one."""
    tables = ("students", "moves", "enrollments", "courses", "assessments")
    loads = con.execute(
        "select distinct load_id, file_name, state, stamp from ("
        + " union all ".join(
            f"select load_id, file_name, state, stamp from raw.{t}" for t in tables
        )
        + ") where load_id not in (select load_id from raw.load_manifest)"
    ).fetchall()
    Warehouse(con).add("raw.load_manifest", [
        {"file_name": f, "file_path": f"/landing/{s}/{f}", "checksum": lid, "state": s,
         "stamp": st, "record_type": "students", "status": "loaded", "rows_read": 1,
         "rows_loaded": 1, "rows_quarantined": 0, "load_id": lid, "loaded_at": st}
        for lid, f, s, st in loads
    ])  # fmt: skip


def _clock_children(con: duckdb.DuckDBPyConnection) -> None:
    """150 children, one a day, each of five kinds with a date the clock crosses on its own
    (the kinds' dates do not coincide, so each crossing is seen alone). All loaded once with
    their manifest rows, so only the clock can bring them into scope."""
    wh = Warehouse(con)
    stamp = datetime(2026, 1, 5, 8, 0)
    students, enrollments, moves = [], [], []
    common = {"school_name": "School", "enrollment_type": "01", "stamp": stamp,
              "grade_level": "10", "district_id": "D1", "enrollment_date": date(2025, 8, 20),
              "school_id": "480000000001", "state": "TX"}  # fmt: skip
    for i in range(150):
        day = date(2026, 1, 10) + timedelta(days=i)
        national, tx, fl = f"{900000000000 + i}", f"TX{i}", f"FL{i}"
        for state, sid in (("TX", tx), ("FL", fl)):
            students.append({"state": state, "state_student_id": sid, "stamp": stamp,
                             "birth_date": date(2010, 1, 1)})  # fmt: skip
            wh.add("marts.xwalk_student_identity",
                   [{"state": state, "state_student_id": sid, "msix_id": national}])  # fmt: skip
        kind = i % 5
        if kind == 0:  # withdrew, enrolled nowhere since: 30 days (courses), 60 days (lost)
            enrollments.append({**common, "state_student_id": tx, "withdrawal_date": day})
        elif kind == 1:  # a departure on the day, told in January: future QAD, then lost
            moves.append({"state": "TX", "state_student_id": tx, "qad": day,
                          "move_to_state": "FL", "stamp": stamp})  # fmt: skip
        elif kind == 2:  # an overlap with an open FL enrollment, running to the clock
            enrollments.append({**common, "state_student_id": tx, "withdrawal_date": day})
            enrollments.append({**common, "state": "FL", "state_student_id": fl,
                                "school_id": "120000000001",
                                "enrollment_date": date(2025, 12, 1)})  # fmt: skip
        elif kind == 3:  # an arrival on the day: in the notices' window for 60 days
            enrollments.append({**common, "state_student_id": tx,
                                "withdrawal_date": day - timedelta(days=20)})  # fmt: skip
            enrollments.append({**common, "state": "FL", "state_student_id": fl,
                                "school_id": "120000000001", "enrollment_date": day})  # fmt: skip
        else:  # a departure notice sent on the day and never answered: 4 working days
            moves.append({"state": "TX", "state_student_id": tx,
                          "qad": date(2025, 9, 1) + timedelta(days=i), "move_to_state": "FL",
                          "stamp": datetime.combine(day, datetime.min.time())})  # fmt: skip
    wh.add("raw.students", students)
    wh.add("raw.enrollments", enrollments)
    wh.add("raw.moves", moves)
    _manifest(con)


def test_clock_crossings_without_new_data_give_the_rows_of_whole_evaluations(
    tmp_path: Path,
) -> None:
    warehouses = {"inc": tmp_path / "inc.duckdb", "whole": tmp_path / "whole.duckdb"}
    for path in warehouses.values():
        with duckdb.connect(str(path)) as con:
            _clock_children(con)
    clocks, day = [], datetime(2026, 1, 2, 6, tzinfo=UTC)
    for step in (1, 2, 3, 1, 5, 7, 10, 2, 14, 20, 4, 30, 9, 25, 40, 3, 6, 11, 19, 8, 30):
        day += timedelta(days=step)
        clocks.append(day)
    scopes = [_run_and_compare(warehouses, clock) for clock in clocks]
    assert scopes[0] == -1 and all(s >= 0 for s in scopes[1:]), scopes
    assert min(scopes[1:]) < 150, scopes  # later clocks cross few dates: few records evaluated
    with duckdb.connect(str(warehouses["inc"])) as con:
        rules = {r for (r,) in con.execute("select distinct rule from marts.dq_issue").fetchall()}
    assert {"lost_student", "missing_course_history", "impossible_future_qad",
            "impossible_overlapping_enrollments", "late_after_move_notice"} <= rules  # fmt: skip


def test_stamp_only_resends_stay_out_of_scope_unless_they_answer_a_move_notice(
    tmp_path: Path,
) -> None:
    """A student row sent again with the same values changes no rule's input but its stamp,
    which late_after_move_notice reads: the record of the destination of a move notice stays
    in scope (its re-send answers the notice), any other such record does not; a row sent
    again with another value does."""
    jan5 = datetime(2026, 1, 5, 8, 0)
    warehouses = {"inc": tmp_path / "inc.duckdb", "whole": tmp_path / "whole.duckdb"}
    for path in warehouses.values():
        with duckdb.connect(str(path)) as con:
            wh = Warehouse(con)
            for sid in ("TX1", "FL1", "TX2", "TX4", "FL4"):  # TX1 and FL1: one child
                wh.student(sid[:2], sid, sid[-1].zfill(12), stamp=jan5)
            # TX tells FL on Feb 2 that the child left for FL; FL sends nothing after it
            wh.add("raw.moves", [
                {"state": "TX", "state_student_id": "TX1", "qad": date(2026, 1, 30),
                 "move_to_state": "FL", "stamp": datetime(2026, 2, 2, 8, 0)},
            ])  # fmt: skip
            _manifest(con)
    first = _run_and_compare(warehouses, datetime(2026, 3, 2, 6, tzinfo=UTC))
    assert first == -1

    def resend(con: duckdb.DuckDBPyConnection) -> None:
        later = datetime(2026, 3, 20, 8, 0)  # both rows as they were, stamped again
        Warehouse(con).add("raw.students", [
            {"state": "FL", "state_student_id": "FL1", "stamp": later},
            {"state": "TX", "state_student_id": "TX2", "stamp": later},
            {"state": "FL", "state_student_id": "FL4", "stamp": later, "sex": "M"},  # changed
        ])  # fmt: skip
        _manifest(con)

    scope = _run_and_compare(warehouses, datetime(2026, 3, 30, 6, tzinfo=UTC), resend)
    # FL1 (its re-send answers the notice) and TX1, the same child; FL4 (sent with another
    # value) and TX4; not TX2
    assert scope == 4
    with duckdb.connect(str(warehouses["inc"]), read_only=True) as con:
        detail = con.execute(
            "select detail from marts.dq_issue where rule = 'late_after_move_notice' and status = 'open'"
        ).fetchall()
        conflicts = con.execute(
            "select state_student_id from marts.dq_issue where rule = 'conflicting_identity' "
            "and status = 'open' order by all"
        ).fetchall()
    assert len(detail) == 1 and "data submitted" in detail[0][0]
    assert conflicts == [("FL4",), ("TX4",)]


def test_records_without_a_student_row_incrementally_and_whole(tmp_path: Path) -> None:
    """missing_student_record in incremental runs: a new load of child rows alone (also
    assessments only) opens a finding, the student row closes it once visible, a retraction
    closes it too; the same findings as evaluating everything each run. New assessments of a
    record with a student row bring nothing into scope."""
    jan5 = datetime(2026, 1, 5, 8, 0)
    warehouses = {"inc": tmp_path / "inc.duckdb", "whole": tmp_path / "whole.duckdb"}

    def send(rows: dict[str, list[dict]]) -> Callable[[duckdb.DuckDBPyConnection], None]:
        def setup(con: duckdb.DuckDBPyConnection) -> None:
            wh = Warehouse(con)
            for table, table_rows in rows.items():
                wh.add(f"raw.{table}", table_rows)
            _manifest(con)

        return setup

    def child(sid: str, stamp: datetime, table: str = "assessments") -> dict[str, list[dict]]:
        row = {"state": sid[:2], "state_student_id": sid, "stamp": stamp}
        if table == "assessments":
            row |= {"assessment_title": "T", "content_area": "reading",
                    "administration_date": "2025-05"}  # fmt: skip
        else:
            row |= {"school_id": "480000000001", "school_year": "2025-2026",
                    "term_type": "SEM1", "course_title": "Algebra I", "subject_area": "02"}  # fmt: skip
        return {table: [row]}

    def student(sid: str, stamp: datetime, action: str = "U") -> dict[str, list[dict]]:
        return {"students": [{"state": sid[:2], "state_student_id": sid, "stamp": stamp,
                              "action": action}]}  # fmt: skip

    for path in warehouses.values():
        with duckdb.connect(str(path)) as con:
            wh = Warehouse(con)
            for sid in ("TX1", "FL1"):
                wh.student(sid[:2], sid, sid[-1].zfill(12), stamp=jan5)
            send(child("TX9", jan5, "courses") | child("FL8", jan5))(con)

    def open_findings() -> list[tuple]:
        with duckdb.connect(str(warehouses["inc"]), read_only=True) as con:
            return con.execute(
                "select state_student_id, subject_key from marts.dq_issue "
                "where rule = 'missing_student_record' and status = 'open' order by all"
            ).fetchall()

    assert _run_and_compare(warehouses, datetime(2026, 2, 2, 6, tzinfo=UTC)) == -1
    assert open_findings() == [("FL8", "assessments"), ("TX9", "courses")]
    # assessments alone for a new record; TX9's student row, stamped after the next clock
    feb10 = datetime(2026, 2, 10, 8, 0)
    scope = _run_and_compare(
        warehouses,
        datetime(2026, 2, 9, 6, tzinfo=UTC),
        send(
            {
                "assessments": child("TX7", feb10 - timedelta(days=3))["assessments"]
                + child("TX1", feb10 - timedelta(days=3))["assessments"]
            }
            | student("TX9", feb10)
        ),  # fmt: skip
    )
    # TX7 by its assessments, TX9 by its student row (not visible yet); not TX1, whose new
    # assessments change no finding (it has a student row)
    assert scope == 2
    assert open_findings() == [("FL8", "assessments"), ("TX7", "assessments"), ("TX9", "courses")]
    # TX9's student row is visible now; FL8 is retracted (a student row: its records stop)
    scope = _run_and_compare(
        warehouses, datetime(2026, 2, 16, 6, tzinfo=UTC), send(student("FL8", feb10, "D"))
    )
    assert scope == 2
    assert open_findings() == [("TX7", "assessments")]
