"""Airflow's own DAG processor, started briefly against this DAG folder, parses every DAG.

This is what `airflow standalone` / `airflow scheduler` does first; the processor runs one
parsing loop (`-n 1`), is bounded by a timeout and killed if it outlives it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from msix import paths
from msix.orchestration.factory import DAG_IDS

pytestmark = pytest.mark.slow

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def _airflow(args: list[str], env: dict[str, str], limit_s: int) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=limit_s
        )
    except subprocess.TimeoutExpired:  # subprocess.run kills the child before raising
        pytest.fail(f"airflow {' '.join(args)} did not finish within {limit_s}s")


def test_dag_processor_parses_every_dag(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(paths.DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    migrate = _airflow(["db", "migrate"], env, limit_s=180)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    parse = _airflow(["dag-processor", "-n", "1"], env, limit_s=180)
    assert parse.returncode == 0, parse.stderr[-2000:]

    with sqlite3.connect(tmp_path / "airflow.db") as con:
        parsed = {r[0] for r in con.execute("select dag_id from serialized_dag")}
        errors = con.execute("select filename, stacktrace from import_error").fetchall()
    assert errors == []
    assert parsed == set(DAG_IDS)
