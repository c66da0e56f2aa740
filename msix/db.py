"""The one way to open the DuckDB warehouse.

DuckDB allows one writing process at a time. Writers go through `connect()` (and, in Airflow,
through the one-slot `msix_warehouse` pool); readers use `connect(read_only=True)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def connect(warehouse: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, creating its folder for a writer."""
    if not read_only:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(warehouse), read_only=read_only)


@contextmanager
def session(warehouse: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is always closed, so the next writer (dbt, another task) can open the file."""
    con = connect(warehouse, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when `schema.name` is a table or view in the open warehouse."""
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()  # fetchall: DuckDB 2 refuses register()/sql() while a result is unfinished
    return bool(rows and rows[0][0])
