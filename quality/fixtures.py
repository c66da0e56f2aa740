"""A tiny handcrafted warehouse with the contract's columns, for tests and examples.

`Warehouse` creates the raw tables (the loader's own DDL), the crosswalk and the worklist
relations, and adds rows in bulk from lists of dicts; missing lineage columns get defaults.
`rows_apart` and `differences` check kept rows against a build from the whole history.
"""

from __future__ import annotations

from datetime import datetime
from itertools import count

import duckdb
import pandas as pd

from loaders.schema import ensure_schema, raw_table_columns
from quality import records

IDENTITY_DDL = (
    "create schema if not exists marts",
    "create schema if not exists identity",
    """create table if not exists marts.xwalk_student_identity (
        state varchar, state_student_id varchar, msix_id varchar)""",
    """create table if not exists identity.near_matches (
        pair_id varchar, state_l varchar, state_student_id_l varchar, state_r varchar,
        state_student_id_r varchar, match_probability double, agreeing_fields varchar,
        disagreeing_fields varchar, first_seen timestamp, status varchar)""",
    """create table if not exists marts.near_match_worklist (
        pair_id varchar, state_l varchar, state_student_id_l varchar, state_r varchar,
        state_student_id_r varchar, match_probability double)""",
    """create table if not exists marts.fct_move (
        msix_id varchar, from_state varchar, to_state varchar, departure_date date,
        arrival_date date, is_interstate boolean, gap_days integer, source varchar)""",
)


class Warehouse:
    """Adds rows to a test warehouse through one open connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._lines = count(2)
        ensure_schema(con)
        for ddl in IDENTITY_DDL:
            con.execute(ddl)

    def add(self, table: str, rows: list[dict[str, object]]) -> None:
        """Insert rows into `schema.table`, by column name, in one statement."""
        if not rows:
            return
        schema, name = table.split(".", 1)
        if schema == "raw" and name in (
            "students",
            "moves",
            "enrollments",
            "courses",
            "assessments",
        ):
            rows = [self._lineage(name, row) for row in rows]
            columns = [c for c, _ in raw_table_columns(name)]
            frame = pd.DataFrame(rows, columns=columns, dtype="object")
        else:
            frame = pd.DataFrame(rows, dtype="object")
        self.con.register("rows_frame", frame)
        try:
            self.con.execute(f"insert into {table} by name select * from rows_frame")
        finally:
            self.con.unregister("rows_frame")

    def _lineage(self, record_type: str, row: dict[str, object]) -> dict[str, object]:
        stamp = row.get("stamp") or datetime(2026, 1, 5, 8, 0)
        state = str(row["state"])
        defaults: dict[str, object] = {
            "load_id": f"{state}-{stamp}",
            "file_name": f"{state}_{stamp:%Y%m%dT%H%M%S}_{record_type}.csv",  # type: ignore[str-format]
            "line_no": next(self._lines),
            "stamp": stamp,
        }
        if record_type == "students":
            defaults.update(action="U", first_name="Ana", last_name_1="Garcia", sex="F")
        return {**defaults, **row}

    def student(self, state: str, sid: str, national_id: str | None, **fields: object) -> None:
        """One student row and its crosswalk entry (`national_id` None: not linked yet).

        `fields` are raw.students columns (`msix_id` there is the ID the state echoed).
        """
        self.add("raw.students", [{"state": state, "state_student_id": sid, **fields}])
        if national_id is not None:
            self.add(
                "marts.xwalk_student_identity",
                [{"state": state, "state_student_id": sid, "msix_id": national_id}],
            )


def rows_apart(con: duckdb.DuckDBPyConnection, a: str, b: str) -> int:
    """The rows of query `a` not in query `b` and the reverse, as multisets (0: the same)."""
    row = con.execute(
        f"select (select count(*) from ({a} except all {b})) "
        f"+ (select count(*) from ({b} except all {a}))"
    ).fetchone()
    return int(row[0]) if row else -1


def differences(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """A check (tests): per table, the kept rows not in a build from the whole history at the
    clock, and the reverse; all 0 when the kept rows are right."""
    return {
        table: rows_apart(
            con,
            f"select * from quality.latest_{table}",
            f"select * from ({records.latest_sql(table)})",
        )
        for table in records.COLUMNS
    }
