"""The Assets that link the DAGs: each DAG runs when the data it reads has changed.

    msix_ingest (schedule) ─→ RAW ─→ msix_transform ─→ MARTS ─→ msix_quality ─→ QUALITY ─→ msix_reports

Every event carries `extra` with the run clock (`as_of`, ISO 8601) and `full_refresh`, so a
downstream run uses the same clock as the run that produced its input.
"""

from __future__ import annotations

from airflow.sdk import Asset

RAW = Asset("msix://warehouse/raw")
"""`raw.*` received new rows (or a full refresh was asked for)."""

MARTS = Asset("msix://warehouse/marts")
"""`staging`/`intermediate`, `identity.*` and `marts.*` were rebuilt."""

QUALITY = Asset("msix://warehouse/quality")
"""`marts.dq_issue` and the quality history were refreshed."""

REPORTS = Asset("msix://warehouse/reports")
"""The static report site was rebuilt."""
