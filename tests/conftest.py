"""Shared fixtures. Tests that need generated data build it once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Airflow must never touch a user's home or a shared database from a test run.
os.environ.setdefault(
    "AIRFLOW_HOME", str(Path(__file__).resolve().parent.parent / ".airflow" / "test")
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A fresh warehouse file path for one test."""
    return tmp_path / "warehouse" / "msix.duckdb"
