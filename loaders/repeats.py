"""Rows of one file that repeat a key the contract gives (../shared/spec/state-files.md §4).

A students file holds one row per student per submission, and an enrollment or course is named
by its key; a file that repeats one breaks the contract. Every row but one of such a repeat is
moved from `raw.<type>` to `raw.quarantine` (field: `state_student_id`, reason: the line kept),
inside the file's transaction: the row kept is the one the current-record models keep (the last
line of a student, the first of an enrollment or course), so the marts do not change (but for
a `D` followed by a `U` of one student in one file: the quarantined `D` no longer retracts the
child records of that submission), and `rows_read = rows_loaded + rows_quarantined` still holds.
"""

from __future__ import annotations

import duckdb

from loaders.checks import lit
from loaders.contract import COLUMNS, KEYS
from loaders.sink import Lineage, RowCounts

# record type -> True when the last line of a repeated key is kept (else the first)
KEYED: dict[str, bool] = {"students": True, "enrollments": False, "courses": False}
REPEATS = "__repeats"  # temp table of the rows to move


def quarantine_repeats(
    con: duckdb.DuckDBPyConnection, record_type: str, lineage: Lineage, counts: RowCounts
) -> None:
    """Move the repeats of a key within this load from `raw.<type>` to `raw.quarantine`."""
    if record_type not in KEYED or not counts.loaded:
        return
    table, load = f"raw.{record_type}", lit(lineage.load_id)
    key = ", ".join(KEYS[record_type])
    row = con.execute(
        f"select count(*) - count(distinct ({key})) from {table} where load_id = {load}"
    ).fetchone()
    if not row or not row[0]:
        return
    order = "line_no desc" if KEYED[record_type] else "line_no"
    pairs = ", ".join(f"{lit(c.name)}, r.{c.name}::varchar" for c in COLUMNS[record_type])
    # the repeats, found once: the rows quarantined are exactly the rows deleted
    con.execute(
        f"""
        create or replace temp table {REPEATS} as
        select * from (
            select r.rowid as row_id, r.line_no, r.state_student_id,
                row_number() over (partition by {key} order by {order}) as n,
                first_value(r.line_no) over (partition by {key} order by {order}) as kept_line,
                case when r.extra is null then json_object({pairs})
                    else json_merge_patch(json_object({pairs}), r.extra) end as record
            from {table} as r where r.load_id = {load}
        ) where n > 1
        """
    )
    moved = con.execute(
        f"""
        insert into raw.quarantine
        select {load}, {lit(lineage.file_name)}, {lit(record_type)}, line_no,
            {lit(lineage.state)}, state_student_id, 'state_student_id',
            'repeats the key of line ' || kept_line || ' of this file (that line is kept)', record
        from {REPEATS}
        """
    ).fetchone()
    con.execute(f"delete from {table} where rowid in (select row_id from {REPEATS})")
    con.execute(f"drop table {REPEATS}")
    count = int(moved[0]) if moved else 0
    counts.loaded -= count
    counts.quarantined += count
