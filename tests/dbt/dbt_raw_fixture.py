"""Handcrafted raw and identity tables for building the dbt project without the loaders.

The raw and identity tables are created by their owners' own DDL (`loaders.schema`,
`identity.store`), so these fixtures follow what the loaders and identity resolution write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from identity.store import ensure_schema as ensure_identity_schema
from loaders.schema import ensure_schema as ensure_raw_schema


def create_empty_warehouse(warehouse: Path) -> None:
    """Create the raw and identity tables, empty, in a new warehouse file."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        ensure_raw_schema(con)
        catalog = con.execute("select current_database()").fetchone()[0]
        ensure_identity_schema(con, catalog)
    finally:
        con.close()


def append_rows(warehouse: Path, table: str, rows: Iterable[Mapping[str, object]]) -> None:
    """Append rows (dicts, missing columns NULL) to `schema.table` in one bulk insert."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return
    con = duckdb.connect(str(warehouse))
    try:
        con.register("incoming", frame)
        con.execute(f"insert into {table} by name select * from incoming")
        con.unregister("incoming")
    finally:
        con.close()


def query(warehouse: Path, sql: str) -> list[tuple]:
    """Rows of one query against the warehouse (read-write: dbt may still hold the file in-process)."""
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def lineage(state: str, stamp: str, load_id: str, line_no: int) -> dict[str, object]:
    """The lineage columns of one raw row; stamp as `YYYY-MM-DD hh:mm:ss`."""
    return {
        "load_id": load_id,
        "file_name": f"{state}_{load_id}.csv",
        "line_no": line_no,
        "state": state,
        "stamp": stamp,
    }


def student_row(
    state: str, stamp: str, load_id: str, line_no: int, state_student_id: str, **fields: object
) -> dict[str, object]:
    """A raw.students row with plausible required fields, overridden by `fields`."""
    row: dict[str, object] = {
        **lineage(state, stamp, load_id, line_no),
        "state_student_id": state_student_id,
        "action": "U",
        "first_name": "Rosa",
        "last_name_1": "Garcia",
        "sex": "F",
        "birth_date": "2010-05-01",
        "multiple_birth": "N",
    }
    row.update(fields)
    return row


def child_row(
    state: str, stamp: str, load_id: str, line_no: int, state_student_id: str, **fields: object
) -> dict[str, object]:
    """A raw child-record row (moves, enrollments, courses, assessments): lineage + fields."""
    return {
        **lineage(state, stamp, load_id, line_no),
        "state_student_id": state_student_id,
        **fields,
    }
