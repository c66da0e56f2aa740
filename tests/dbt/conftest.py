"""Make the dbt test helpers (dbt_raw_fixture, dbt_scenario) importable under importlib mode."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


import pytest  # noqa: E402  (after the sys.path set-up above)

MIN_CELL_SIZE = 3


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The handcrafted scenario warehouse after both dbt phases of the pipeline (staging and
    intermediate, then everything else after identity), with min_cell_size = 3."""
    from dbt_scenario import build_scenario

    from msix.dbt import run_dbt

    root = tmp_path_factory.mktemp("dbt_built")
    warehouse = root / "msix.duckdb"
    build_scenario(warehouse)
    run_dbt(["build", "--select", "staging", "intermediate"], warehouse, target_path=root / "t")
    run_dbt(
        ["build", "--exclude", "staging", "intermediate"],
        warehouse,
        target_path=root / "t",
        vars_={"min_cell_size": MIN_CELL_SIZE},
    )
    return warehouse
