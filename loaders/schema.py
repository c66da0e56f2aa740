"""The raw layer's tables (docs/architecture.md, "Raw layer"), created from the contract.

Append-only tables `raw.<record type>` with lineage columns, typed contract columns and `extra`;
`raw.quarantine` for rows that break the contract; `raw.load_manifest`, one row per distinct
file seen.
"""

from __future__ import annotations

import duckdb

from loaders.contract import COLUMNS, RECORD_TYPES, Column

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "varchar not null"),
    ("file_name", "varchar not null"),
    ("line_no", "integer not null"),
    ("state", "varchar not null"),
    ("stamp", "timestamp not null"),
)

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "varchar not null"),
    ("file_name", "varchar not null"),
    ("record_type", "varchar not null"),
    ("line_no", "integer not null"),
    ("state", "varchar not null"),
    ("state_student_id", "varchar"),
    ("field", "varchar"),
    ("reason", "varchar not null"),
    ("record", "json"),
)

MANIFEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_name", "varchar not null"),
    ("file_path", "varchar not null"),
    ("checksum", "varchar not null"),
    ("state", "varchar not null"),
    ("stamp", "timestamp not null"),
    ("record_type", "varchar not null"),
    ("status", "varchar not null"),
    ("rows_read", "bigint not null"),
    ("rows_loaded", "bigint not null"),
    ("rows_quarantined", "bigint not null"),
    ("reason", "varchar"),
    ("load_id", "varchar"),
    ("loaded_at", "timestamp not null"),
)

# The landing file index (loaders/manifest.py): size and mtime of each file already checked.
LANDING_FILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_path", "varchar primary key"),
    ("file_name", "varchar not null"),
    ("size_bytes", "bigint not null"),
    ("modified_ns", "bigint not null"),
    ("checksum", "varchar not null"),
    ("recorded_ns", "bigint not null"),
)


def sql_type(column: Column) -> str:
    """The raw-layer type of a contract column."""
    if column.kind == "date":
        return "date"
    if column.kind == "decimal":
        return "decimal(4,2)"
    if column.kind == "integer":
        return "integer"
    return "varchar"


def _create(name: str, columns: tuple[tuple[str, str], ...]) -> str:
    body = ",\n  ".join(f"{col} {typ}" for col, typ in columns)
    return f"create table if not exists raw.{name} (\n  {body}\n)"


def raw_table_columns(record_type: str) -> tuple[tuple[str, str], ...]:
    """Lineage, typed contract columns and `extra`, in table order."""
    typed = tuple((c.name, sql_type(c)) for c in COLUMNS[record_type])
    return (*LINEAGE_COLUMNS, *typed, ("extra", "json"))


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables when missing (idempotent)."""
    con.execute("create schema if not exists raw")
    for record_type in RECORD_TYPES:
        con.execute(_create(record_type, raw_table_columns(record_type)))
    con.execute(_create("quarantine", QUARANTINE_COLUMNS))
    con.execute(_create("load_manifest", MANIFEST_COLUMNS))
    con.execute(_create("landing_file", LANDING_FILE_COLUMNS))
