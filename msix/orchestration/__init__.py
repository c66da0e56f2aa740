"""Airflow wiring for the pipeline: Assets, pool, task defaults, the DAG factory, local runs.

The DAG files in `dags/` only call the builders in `factory`; every task calls one function of
`msix.pipeline`. Nothing here imports DuckDB, dbt or Splink at module level, so DAG parsing
stays fast.
"""
