"""Fixed-width files of a layout: lines streamed in batches, fields cut by position in SQL.

Lines are decoded in the layout's encoding as they are read, gathered in Arrow batches of
`BATCH_LINES`, and each batch is cut into contract columns with `substr` by DuckDB. A fixed-width
file has no header; its line numbers start at 1. Empty lines are not records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders.checks import checked_select, insert_loaded_sql, insert_quarantine_sql
from loaders.contract import column_names, required_columns
from loaders.csv_files import scalar
from loaders.errors import FileRejected
from loaders.layouts import Layout
from loaders.sink import Lineage, RowCounts

BATCH_LINES = 200_000
LINES = "_msix_lines"


def line_batches(path: Path, encoding: str) -> Iterator[pa.Table]:
    """(line_no, line) batches of the non-empty lines of a file."""
    numbers: list[int] = []
    lines: list[str] = []
    line_no = 0
    try:
        with path.open(encoding=encoding, newline=None) as handle:
            for line_no, line in enumerate(handle, start=1):  # noqa: B007 - used after the loop
                text = line.rstrip("\r\n")
                if not text.strip():
                    continue
                numbers.append(line_no)
                lines.append(text)
                if len(lines) >= BATCH_LINES:
                    yield pa.table({"line_no": pa.array(numbers, pa.int32()), "line": lines})
                    numbers, lines = [], []
    except UnicodeDecodeError:
        raise FileRejected(
            f"undecodable bytes for encoding {encoding} after line {line_no}"
        ) from None
    except LookupError:
        raise FileRejected(f"layout names an unknown encoding {encoding}") from None
    if lines:
        yield pa.table({"line_no": pa.array(numbers, pa.int32()), "line": lines})


def load_fixed_width(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    record_type: str,
    layout: Layout,
    lineage: Lineage,
    counts: RowCounts,
) -> None:
    """Load every line of a fixed-width file through the row checks."""
    positions = layout.fixed_width.get(record_type)
    if not positions:
        raise FileRejected(f"layout {layout.source} has no fixed-width positions for {record_type}")
    unknown = sorted(set(positions) - set(column_names(record_type)))
    if unknown:
        raise FileRejected(
            f"layout {layout.source} positions unknown columns: {', '.join(unknown)}"
        )
    missing = [c for c in required_columns(record_type) if c not in positions]
    if missing:
        raise FileRejected(
            f"layout {layout.source} has no positions for required {', '.join(missing)}"
        )
    cuts = ", ".join(
        f"trim(substr(line, {start}, {width})) as {name}"
        for name, (start, width) in positions.items()
    )
    source = f"(select line_no, {cuts}, null::varchar as extra from {LINES})"
    present = set(positions)
    checked = f"({checked_select(record_type, layout, present, source)})"
    parts = (lineage.load_id, lineage.file_name, lineage.state, lineage.stamp)
    for batch in line_batches(path, layout.encoding):
        con.register(LINES, batch)
        try:  # good rows in one statement; the broken ones only when some rows were not loaded
            loaded = scalar(con, insert_loaded_sql(record_type, checked, "c.line_no", parts))
            if loaded < batch.num_rows:
                quarantine = insert_quarantine_sql(
                    record_type, present, checked, "c.line_no", parts
                )
                counts.quarantined += scalar(con, quarantine)
            counts.loaded += loaded
        finally:
            con.unregister(LINES)
