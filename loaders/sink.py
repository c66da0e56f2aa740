"""Write one staged relation of text columns into `raw.<type>` and `raw.quarantine`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

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


def insert_checked(
    con: duckdb.DuckDBPyConnection,
    record_type: str,
    layout: Layout,
    present: set[str],
    source: str,
    lineage: Lineage,
    counts: RowCounts,
) -> None:
    """Check every row of `source` in SQL; good rows to raw, broken rows to quarantine."""
    checked = checked_select(record_type, layout, present, source)
    loaded = con.execute(
        insert_loaded_sql(
            record_type,
            layout,
            checked,
            lineage.load_id,
            lineage.file_name,
            lineage.state,
            lineage.stamp,
        )
    ).fetchone()
    quarantined = con.execute(
        insert_quarantine_sql(
            record_type, checked, lineage.load_id, lineage.file_name, lineage.state
        )
    ).fetchone()
    counts.loaded += int(loaded[0]) if loaded else 0
    counts.quarantined += int(quarantined[0]) if quarantined else 0


BATCH = "_msix_batch"


def insert_arrow(
    con: duckdb.DuckDBPyConnection,
    record_type: str,
    layout: Layout,
    batch: pa.Table,
    lineage: Lineage,
    counts: RowCounts,
) -> None:
    """Check and insert one Arrow batch of text columns (`line_no`, contract columns, `extra`)."""
    present = {name for name in batch.column_names if name not in ("line_no", "extra")}
    con.register(BATCH, batch)
    try:
        insert_checked(con, record_type, layout, present, BATCH, lineage, counts)
    finally:
        con.unregister(BATCH)


def rows_to_arrow(record_type: str, rows: list[dict[str, str | int | None]]) -> pa.Table:
    """Text rows (dicts with `line_no`, contract columns and `extra`) as one Arrow batch."""
    fields = [pa.field("line_no", pa.int32())]
    fields += [pa.field(name, pa.string()) for name in column_names(record_type)]
    fields.append(pa.field("extra", pa.string()))
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))
