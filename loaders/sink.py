"""Write one staged relation of text columns into `raw.<type>` and `raw.quarantine`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.checks import checked_select, insert_loaded_sql, insert_quarantine_sql
from loaders.contract import column_names
from loaders.layouts import Layout


@dataclass(frozen=True)
class Lineage:
    """Where the rows come from: stamped on every raw and quarantine row."""

    load_id: str
    file_name: str
    state: str
    stamp: datetime


@dataclass
class RowCounts:
    """Rows of one file so far: read = loaded + quarantined."""

    loaded: int = 0
    quarantined: int = 0

    @property
    def read(self) -> int:
        return self.loaded + self.quarantined


BATCH = "_msix_batch"


def insert_arrow(
    con: duckdb.DuckDBPyConnection,
    record_type: str,
    layout: Layout,
    batch: pa.Table,
    lineage: Lineage,
    counts: RowCounts,
) -> None:
    """Check and insert one Arrow batch of text columns (`line_no`, contract columns, `extra`).

    The checks run inside the insert of the good rows (no temporary table of checked rows);
    they run again, for the broken rows, only when some rows were not loaded."""
    present = {name for name in batch.column_names if name not in ("line_no", "extra")}
    # text parsed from XML cannot hold a NUL character (XML 1.0 forbids it)
    checked = f"({checked_select(record_type, layout, present, BATCH, nul_bytes=False)})"
    parts = (lineage.load_id, lineage.file_name, lineage.state, lineage.stamp)
    con.register(BATCH, batch)
    try:
        loaded = _count(con, insert_loaded_sql(record_type, checked, "c.line_no", parts))
        quarantined = 0
        if loaded < batch.num_rows:
            quarantine = insert_quarantine_sql(record_type, present, checked, "c.line_no", parts)
            quarantined = _count(con, quarantine)
    finally:
        con.unregister(BATCH)
    counts.loaded += loaded
    counts.quarantined += quarantined


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single number a statement returns (rows inserted)."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def rows_to_arrow(record_type: str, rows: list[list[str | None]]) -> pa.Table:
    """Text rows (lists: `line_no`, contract columns in contract order, `extra`) as one Arrow batch.

    The rows go to Arrow in one call, as fixed-size lists, and are cut into columns there:
    transposing in Python costs several times more."""
    names = ["line_no", *column_names(record_type), "extra"]
    lists = pa.array(rows, type=pa.list_(pa.string(), len(names)))
    arrays = [pc.cast(pc.list_element(lists, 0), pa.int32())]
    arrays += [pc.list_element(lists, i) for i in range(1, len(names))]
    return pa.Table.from_arrays(arrays, names=names)
