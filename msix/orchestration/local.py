"""Run the DAGs in this process: the project-local Airflow home, its database, the pool, and
`run_chain`, which runs the four DAGs with `dag.test()` in Asset order (the demo and the tests).

Airflow reads AIRFLOW_HOME when it is first imported, so `use_airflow_home` must run before
anything imports `airflow`; this module imports Airflow only inside its functions.

Run as `python -m msix.orchestration.local` to do one full chain run in a fresh process (the
recovery test kills such a process in the middle and starts it again).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from msix import paths
from msix.logs import get_logger
from msix.orchestration import policy

log = get_logger("airflow")


def use_airflow_home(home: Path = paths.DEFAULT_AIRFLOW_HOME) -> Path:
    """Point Airflow at `home`, this repository's DAG folder and no example DAGs (via env)."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(home):
        log.warning("airflow already imported with AIRFLOW_HOME=%s", os.environ.get("AIRFLOW_HOME"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(paths.DAGS_DIR)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    return home


METADATA_STAMP = "msix-metadata-db.json"
"""In AIRFLOW_HOME: the Airflow version and schema revision `prepare_metadata_db` last migrated
the metadata database to, and which database (a digest of its connection string)."""


def prepare_metadata_db() -> None:
    """Create or migrate Airflow's metadata database (`airflow db migrate`) and the pool.

    A database this Airflow version already migrated (the stamp in AIRFLOW_HOME names this
    version, this database and the revision the database is at) is not migrated again: the
    migration check loads every Alembic script, ~1-2.5 s of each chain run's start-up. The
    default pool and the log template, which migrating also keeps, are still checked."""
    from airflow.utils import db

    stamp, path = _metadata_stamp(), _stamp_path()
    recorded = path.read_text(encoding="utf-8") if path.is_file() else None
    if recorded == stamp and json.loads(stamp)["revision"]:
        db.add_default_pool_if_not_exists()
        db.synchronize_log_template()
    else:
        db.initdb()
        path.write_text(_metadata_stamp(), encoding="utf-8")  # the revision migrated to
    ensure_pool()


def _stamp_path() -> Path:
    from airflow.configuration import AIRFLOW_HOME

    return Path(AIRFLOW_HOME) / METADATA_STAMP


def _metadata_stamp() -> str:
    """This Airflow's version, a digest of the database URL and the database's revision ('' when
    it has none, e.g. a new database)."""
    import airflow
    from airflow import settings
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with settings.engine.connect() as connection:
            revisions = connection.execute(text("select version_num from alembic_version"))
            revision = ",".join(sorted(str(row[0]) for row in revisions))
    except SQLAlchemyError:
        revision = ""
    url = hashlib.sha256(str(settings.SQL_ALCHEMY_CONN).encode()).hexdigest()
    return json.dumps({"airflow": airflow.__version__, "database": url, "revision": revision})


def ensure_pool() -> None:
    """Create (or resize) the one-slot `msix_warehouse` pool in the metadata database."""
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        policy.POOL, policy.POOL_SLOTS, policy.POOL_DESCRIPTION, include_deferred=False
    )


@dataclass(frozen=True)
class DagOutcome:
    dag_id: str
    state: str
    tasks: dict[str, str]

    def line(self) -> str:
        failed = [t for t, s in self.tasks.items() if s not in {"success", "skipped"}]
        return f"{self.dag_id}: {self.state}" + (
            f" (not ok: {', '.join(failed)})" if failed else ""
        )


# Libraries later tasks import, seconds each (Great Expectations most): the chain imports them
# in a thread while the ingest DAG runs, whose work (DuckDB, file reads) mostly releases the GIL.
HEAVY_IMPORTS = ("dbt.cli.main", "great_expectations", "splink")


def import_in_background(modules: Sequence[str] = HEAVY_IMPORTS) -> threading.Thread:
    """Start importing `modules` in a daemon thread; a failed import is left to the task that
    needs the module, which then raises it in its own log.

    The imports build ~0.9 M long-lived objects (modules, classes, functions). While they run,
    garbage collection is paused: each full collection would walk all of them again, ~2 s of
    GIL-holding CPU at the chain's start-up. Afterwards they are frozen (`gc.freeze`), so that
    the collections during the run skip them, and collection resumes."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    collecting = gc.isenabled()
    gc.disable()

    def load() -> None:
        try:
            for module in modules:
                try:
                    importlib.import_module(module)
                except Exception:  # noqa: BLE001 - the task importing it reports it
                    log.debug("background import of %s failed", module)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()

    thread = threading.Thread(target=load, name="msix-imports", daemon=True)
    thread.start()
    return thread


def chain_dag_ids() -> tuple[str, ...]:
    """The DAG ids in Asset order."""
    from msix.orchestration.factory import DAG_IDS

    return DAG_IDS


def run_chain(
    logical_date: datetime,
    conf: dict[str, Any] | None = None,
    dag_ids: Sequence[str] | None = None,
) -> list[DagOutcome]:
    """Run the DAGs one after another with `dag.test()`, stopping at the first failed one.

    All runs share `logical_date`, so every step keys on the same clock; `conf` sets params
    (`full_refresh`, `states`). Reruns with the same date clear and repeat the same runs.
    """
    from airflow.dag_processing.dagbag import DagBag

    import_in_background()
    bag = DagBag(dag_folder=str(paths.DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG files failed to import: {sorted(bag.import_errors)}")
    outcomes: list[DagOutcome] = []
    for dag_id in dag_ids or chain_dag_ids():
        dag = bag.dags[dag_id]
        params = {k: v for k, v in (conf or {}).items() if k in dag.params}
        run = dag.test(logical_date=logical_date, run_conf=params)
        tasks = {
            ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
            for ti in run.get_task_instances()
        }
        outcome = DagOutcome(dag_id, str(run.state), tasks)
        log.info(outcome.line())
        outcomes.append(outcome)
        if outcome.state != "success":
            break
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    """One chain run in this process: `--airflow-home`, `--logical-date`, `--full-refresh`."""
    parser = argparse.ArgumentParser(prog="python -m msix.orchestration.local")
    parser.add_argument("--airflow-home", type=Path, default=paths.DEFAULT_AIRFLOW_HOME)
    parser.add_argument("--logical-date", default="2026-01-01T06:00:00+00:00")
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--states", nargs="*", default=[])
    args = parser.parse_args(argv)
    use_airflow_home(args.airflow_home)
    from msix import logs

    logs.configure()
    prepare_metadata_db()
    logical_date = datetime.fromisoformat(args.logical_date).astimezone(UTC)
    outcomes = run_chain(
        logical_date,
        {"full_refresh": args.full_refresh, "states": list(args.states)},
    )
    for outcome in outcomes:
        print(outcome.line())
    ok = len(outcomes) > 0 and all(o.state == "success" for o in outcomes)
    # the interpreter's shutdown collects garbage several times over every object (~1.2 M with
    # Airflow, dbt and Great Expectations loaded): frozen (`gc.freeze`), they are skipped. At 1 M
    # children the exit took 3.2-8.5 s, frozen 0.2-0.4 s; atexit handlers still run.
    gc.freeze()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
