"""Ingestion: state submission files (CSV, XML, per-state layouts) into DuckDB raw tables."""
