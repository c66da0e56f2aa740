"""Moves and credits against the generator's ground truth on a fixed seed, through the real
pipeline steps (ingest, dbt staging, identity resolution, dbt marts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_accuracy import credits_exact_share, score_moves

from generator.write import generate
from msix import pipeline
from msix.settings import get_settings

SEED = 7
CHILDREN = 200
STATES = ["TX", "FL", "MI", "CA"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(warehouse, truth folder) after the pipeline ran over one generated data set."""
    root = tmp_path_factory.mktemp("dbt_accuracy")
    generate(root / "gen", CHILDREN, SEED, STATES)
    settings = get_settings(warehouse=root / "wh" / "msix.duckdb", landing=root / "gen" / "landing")
    pipeline.ingest(settings, settings.landing)
    pipeline.transform_staging(settings)
    pipeline.resolve_identities(settings)
    pipeline.transform_marts(settings)
    return settings.warehouse, root / "gen" / "truth"


@pytest.mark.slow
def test_interstate_moves_recall_and_precision(generated: tuple[Path, Path]) -> None:
    score = score_moves(*generated)
    assert score.true_moves > 100
    assert score.recall >= 0.98, score
    assert score.precision >= 0.98, score


@pytest.mark.slow
def test_total_credits_granted_exact_for_secondary_students(generated: tuple[Path, Path]) -> None:
    exact, secondary = credits_exact_share(*generated)
    assert secondary > 30
    assert exact >= 0.99 * secondary, (exact, secondary)
