"""Small DuckDB helpers shared by the identity modules."""

from __future__ import annotations

from typing import Any

import duckdb


class MissingInput(RuntimeError):
    """A relation identity resolution reads is not built yet (the message names it)."""


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row (or None); fetches everything so the result is closed."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> None:
    """Run a statement and drain its result so the connection is free for the next one."""
    con.execute(sql, params or []).fetchall()
