"""A generated data set shared by the generator tests (built once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from generator.readback import read_landing
from generator.write import generate

CHILDREN = 600  # >= 500: every planted rule gets at least MIN_PER_RULE plants
SEED = 11


@dataclass
class Generated:
    out: Path
    summary: str
    rows: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("generated")
    summary = generate(out, CHILDREN, SEED)
    truth = {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in sorted((out / "truth").glob("*.csv"))
    }
    return Generated(out, summary, read_landing(out / "landing"), truth)
