"""Airflow DAG msix_quality (built in msix.orchestration.factory; see docs/operations.md)."""

from msix.orchestration.factory import build_quality_dag

dag = build_quality_dag()
