"""The whole quality step on a small warehouse file: suites, Data Docs, findings, summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from msix.settings import get_settings
from quality.fixtures import Warehouse
from quality.run import run_quality, snapshot_reader


def test_run_quality_publishes_findings_and_data_docs(warehouse: Path) -> None:
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        wh = Warehouse(con)
        stamp = datetime(2026, 1, 5)
        wh.student("TX", "TX1", "000000000001", sex="Q", stamp=stamp)  # sex outside the codes
        wh.student("TX", "TX2", "000000000002", stamp=stamp)
        wh.add(
            "raw.moves",
            [{"state": "TX", "state_student_id": "TX1", "qad": date(2026, 3, 1), "stamp": stamp}],
        )
    settings = get_settings(warehouse=warehouse)
    as_of = datetime(2026, 1, 20, tzinfo=UTC)
    report = run_quality(settings, as_of=as_of)
    assert report.counts()["opened"] == 1 and report.counts()["open"] == 1
    assert "raw_students" in report.failed_suites
    docs = settings.artifacts_dir / "data_docs"
    assert (docs / "index.html").exists()
    assert list((docs / "validations" / "raw_students").rglob("*.html"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select rule, state from marts.dq_issue").fetchall() == [
            ("impossible_future_qad", "TX")
        ]
        failed = con.execute(
            'select expectation, "column" from quality.expectation_result where not success'
        ).fetchall()
        assert ("expect_column_values_to_be_in_set", "sex") in failed


def test_snapshot_reader_sees_the_warehouse_before_later_writes(tmp_path: Path) -> None:
    # run_quality reads the suites' frames (marts_dq_issue: the previous run's findings)
    # through this reader while the main thread rewrites marts.dq_issue
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create table issue as select 'old' as detail")
        reader = snapshot_reader(con)
        con.execute("create or replace table issue as select 'new' as detail")
        con.execute("create table later as select 1 as x")
        assert reader.execute("select detail from issue").fetchall() == [("old",)]
        assert reader.execute(
            "select count(*) from information_schema.tables where table_name = 'later'"
        ).fetchall() == [(0,)]
        reader.execute("rollback")
        reader.close()
        assert con.execute("select detail from issue").fetchall() == [("new",)]
