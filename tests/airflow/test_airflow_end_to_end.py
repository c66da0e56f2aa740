"""The real DAGs on small generated data: a full run, and a run killed half-way then repeated.

`chain` runs the four DAGs in this process with `dag.test()` (the same path as `make demo`);
the recovery test runs them in a child process, SIGKILLs it during ingestion, starts it again
and compares the warehouse with the uninterrupted one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from msix.orchestration import local

pytestmark = pytest.mark.slow

CHILDREN = 400
SEED = 11
CLOCK = datetime(2026, 11, 2, 6, tzinfo=UTC)

VOLATILE_COLUMNS = {"loaded_at", "recorded_ns"}
"""Wall-clock bookkeeping columns (when a file was loaded, when the landing index saw it), equal
only by accident across runs."""


@dataclass(frozen=True)
class ChainRun:
    warehouse: Path
    landing: Path
    outcomes: list[local.DagOutcome]


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~400 generated children in a few states (generator.write)."""
    from generator.write import generate

    out = tmp_path_factory.mktemp("generated")
    generate(out=out, children=CHILDREN, seed=SEED)
    return out / "landing"


@pytest.fixture(scope="session")
def chain(landing: Path, tmp_path_factory: pytest.TempPathFactory, airflow_db: None) -> ChainRun:
    """One uninterrupted run of the four DAGs into a fresh warehouse."""
    warehouse = tmp_path_factory.mktemp("uninterrupted") / "msix.duckdb"
    saved = {k: os.environ.get(k) for k in ("MSIX_LANDING", "MSIX_WAREHOUSE", "MSIX_TASK_RETRIES")}
    os.environ["MSIX_LANDING"] = str(landing)
    os.environ["MSIX_WAREHOUSE"] = str(warehouse)
    os.environ["MSIX_TASK_RETRIES"] = "0"  # a failing step fails the test now, not after backoff
    try:
        outcomes = local.run_chain(CLOCK, {"full_refresh": False, "states": []})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return ChainRun(warehouse, landing, outcomes)


def _count(warehouse: Path, sql: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute(sql).fetchone()[0])


def test_every_dag_succeeds(chain: ChainRun) -> None:
    assert [(o.dag_id, o.state) for o in chain.outcomes] == [
        ("msix_ingest", "success"),
        ("msix_transform", "success"),
        ("msix_quality", "success"),
        ("msix_reports", "success"),
    ], [o.line() for o in chain.outcomes]


def test_ingest_one_task_for_every_state_folder(chain: ChainRun) -> None:
    ingest = chain.outcomes[0].tasks
    assert ingest == {
        "find_states": "success",
        "ingest_states": "success",
        "publish_raw": "success",
    }
    states = {p.name for p in chain.landing.iterdir() if p.is_dir()}
    loaded = _count(chain.warehouse, "select count(distinct state) from raw.load_manifest")
    assert loaded == len(states)


def test_every_landing_file_is_in_the_manifest(chain: ChainRun) -> None:
    files = [p for p in chain.landing.rglob("*") if p.is_file()]
    manifest = _count(chain.warehouse, "select count(distinct file_name) from raw.load_manifest")
    assert manifest == len(files)


def test_raw_students_loaded(chain: ChainRun) -> None:
    assert _count(chain.warehouse, "select count(*) from raw.students") > CHILDREN


def test_dim_student_has_one_row_per_national_id(chain: ChainRun) -> None:
    rows = _count(chain.warehouse, "select count(*) from marts.dim_student")
    ids = _count(chain.warehouse, "select count(distinct msix_id) from marts.dim_student")
    assert rows > 0
    assert rows == ids


def test_dbt_artifacts_are_kept_per_run(chain: ChainRun) -> None:
    runs = list((chain.warehouse.parent / "artifacts" / "dbt").iterdir())
    assert len(runs) == 1
    for layer in ("staging", "marts"):
        assert (runs[0] / layer / "run_results.json").is_file()


# --------------------------------------------------------------------------------- recovery


def _chain_process(
    airflow_home: Path, landing: Path, warehouse: Path, log: Path
) -> subprocess.Popen:
    """`python -m msix.orchestration.local` in a child process, its output into `log`."""
    env = {
        **os.environ,
        "MSIX_LANDING": str(landing),
        "MSIX_WAREHOUSE": str(warehouse),
        "MSIX_TASK_RETRIES": "0",
    }
    command = [sys.executable, "-m", "msix.orchestration.local"]
    command += ["--airflow-home", str(airflow_home), "--logical-date", CLOCK.isoformat()]
    with log.open("w") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _wait_for(proc: subprocess.Popen, ready: Callable[[], bool], log: Path, limit_s: float) -> None:
    """Poll until `ready()` (then the caller kills the process); fail if the run ends first."""
    deadline = time.monotonic() + limit_s
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before the kill point:\n{_tail(log)}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the kill point was never reached:\n{_tail(log)}")
        time.sleep(0.05)


def _tables(warehouse: Path, schemas: tuple[str, ...]) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            f" where table_schema in {schemas!r} order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def _differences(expected: Path, actual: Path, schemas: tuple[str, ...]) -> list[str]:
    """Tables whose rows differ (as multisets, wall-clock columns left out)."""
    tables = _tables(expected, schemas)
    assert tables == _tables(actual, schemas)
    differing = []
    with duckdb.connect() as con:
        con.execute(f"attach '{expected}' as a (read_only)")
        con.execute(f"attach '{actual}' as b (read_only)")
        for table in tables:
            schema, name = table.split(".")
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_catalog = 'a'"
                    " and table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if r[0] not in VOLATILE_COLUMNS
            ]
            cols = ", ".join(f'"{c}"' for c in columns)
            (extra,) = con.execute(
                f"select count(*) from (select {cols} from a.{table} except all"
                f" select {cols} from b.{table})"
            ).fetchone()
            (missing,) = con.execute(
                f"select count(*) from (select {cols} from b.{table} except all"
                f" select {cols} from a.{table})"
            ).fetchone()
            if extra or missing:
                differing.append(f"{table}: {extra} rows only uninterrupted, {missing} only rerun")
    return differing


FILES_BEFORE_KILL = 20


def _files_committed(log: Path) -> int:
    """Files the child process has committed so far (the loader logs each after its commit)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if "msix.loaders" in line and "loaded " in line)


KILL_POINTS: dict[str, Callable[[Path], bool]] = {
    "during_ingest": lambda log: _files_committed(log) >= FILES_BEFORE_KILL,
}
"""When to SIGKILL the run: ingestion has committed some files and has many more to load; dbt,
identity and quality have not run yet."""


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_killed_run_then_rerun_matches_uninterrupted_run(
    chain: ChainRun, tmp_path: Path, kill_point: str
) -> None:
    warehouse = tmp_path / "warehouse" / "msix.duckdb"
    airflow_home = tmp_path / "airflow"

    killed_log = tmp_path / "killed.log"
    proc = _chain_process(airflow_home, chain.landing, warehouse, killed_log)
    _wait_for(proc, lambda: KILL_POINTS[kill_point](killed_log), killed_log, 600)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    files = sum(1 for p in chain.landing.rglob("*") if p.is_file())
    loaded = _count(warehouse, "select count(*) from raw.load_manifest")
    assert 0 < loaded < files, "the kill did not land in the middle of ingestion"

    rerun = _chain_process(airflow_home, chain.landing, warehouse, tmp_path / "rerun.log")
    assert rerun.wait(timeout=900) == 0, _tail(tmp_path / "rerun.log")
    assert _differences(chain.warehouse, warehouse, ("raw", "identity", "marts")) == []
