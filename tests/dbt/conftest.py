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
    """The handcrafted scenario warehouse after two deliveries, each followed by both dbt phases
    of the pipeline (staging and intermediate, then everything else), min_cell_size = 3."""
    from dbt_scenario import deliver_first, deliver_late

    root = tmp_path_factory.mktemp("dbt_built")
    warehouse = root / "msix.duckdb"
    deliver_first(warehouse)
    build_like_the_pipeline(warehouse, root / "t")
    deliver_late(warehouse)  # the incremental facts now rebuild only the children it touches
    build_like_the_pipeline(warehouse, root / "t")
    return warehouse


def build_like_the_pipeline(warehouse: Path, target: Path, *extra: str) -> None:
    """dbt staging + intermediate, then everything else (identity is handcrafted)."""
    from msix.dbt import run_dbt
    from msix.pipeline import marts_build_args, staging_build_args

    run_dbt(staging_build_args(), warehouse, target_path=target)
    run_dbt(
        [*marts_build_args(), *extra],
        warehouse,
        target_path=target,
        vars_={"min_cell_size": MIN_CELL_SIZE},
    )
