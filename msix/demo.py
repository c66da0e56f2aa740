"""`msix demo` (`make demo`): generate a small data set and run the real Airflow DAGs on it.

Airflow runs in this process (`dag.test()`, in Asset order) against its SQLite metadata database
under the project-local `.airflow/`; the warehouse is `warehouse/msix.duckdb` (or MSIX_WAREHOUSE).
Re-running is safe: the generated files are kept (`data/demo/generated.txt` records children and
seed), already loaded files are skipped by checksum, and the demo date's DAG runs are cleared
and repeated.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING

from msix import paths
from msix.orchestration import local

if TYPE_CHECKING:
    import duckdb

DEMO_DIR: Path = paths.DEFAULT_DATA_DIR / "demo"


def demo_clock() -> datetime:
    """The demo runs' logical date: 06:00 UTC three days after the generator's last submission.

    A fixed date (not today) keeps every re-run of the demo giving the same answers.
    """
    try:
        from generator.calendar import LAST_STAMP

        last: date = LAST_STAMP
    except ImportError:  # generator calendar not available: a fixed day of the data's range
        last = date(2026, 10, 30)
    return datetime.combine(last + timedelta(days=3), clock_time(6), tzinfo=UTC)


def run_demo(children: int = 2000, seed: int = 7) -> int:
    """Generate `children` children into data/demo, run the four DAGs, print where to look."""
    local.use_airflow_home(paths.DEFAULT_AIRFLOW_HOME)
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    landing = DEMO_DIR / "landing"
    os.environ["MSIX_LANDING"] = str(landing)

    from generator.write import generate
    from msix.settings import get_settings

    started = time.perf_counter()
    marker = DEMO_DIR / "generated.txt"
    wanted = f"children={children} seed={seed}"
    if landing.is_dir() and marker.is_file() and marker.read_text().strip() == wanted:
        print(f"reusing {landing} ({wanted}; `make clean` to start afresh)")
    else:
        print(f"generating {children} children (seed {seed}) into {landing}")
        print(generate(out=DEMO_DIR, children=children, seed=seed))
        marker.write_text(wanted + "\n")
    print(f"preparing Airflow under {os.environ['AIRFLOW_HOME']}")
    local.prepare_metadata_db()
    clock = demo_clock()
    print(f"running msix_ingest → msix_transform → msix_quality → msix_reports as of {clock}")
    outcomes = local.run_chain(clock, {"full_refresh": False, "states": []})
    for outcome in outcomes:
        print("  " + outcome.line())
    settings = get_settings()
    ok = len(outcomes) == len(local.chain_dag_ids()) and all(o.state == "success" for o in outcomes)
    if ok:  # dbt docs beside the warehouse, then the site again so it links them
        from msix import pipeline

        pipeline.generate_docs(settings)
        pipeline.build_reports(settings)
    print(warehouse_summary(settings.warehouse))
    print(f"warehouse:   {settings.warehouse}")
    print(f"reports:     {settings.reports_dir / 'index.html'}")
    print(f"outbox:      {settings.outbox_dir}")
    print(f"data docs:   {settings.artifacts_dir / 'data_docs' / 'index.html'}")
    print(f"dbt docs:    {settings.artifacts_dir / 'dbt' / 'docs' / 'index.html'}")
    print(f"dbt runs:    {settings.artifacts_dir / 'dbt'} (artifacts per Airflow run)")
    print(f"airflow:     AIRFLOW_HOME={os.environ['AIRFLOW_HOME']} (see docs/operations.md)")
    print(f"{'done' if ok else 'FAILED'} in {time.perf_counter() - started:.0f}s")
    return 0 if ok else 1


def warehouse_summary(warehouse: Path) -> str:
    """Row counts of the main tables, read-only; tables not built (yet) are left out."""
    from msix import db

    if not warehouse.exists():
        return "no warehouse file was written"
    tables = [
        ("raw", "load_manifest"),
        ("raw", "students"),
        ("raw", "quarantine"),
        ("identity", "national_ids"),
        ("marts", "dim_student"),
        ("marts", "dq_issue"),
    ]
    lines = ["loaded:"]
    with db.session(warehouse, read_only=True) as con:
        for schema, name in tables:
            if db.relation_exists(con, schema, name):
                (count,) = con.execute(f"select count(*) from {schema}.{name}").fetchone()
                lines.append(f"  {schema}.{name}: {count} rows{_by_status(con, schema, name)}")
    return "\n".join(lines)


def _by_status(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> str:
    """For the manifest: how many files were loaded, rejected or duplicates."""
    if (schema, name) != ("raw", "load_manifest"):
        return ""
    rows = con.execute(
        "select status, count(*) from raw.load_manifest group by status order by status"
    ).fetchall()
    return " (" + ", ".join(f"{status} {count}" for status, count in rows) + ")"
