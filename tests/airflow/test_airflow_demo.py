"""Pieces of `msix demo` that do not need a whole run (the run itself is `local.run_chain`,
exercised by test_airflow_end_to_end.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from msix.demo import demo_clock, warehouse_summary


def test_demo_clock_is_fixed_after_the_generated_submissions() -> None:
    from generator.calendar import LAST_STAMP

    clock = demo_clock()
    assert clock == demo_clock()
    assert clock.tzinfo == UTC
    assert clock > datetime.combine(LAST_STAMP, datetime.min.time(), tzinfo=UTC)


def test_warehouse_summary_counts_the_tables_that_exist(tmp_path: Path) -> None:
    warehouse = tmp_path / "msix.duckdb"
    assert warehouse_summary(warehouse) == "no warehouse file was written"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create schema raw; create table raw.students as select range as id from range(3)"
        )
        con.execute(
            "create table raw.load_manifest as select * from"
            " (values ('loaded'), ('loaded'), ('rejected')) as t(status)"
        )
    summary = warehouse_summary(warehouse)
    assert "raw.students: 3 rows" in summary
    assert "raw.load_manifest: 3 rows (loaded 2, rejected 1)" in summary
    assert "marts.dim_student" not in summary
