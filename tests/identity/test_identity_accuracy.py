"""Accuracy floors on a fixed seed: the generator's truth and, independently, identity.testdata."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from identity.evaluate import accuracy_of, evaluate_warehouse
from identity.resolve import resolve
from identity.testdata import latest_from_landing, make_records, write_input
from msix.cli import main
from msix.settings import get_settings

PRECISION_FLOOR = 0.995
RECALL_FLOOR = 0.98


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """2,500 generated children (seed 11), resolved; returns (truth dir, warehouse)."""
    from generator.write import generate

    out = tmp_path_factory.mktemp("identity_accuracy")
    generate(out, children=2500, seed=11)
    warehouse = out / "wh" / "msix.duckdb"
    write_input(warehouse, latest_from_landing(out / "landing"))
    resolve(get_settings(warehouse=warehouse), run_date=dt.datetime(2026, 11, 1))
    return out / "truth", warehouse


def test_generator_truth_floors(generated: tuple[Path, Path]) -> None:
    truth, warehouse = generated
    accuracy = evaluate_warehouse(truth, warehouse)
    assert accuracy.precision >= PRECISION_FLOOR, accuracy.lines()
    assert accuracy.recall >= RECALL_FLOOR, accuracy.lines()
    assert accuracy.twins_merged == 0


def test_evaluate_command_prints_the_figures(
    generated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    truth, warehouse = generated
    assert main(["evaluate", "--truth", str(truth), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "twins merged     0" in out


def test_independent_synthetic_data_keeps_precision_and_twins(tmp_path: Path) -> None:
    """Harsher distortions than the generator: recall is lower, precision and twins must hold."""
    records, children = make_records(4000, seed=5)
    warehouse = tmp_path / "wh" / "msix.duckdb"
    write_input(warehouse, records)
    resolve(get_settings(warehouse=warehouse))
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    xwalk = con.execute("select state, state_student_id, msix_id from identity.xwalk").df()
    con.close()
    accuracy = accuracy_of(xwalk, records[["state", "state_student_id", "child_id"]], children)
    assert accuracy.precision >= PRECISION_FLOOR, accuracy.lines()
    assert accuracy.recall >= 0.85, accuracy.lines()
    assert accuracy.twins_merged == 0


def test_accuracy_counts_pairs_mixed_ids_and_merged_twins() -> None:
    xwalk = pd.DataFrame(
        {
            "state": ["A"] * 5,
            "state_student_id": list("12345"),
            "msix_id": ["x", "x", "x", "y", "z"],
        }
    )
    truth = pd.DataFrame(
        {
            "state": ["A"] * 5,
            "state_student_id": list("12345"),
            "child_id": ["c1", "c1", "c2", "c1", "c3"],
        }
    )
    children = pd.DataFrame({"child_id": ["c1", "c2", "c3"], "twin_group": ["t", "t", None]})
    accuracy = accuracy_of(xwalk, truth, children)
    assert (accuracy.true_pairs, accuracy.predicted_pairs, accuracy.correct_pairs) == (3, 3, 1)
    assert accuracy.mixed_ids == 1 and accuracy.twins_merged == 1
