"""Shared core of the migrant student record exchange warehouse.

Settings, paths, the DuckDB connection, PII-safe logging, the dbt runner and the pipeline
task functions that both the CLI and the Airflow DAGs call.
"""

__version__ = "0.1.0"
