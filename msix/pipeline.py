"""The pipeline's task functions: the only code the CLI (`msix run`) and the Airflow DAGs call.

Each step opens the warehouse, does one job, closes the connection and returns a small summary
(counts only, never PII) that fits in an XCom. The order is `STEPS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from msix.dbt import run_dbt
from msix.logs import get_logger
from msix.settings import Settings

log = get_logger("pipeline")


@dataclass
class StepSummary:
    """What one step did, as counts and short notes (never values from student rows)."""

    step: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"step": self.step, "counts": dict(self.counts), "notes": list(self.notes)}

    def line(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        return f"{self.step}: {counts}" + (f" ({'; '.join(self.notes)})" if self.notes else "")


def ingest(settings: Settings, landing: Path, states: list[str] | None = None) -> StepSummary:
    """Load every new file of the landing folder (or of `states`) into `raw.*` (loaders/), all
    states in one run; when it fails, the other states are still loaded before it raises."""
    from loaders.ingest import ingest_states

    report = ingest_states(
        landing, settings.warehouse, layouts_dir=settings.layouts_dir, states=states
    )
    return StepSummary("ingest", report.counts(), report.notes())


# dbt's unit tests check the SQL, not the data: `make test` runs them (tests/dbt), production
# builds leave them out, as dbt's documentation advises.
WITHOUT_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def staging_build_args(full_refresh: bool = False) -> list[str]:
    """The dbt command of the staging phase: staging and intermediate models and their tests."""
    args = ["build", "--select", "staging", "intermediate", *WITHOUT_UNIT_TESTS]
    return [*args, "--full-refresh"] if full_refresh else args


def marts_build_args(full_refresh: bool = False) -> list[str]:
    """The dbt command of the marts phase: everything after identity (marts, snapshots, tests)."""
    args = ["build", "--exclude", "staging", "intermediate", *WITHOUT_UNIT_TESTS]
    return [*args, "--full-refresh"] if full_refresh else args


def transform_staging(
    settings: Settings, run_id: str = "adhoc", full_refresh: bool = False
) -> StepSummary:
    """dbt build of staging and intermediate: the current state of every state's records."""
    results = run_dbt(
        staging_build_args(full_refresh),
        settings.warehouse,
        target_path=_dbt_target(settings, run_id, "staging"),
    )
    return StepSummary("transform_staging", {"nodes": len(results)})


def resolve_identities(settings: Settings, run_date: datetime | None = None) -> StepSummary:
    """Assign national IDs (identity/): score, cluster, honour decisions."""
    from identity.resolve import resolve

    report = resolve(settings, run_date=run_date)
    return StepSummary("resolve_identities", report.counts(), report.notes())


def transform_marts(
    settings: Settings, run_id: str = "adhoc", full_refresh: bool = False
) -> StepSummary:
    """dbt build of everything after identity: marts, snapshots and their tests."""
    results = run_dbt(
        marts_build_args(full_refresh),
        settings.warehouse,
        target_path=_dbt_target(settings, run_id, "marts"),
        vars_={"min_cell_size": settings.min_cell_size},
    )
    return StepSummary("transform_marts", {"nodes": len(results)})


def check_quality(settings: Settings, data_interval_end: datetime | None = None) -> StepSummary:
    """Great Expectations suites and finding rules into `marts.dq_issue` (quality/)."""
    from quality.run import run_quality

    report = run_quality(settings, as_of=data_interval_end)
    return StepSummary("check_quality", report.counts(), report.notes())


def send_alerts(settings: Settings, data_interval_end: datetime | None = None) -> StepSummary:
    """One digest per approved coordinator: new or changed findings and move notices (alerts/)."""
    from alerts.deliver import deliver_digests

    report = deliver_digests(settings, as_of=data_interval_end)
    return StepSummary("send_alerts", report.counts(), report.notes())


def build_reports(settings: Settings) -> StepSummary:
    """The static report site beside the warehouse (reports/)."""
    from reports.site import build_site

    report = build_site(settings)
    return StepSummary("build_reports", report.counts(), report.notes())


def generate_docs(settings: Settings) -> Path:
    """`dbt docs generate` beside the warehouse (the report site links the newest one)."""
    target = settings.artifacts_dir / "dbt" / "docs"
    run_dbt(["docs", "generate"], settings.warehouse, target_path=target)
    return target / "index.html"


def _dbt_target(settings: Settings, run_id: str, layer: str) -> Path:
    safe_run = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return settings.artifacts_dir / "dbt" / safe_run / layer


STEPS = (
    "ingest",
    "transform_staging",
    "resolve_identities",
    "transform_marts",
    "check_quality",
    "send_alerts",
    "build_reports",
)
