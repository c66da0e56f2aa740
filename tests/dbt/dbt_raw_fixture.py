"""Handcrafted raw and identity tables for building the dbt project without the loaders.

The raw tables are the loaders' own (`loaders.schema.ensure_schema`); the identity tables follow
docs/architecture.md ("Identity layer") until identity/ publishes its DDL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from loaders.schema import ensure_schema

IDENTITY_DDL: dict[str, str] = {
    "xwalk": "state varchar, state_student_id varchar, msix_id varchar, match_method varchar,"
    " assigned_at timestamp",
    "national_ids": "msix_id varchar, status varchar, merged_into varchar, issued_at timestamp,"
    " retired_at timestamp",
    "near_matches": "pair_id varchar, state_l varchar, state_student_id_l varchar,"
    " state_r varchar, state_student_id_r varchar, match_probability double,"
    " agreeing_fields varchar[], disagreeing_fields varchar[], first_seen timestamp,"
    " status varchar",
    "decisions": "decision_id varchar, decision varchar, state_l varchar,"
    " state_student_id_l varchar, state_r varchar, state_student_id_r varchar,"
    " msix_id varchar, decided_by varchar, decided_at timestamp, reason varchar",
}


def create_empty_warehouse(warehouse: Path) -> None:
    """Create the raw and identity tables, empty, in a new warehouse file."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        ensure_schema(con)
        con.execute("create schema if not exists identity")
        for table, ddl in IDENTITY_DDL.items():
            con.execute(f"create table identity.{table} ({ddl})")
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
