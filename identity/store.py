"""The `identity` schema: table definitions, reading the previous run's state, writing the new one.

A run writes inside one transaction (identity/resolve.py), so a failed run leaves the previous
identity state untouched. It changes rows in place: only the rows of the part of the registry it
re-formed, new IDs and appended events; the small `decisions` table is replaced when it changed.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from identity.sql import run

SCHEMA = "identity"

TABLES: dict[str, str] = {
    "xwalk": """
        state varchar, state_student_id varchar, msix_id varchar, match_method varchar,
        assigned_at timestamp, record_key varchar, record_hash varchar,
        echoed_msix_id varchar, echo_status varchar, model_version varchar, scored_at timestamp
    """,
    "national_ids": """
        msix_id varchar, status varchar, merged_into varchar, resolved_to varchar,
        issued_at timestamp, retired_at timestamp, anchor_key varchar
    """,
    "near_matches": """
        pair_id varchar, state_l varchar, state_student_id_l varchar, state_r varchar,
        state_student_id_r varchar, match_probability double, agreeing_fields varchar,
        disagreeing_fields varchar, first_seen timestamp, status varchar, msix_id_l varchar,
        msix_id_r varchar, twin_suspect boolean, same_state boolean, echo_conflict boolean,
        last_scored timestamp
    """,
    "decisions": """
        decision_id varchar, decision varchar, state_l varchar, state_student_id_l varchar,
        state_r varchar, state_student_id_r varchar, msix_id_l varchar, msix_id_r varchar,
        decided_by varchar, decided_at timestamp, reason varchar, source varchar,
        first_loaded_at timestamp
    """,
    "id_events": """
        event_id varchar, event varchar, msix_id varchar, other_msix_id varchar,
        state varchar, state_student_id varchar, decision_id varchar, event_at timestamp,
        detail varchar
    """,
    "runs": """
        run_at timestamp, mode varchar, model_version varchar, records bigint, dirty bigint,
        pairs_scored bigint, links bigint, near_matches bigint, ids_issued bigint,
        ids_retired bigint
    """,
}


def ensure_schema(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Create the identity schema and its tables when missing (empty on a first run)."""
    run(con, f"create schema if not exists {db}.{SCHEMA}")
    for name, columns in TABLES.items():
        run(con, f"create table if not exists {db}.{SCHEMA}.{name} ({columns})")


def read_table(con: duckdb.DuckDBPyConnection, db: str, name: str) -> pd.DataFrame:
    """A whole identity table as a frame."""
    return con.execute(f"select * from {db}.{SCHEMA}.{name}").df()


def columns(name: str) -> list[str]:
    """The columns of an identity table, in declared order."""
    return [c.split()[0] for c in " ".join(TABLES[name].split()).split(", ")]


def replace_table(con: duckdb.DuckDBPyConnection, db: str, name: str, frame: pd.DataFrame) -> None:
    """Replace an identity table with `frame` (columns in the table's declared order)."""
    declared = columns(name)
    view = f"__identity_{name}_frame"
    con.register(view, frame.reindex(columns=declared))
    try:
        run(con, f"delete from {db}.{SCHEMA}.{name}")
        run(
            con,
            f"insert into {db}.{SCHEMA}.{name} select {', '.join(declared)} from {view}",
        )
    finally:
        con.unregister(view)
