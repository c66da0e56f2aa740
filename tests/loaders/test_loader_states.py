"""`ingest_states` loads every state in one run; when that run fails, the other states are still
loaded (each on its own) before the failure is raised."""

from __future__ import annotations

import duckdb
import pytest

from loaders import ingest
from loaders.ingest import ingest_states, state_folders


class LoaderBug(RuntimeError):
    """A failure no check foresaw (not a rejection): it stops the run."""


def _fill(landing) -> None:
    # AK's file comes first in path order: the failing run stops the others before theirs
    landing.students("AK", [landing.student("AK001")])
    for day in range(1, 5):
        for state in ("NE", "TX"):
            rows = [landing.student(f"{state}{day}{i:02d}") for i in range(20)]
            landing.students(state, rows, stamp=f"202611{day:02d}T083000")


def _loaded(warehouse) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select state, count(*) from raw.students group by all").fetchall()
    return dict(rows)


def test_one_run_for_all_states(landing) -> None:
    _fill(landing)
    report = ingest_states(landing.root, landing.warehouse, layouts_dir=landing.layouts)
    assert report.counts()["files_loaded"] == 9
    assert _loaded(landing.warehouse) == {"AK": 1, "NE": 80, "TX": 80}


def test_a_failing_state_keeps_no_other_state_out(landing, monkeypatch) -> None:
    _fill(landing)
    load_records = ingest._load_records

    def fail_for_ak(con, sub, *args, **kwargs) -> None:
        if sub.state == "AK":
            raise LoaderBug("no value quoted here")
        load_records(con, sub, *args, **kwargs)

    monkeypatch.setattr(ingest, "_load_records", fail_for_ak)
    with pytest.raises(LoaderBug):
        ingest_states(landing.root, landing.warehouse, layouts_dir=landing.layouts)
    assert _loaded(landing.warehouse) == {"NE": 80, "TX": 80}
    monkeypatch.setattr(ingest, "_load_records", load_records)  # the bug fixed: the retry
    report = ingest_states(landing.root, landing.warehouse, layouts_dir=landing.layouts)
    assert report.counts()["files_loaded"] == 1
    assert report.counts()["files_unchanged"] == 8
    assert _loaded(landing.warehouse) == {"AK": 1, "NE": 80, "TX": 80}


def test_state_folders(landing) -> None:
    _fill(landing)
    landing.write("NE", "notes.txt", "not a submission")
    (landing.root / "stray.csv").write_text("x\n")
    (landing.root / "OR").mkdir()  # no file
    assert state_folders(landing.root) == ["AK", "NE", "TX"]
    assert state_folders(landing.root, ["tx", "OR"]) == ["TX"]
