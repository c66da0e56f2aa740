"""Airflow DAG msix_transform (built in msix.orchestration.factory; see docs/operations.md)."""

from msix.orchestration.factory import build_transform_dag

dag = build_transform_dag()
