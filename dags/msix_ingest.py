"""Airflow DAG msix_ingest (built in msix.orchestration.factory; see docs/operations.md)."""

from msix.orchestration.factory import build_ingest_dag

dag = build_ingest_dag()
