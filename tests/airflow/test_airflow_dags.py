"""The DAG folder imports cleanly and the DAGs have the promised shape."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset, CronDataIntervalTimetable

from msix import paths
from msix.orchestration import assets, policy
from msix.orchestration.factory import DAG_IDS

WRITERS = {
    "msix_ingest": {"ingest_states"},
    "msix_transform": {"transform_staging", "resolve_identities", "transform_marts"},
    "msix_quality": {"check_quality", "send_alerts"},
    "msix_reports": {"build_reports"},
}
"""Tasks that open the warehouse file (build_reports reads it, but a DuckDB reader cannot open a
file another process writes, so it queues on the pool too)."""

EDGES = {
    "msix_ingest": {("find_states", "ingest_states"), ("ingest_states", "publish_raw")},
    "msix_transform": {
        ("transform_staging", "resolve_identities"),
        ("resolve_identities", "transform_marts"),
    },
    "msix_quality": {("check_quality", "send_alerts")},
    "msix_reports": set(),
}


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(paths.DAGS_DIR))


def test_dag_folder_imports_without_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert sorted(bag.dags) == sorted(DAG_IDS)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_task_ids_and_dependencies(bag: DagBag, dag_id: str) -> None:
    dag = bag.dags[dag_id]
    edges = {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}
    assert edges == EDGES[dag_id]
    expected_tasks = {task for edge in EDGES[dag_id] for task in edge} | WRITERS[dag_id]
    assert {t.task_id for t in dag.tasks} == expected_tasks


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_warehouse_task_runs_in_the_one_slot_pool(bag: DagBag, dag_id: str) -> None:
    dag = bag.dags[dag_id]
    in_pool = {t.task_id for t in dag.tasks if t.pool == policy.POOL}
    assert in_pool == WRITERS[dag_id]
    assert all(t.pool_slots == 1 for t in dag.tasks)
    assert policy.POOL_SLOTS == 1


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_task_retries_with_backoff_timeout_and_notifier(bag: DagBag, dag_id: str) -> None:
    for t in bag.dags[dag_id].tasks:
        assert t.retries > 0, t.task_id
        assert t.retry_exponential_backoff, t.task_id
        assert t.max_retry_delay is not None, t.task_id
        assert t.execution_timeout is not None and t.execution_timeout > timedelta(0), t.task_id
        assert policy.notify_failure in _callbacks(t.on_failure_callback), t.task_id


def _callbacks(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def test_ingest_is_scheduled_hourly_without_catchup(bag: DagBag) -> None:
    dag = bag.dags["msix_ingest"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.expression == "0 * * * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_ingest_loads_every_state_in_one_task(bag: DagBag) -> None:
    # one connection and one checkpoint for all the states (docs/operations.md)
    task = bag.dags["msix_ingest"].get_task("ingest_states")
    assert not task.is_mapped


@pytest.mark.parametrize(
    ("dag_id", "trigger", "produces"),
    [
        ("msix_ingest", None, assets.RAW),
        ("msix_transform", assets.RAW, assets.MARTS),
        ("msix_quality", assets.MARTS, assets.QUALITY),
        ("msix_reports", assets.QUALITY, assets.REPORTS),
    ],
)
def test_assets_link_the_dags(
    bag: DagBag, dag_id: str, trigger: Asset | None, produces: Asset
) -> None:
    dag = bag.dags[dag_id]
    if trigger is not None:
        triggers = dag.timetable.asset_condition.objects
        assert [a.uri for a in triggers] == [trigger.uri]
    outlets = {o.uri for t in dag.tasks for o in t.outlets}
    assert outlets == {produces.uri}


def test_params_offer_full_refresh_and_a_subset_of_states(bag: DagBag) -> None:
    ingest = bag.dags["msix_ingest"].params
    assert ingest["full_refresh"] is False
    assert ingest["states"] == []
    assert bag.dags["msix_transform"].params["full_refresh"] is False


def test_dag_files_do_no_heavy_imports_at_parse_time() -> None:
    code = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(paths.DAGS_DIR)!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "heavy = sorted(m for m in ('duckdb', 'dbt', 'splink', 'great_expectations', 'pandas')"
        " if m in sys.modules)\n"
        "print('heavy:' + ','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "heavy:"
