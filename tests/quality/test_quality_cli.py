"""`msix dq --state ST` lists that state's open findings and nothing of other states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from msix.cli import main
from quality.fixtures import Warehouse
from quality.run import publish_findings


def test_dq_lists_only_the_states_open_findings(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        wh = Warehouse(con)
        for state in ("TX", "FL"):
            wh.student(state, f"{state}1", None, stamp=datetime(2026, 1, 5))
            wh.add(
                "raw.moves",
                [{"state": state, "state_student_id": f"{state}1", "qad": datetime(2026, 5, 1),
                  "stamp": datetime(2026, 1, 5)}],
            )  # fmt: skip
        publish_findings(con, datetime(2026, 2, 2, tzinfo=UTC))
    assert main(["dq", "--state", "tx", "--warehouse", str(warehouse), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "open data-quality findings for TX (1)" in out
    assert "impossible_future_qad" in out and "TX1" in out and "FL1" not in out
    assert "Correct the QAD" in out


def test_dq_without_warehouse_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dq", "--state", "TX", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse" in capsys.readouterr().err
