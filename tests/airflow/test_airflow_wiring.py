"""The DAGs call the pipeline steps with the right arguments (dag.test, steps replaced by fakes).

The real steps run in test_airflow_end_to_end.py; here each step only records its call, so the
test shows what the DAGs pass: the states with files to one ingest, the run clock, the full-refresh switch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from msix import pipeline
from msix.orchestration import local
from msix.pipeline import StepSummary

CLOCK = datetime(2026, 3, 2, 6, tzinfo=UTC)


@pytest.fixture
def calls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, airflow_db: None
) -> list[tuple[str, tuple, dict]]:
    """Replace every step with a recorder; a landing folder with TX, FL (files) and OR (empty)."""
    recorded: list[tuple[str, tuple, dict]] = []
    rows = {"n": 5}

    def fake(name: str):
        def step(*args: object, **kwargs: object) -> StepSummary:
            recorded.append((name, args[1:], kwargs))
            return StepSummary(name, {"rows_loaded": rows["n"]} if name == "ingest" else {})

        return step

    for name in pipeline.STEPS:
        monkeypatch.setattr(pipeline, name, fake(name))
    for state in ("TX", "FL", "OR"):
        (tmp_path / "landing" / state).mkdir(parents=True)
    (tmp_path / "landing" / "TX" / "TX_students.csv").write_text("x\n")
    (tmp_path / "landing" / "FL" / "FL_students.csv").write_text("x\n")
    monkeypatch.setenv("MSIX_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("MSIX_WAREHOUSE", str(tmp_path / "warehouse" / "msix.duckdb"))
    recorded.append(("rows", (), rows))
    return recorded


def _steps(calls: list[tuple[str, tuple, dict]]) -> list[tuple[str, tuple, dict]]:
    return [c for c in calls if c[0] != "rows"]


def test_chain_runs_every_step_keyed_on_the_run_clock(calls) -> None:
    outcomes = local.run_chain(CLOCK, {"full_refresh": True})
    assert [o.state for o in outcomes] == ["success"] * 4
    steps = _steps(calls)
    ingests = [kwargs["states"] for name, _, kwargs in steps if name == "ingest"]
    assert ingests == [["FL", "TX"]]  # one task for the state folders with files
    by_name = {name: kwargs for name, _, kwargs in steps if name != "ingest"}
    assert by_name["resolve_identities"] == {"run_date": CLOCK}
    assert by_name["check_quality"] == {"data_interval_end": CLOCK}
    assert by_name["send_alerts"] == {"data_interval_end": CLOCK}
    assert by_name["transform_staging"]["full_refresh"] is True
    assert by_name["transform_marts"]["full_refresh"] is True
    assert "build_reports" in by_name


def test_states_param_narrows_ingestion(calls) -> None:
    outcomes = local.run_chain(CLOCK, {"states": ["tx"]}, dag_ids=["msix_ingest"])
    assert outcomes[0].state == "success"
    ingests = [kwargs["states"] for name, _, kwargs in _steps(calls) if name == "ingest"]
    assert ingests == [["TX"]]


def test_no_new_rows_publishes_no_raw_event(calls) -> None:
    calls[0][2]["n"] = 0  # every ingest reports rows_loaded=0
    outcomes = local.run_chain(CLOCK, {}, dag_ids=["msix_ingest"])
    assert outcomes[0].tasks["publish_raw"] == "skipped"


def test_project_creates_its_one_slot_pool(airflow_db: None) -> None:
    from airflow.models.pool import Pool

    from msix.orchestration import policy

    local.ensure_pool()
    pool = Pool.get_pool(policy.POOL)
    assert pool is not None
    assert pool.slots == 1


def test_metadata_db_is_migrated_again_only_for_another_airflow_or_revision(
    airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import airflow
    from airflow.models.pool import Pool
    from airflow.utils import db

    from msix.orchestration import policy

    migrations: list[int] = []
    real_initdb = db.initdb
    monkeypatch.setattr(db, "initdb", lambda **kw: migrations.append(1) or real_initdb(**kw))
    local.prepare_metadata_db()  # the session's database was migrated and stamped
    assert migrations == []
    stamp = local._stamp_path()
    stamp.write_text(stamp.read_text().replace(airflow.__version__, "0.0.0"))
    local.prepare_metadata_db()
    assert migrations == [1]
    stamp.write_text(stamp.read_text().replace('"revision": "', '"revision": "0'))
    local.prepare_metadata_db()
    local.prepare_metadata_db()
    assert migrations == [1, 1]
    assert Pool.get_pool(policy.POOL) is not None


def test_the_chain_process_freezes_its_objects_before_exiting(calls) -> None:
    import gc
    import os

    gc.unfreeze()
    try:
        argv = ["--airflow-home", os.environ["AIRFLOW_HOME"], "--logical-date", CLOCK.isoformat()]
        assert local.main(argv) == 0
        assert gc.get_freeze_count() > 10_000  # Airflow's modules, classes and schemas
    finally:
        gc.unfreeze()
