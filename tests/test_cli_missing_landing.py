"""`msix ingest` and `msix run` name a landing folder that does not exist instead of loading nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from msix.cli import main


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_a_missing_landing_folder_is_named_and_nothing_is_created(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, warehouse = tmp_path / "typo", tmp_path / "msix.duckdb"
    assert main([command, "--landing", str(landing), "--warehouse", str(warehouse)]) == 2
    assert capsys.readouterr().err.strip() == f"error: no landing folder at {landing}"
    assert not warehouse.exists()
