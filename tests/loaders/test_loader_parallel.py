"""`ingest_landing` loads files two at a time: the warehouse and the report are those of a load
one file at a time."""

from __future__ import annotations

from pathlib import Path

import duckdb

from loaders import ingest
from loaders.ingest import ingest_landing


def _fill(landing) -> None:
    for day in range(1, 9):
        rows = [
            landing.student(f"TX{day}{i:03d}", birth="bad" if i % 5 == 0 else "2012-01-01")
            for i in range(300)
        ]
        path = landing.students("TX", rows, stamp=f"202611{day:02d}T083000")
    landing.write("TX", "TX_20261120T083000_students.csv", path.read_bytes())  # a duplicate
    landing.write("TX", "TX_20261121T083000_students.csv", "student_id\nTX1\n")  # rejected
    landing.write("NE", "NE_20261101T083000.xml", landing.xml_text(state="NE"))
    landing.write("NE", "notes.txt", "not a submission")


def _contents(warehouse: Path) -> dict[str, list[tuple]]:
    queries = {
        "students": "select * from raw.students",
        "quarantine": "select * from raw.quarantine",
        "load_manifest": "select * exclude (loaded_at) from raw.load_manifest",
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            name: con.execute(f"{sql} order by all").fetchall() for name, sql in queries.items()
        }


def test_two_files_at_a_time_equals_one_at_a_time(landing, tmp_path, monkeypatch) -> None:
    _fill(landing)
    parallel = ingest_landing(landing.root, tmp_path / "two.duckdb", layouts_dir=landing.layouts)
    monkeypatch.setattr(ingest, "WORKERS", 1)
    serial = ingest_landing(landing.root, tmp_path / "one.duckdb", layouts_dir=landing.layouts)
    assert parallel.outcomes == serial.outcomes  # in path order
    assert parallel.counts()["files_duplicate"] == 1
    assert parallel.counts()["files_rejected"] == 1
    assert _contents(tmp_path / "two.duckdb") == _contents(tmp_path / "one.duckdb")
