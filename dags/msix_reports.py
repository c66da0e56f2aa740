"""Airflow DAG msix_reports (built in msix.orchestration.factory; see docs/operations.md)."""

from msix.orchestration.factory import build_reports_dag

dag = build_reports_dag()
