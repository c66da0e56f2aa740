"""A --warehouse that is not a DuckDB file ends in one line naming it, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from msix.cli import main


@pytest.mark.parametrize(
    "argv", [["status"], ["student", "123456789012"], ["worklist", "--state", "TX"]]
)
def test_a_warehouse_that_is_not_duckdb_is_named(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "msix.duckdb"
    warehouse.write_text("state,state_student_id\nTX,1\n")
    assert main([*argv, "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"msix {argv[0]}: IO Error: ") and str(warehouse) in err
    assert len(err.splitlines()) == 1
