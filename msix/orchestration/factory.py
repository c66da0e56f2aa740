"""The four msix DAGs, built here so that the files in `dags/` stay one line each.

    msix_ingest     hourly: list states with files, load them in one `ingest_states` task,
                    publish `RAW` when rows were loaded
    msix_transform  on `RAW`: dbt staging+intermediate, identity resolution, dbt marts → `MARTS`
    msix_quality    on `MARTS`: quality checks (→ `QUALITY`), then alert digests
    msix_reports    on `QUALITY`: the report site (it shows the quality findings) → `REPORTS`

Every task calls exactly one function of `msix.pipeline`; every task that opens the warehouse
runs in the one-slot pool `msix_warehouse`. Settings (MSIX_*) are read when a task runs, never
when the file is parsed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from msix import logs
from msix.orchestration import assets, policy, runtime

START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
INGEST_SCHEDULE = "0 * * * *"
"""Ingestion looks for new files at the top of every hour (data interval: the past hour)."""

DAG_IDS = ("msix_ingest", "msix_transform", "msix_quality", "msix_reports")
"""The DAGs in Asset order: running them one after another is one full pipeline run."""

TAGS = ["msix"]

FULL_REFRESH_PARAM = Param(
    False,
    type="boolean",
    description="Rebuild every dbt model from raw history (dbt --full-refresh); "
    "passed on to the downstream DAGs through the Asset event.",
)


def _step(name: str, call: Callable[[], Any]) -> dict[str, object]:
    """Run one pipeline step, log its counts and duration, return its summary for XCom."""
    logs.quiet_libraries()  # a scheduler's task process has not run logs.configure()
    started = time.perf_counter()
    summary = call()
    policy.log.info("%s in %.1fs", summary.line(), time.perf_counter() - started)
    return summary.as_dict()


def _settings():
    from msix.settings import get_settings

    return get_settings()


def _publish(asset, clock: datetime, refresh: bool) -> None:
    """Attach the run clock to this task's event on `asset`."""
    context = get_current_context()
    context["outlet_events"][asset].extra = runtime.event_extra(clock, refresh)


# ---------------------------------------------------------------------------------- msix_ingest


@task(execution_timeout=policy.SMALL_TASK_TIMEOUT)
def find_states() -> list[str]:
    """States of the landing folder that have files (narrowed by the `states` param)."""
    context = get_current_context()
    landing = _settings().landing
    states = runtime.landing_states(landing, runtime.wanted_states(context["params"]))
    policy.log.info("landing %s: %d state folder(s) with files: %s", landing, len(states), states)
    return states


@task(pool=policy.POOL, execution_timeout=policy.TIMEOUTS["ingest"])
def ingest_states(states: list[str]) -> dict[str, object]:
    """Load the new files of these states into `raw.*` in one run: one connection and one
    checkpoint for all of them (already loaded files are skipped). When the run fails, each
    state is loaded again on its own before the task fails, so a failing state keeps no other
    state's files out (loaders.ingest.ingest_states)."""
    from msix import pipeline

    if not states:
        raise AirflowSkipException("no state folder with files")
    settings = _settings()
    summary = _step("ingest", lambda: pipeline.ingest(settings, settings.landing, states=states))
    # a failed try may have committed files that this retry then finds unchanged
    summary[runtime.RETRIED] = get_current_context()["ti"].try_number > 1
    return summary


@task(outlets=[assets.RAW], execution_timeout=policy.SMALL_TASK_TIMEOUT)
def publish_raw(summary: dict[str, object]) -> dict[str, object]:
    """Emit the `RAW` event when rows were loaded (`runtime.loaded_anything`: a retried ingest
    counts) or a full refresh was asked for; else skip."""
    context = get_current_context()
    refresh = runtime.full_refresh(context)
    if not refresh and not runtime.loaded_anything([summary]):
        raise AirflowSkipException("no new rows in any state: downstream DAGs not triggered")
    clock = runtime.run_clock(context)
    _publish(assets.RAW, clock, refresh)
    policy.log.info("published %s as of %s", assets.RAW.uri, clock)
    return {"as_of": clock.isoformat(), "full_refresh": refresh}


def build_ingest_dag() -> DAG:
    """msix_ingest: hourly, one ingest task for the state folders with files."""

    @dag(
        dag_id="msix_ingest",
        schedule=CronDataIntervalTimetable(INGEST_SCHEDULE, timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=policy.default_args(),
        tags=TAGS,
        params={
            "full_refresh": FULL_REFRESH_PARAM,
            "states": Param(
                [],
                type="array",
                items={"type": "string"},
                description="Only these states (USPS codes); empty means every state folder.",
            ),
        },
        doc_md=__doc__,
    )
    def msix_ingest() -> None:
        publish_raw(ingest_states(find_states()))

    return msix_ingest()


# ------------------------------------------------------------------------------- msix_transform


@task(pool=policy.POOL, execution_timeout=policy.TIMEOUTS["transform_staging"])
def transform_staging() -> dict[str, object]:
    """dbt build of staging and intermediate; artifacts under artifacts/dbt/<run_id>/staging."""
    from msix import pipeline

    context = get_current_context()
    refresh = runtime.full_refresh(context)
    return _step(
        "transform_staging",
        lambda: pipeline.transform_staging(_settings(), context["run_id"], full_refresh=refresh),
    )


@task(pool=policy.POOL, execution_timeout=policy.TIMEOUTS["resolve_identities"])
def resolve_identities() -> dict[str, object]:
    """National IDs for every record, as of the run clock."""
    from msix import pipeline

    clock = runtime.run_clock(get_current_context())
    return _step(
        "resolve_identities", lambda: pipeline.resolve_identities(_settings(), run_date=clock)
    )


@task(
    pool=policy.POOL,
    execution_timeout=policy.TIMEOUTS["transform_marts"],
    outlets=[assets.MARTS],
)
def transform_marts() -> dict[str, object]:
    """dbt build of the marts (models and tests); publishes `MARTS` with the run clock."""
    from msix import pipeline

    context = get_current_context()
    refresh = runtime.full_refresh(context)
    summary = _step(
        "transform_marts",
        lambda: pipeline.transform_marts(_settings(), context["run_id"], full_refresh=refresh),
    )
    _publish(assets.MARTS, runtime.run_clock(context), refresh)
    return summary


def build_transform_dag() -> DAG:
    """msix_transform: runs when `RAW` changes."""

    @dag(
        dag_id="msix_transform",
        schedule=[assets.RAW],
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=policy.default_args(),
        tags=TAGS,
        params={"full_refresh": FULL_REFRESH_PARAM},
        doc_md=__doc__,
    )
    def msix_transform() -> None:
        transform_staging() >> resolve_identities() >> transform_marts()

    return msix_transform()


# --------------------------------------------------------------------------------- msix_quality


@task(
    pool=policy.POOL,
    execution_timeout=policy.TIMEOUTS["check_quality"],
    outlets=[assets.QUALITY],
)
def check_quality() -> dict[str, object]:
    """Great Expectations suites and finding rules as of the run clock; publishes `QUALITY`."""
    from msix import pipeline

    context = get_current_context()
    clock = runtime.run_clock(context)
    summary = _step(
        "check_quality", lambda: pipeline.check_quality(_settings(), data_interval_end=clock)
    )
    _publish(assets.QUALITY, clock, runtime.full_refresh(context))
    return summary


@task(pool=policy.POOL, execution_timeout=policy.TIMEOUTS["send_alerts"])
def send_alerts() -> dict[str, object]:
    """Coordinator digests of findings and moves new as of the run clock."""
    from msix import pipeline

    clock = runtime.run_clock(get_current_context())
    return _step("send_alerts", lambda: pipeline.send_alerts(_settings(), data_interval_end=clock))


def build_quality_dag() -> DAG:
    """msix_quality: runs when `MARTS` changes."""

    @dag(
        dag_id="msix_quality",
        schedule=[assets.MARTS],
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=policy.default_args(),
        tags=TAGS,
        doc_md=__doc__,
    )
    def msix_quality() -> None:
        check_quality() >> send_alerts()

    return msix_quality()


# --------------------------------------------------------------------------------- msix_reports


@task(
    pool=policy.POOL,
    execution_timeout=policy.TIMEOUTS["build_reports"],
    outlets=[assets.REPORTS],
)
def build_reports() -> dict[str, object]:
    """The static report site beside the warehouse (reads the warehouse read-only)."""
    from msix import pipeline

    context = get_current_context()
    summary = _step("build_reports", lambda: pipeline.build_reports(_settings()))
    _publish(assets.REPORTS, runtime.run_clock(context), runtime.full_refresh(context))
    return summary


def build_reports_dag() -> DAG:
    """msix_reports: runs when `QUALITY` changes."""

    @dag(
        dag_id="msix_reports",
        schedule=[assets.QUALITY],
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=policy.default_args(),
        tags=TAGS,
        doc_md=__doc__,
    )
    def msix_reports() -> None:
        build_reports()

    return msix_reports()
