"""Which part of the registry a run re-forms, found in SQL so a run costs what changed.

A run's clustering only ever joins records through a decision or a link scored this run, and
every scored pair involves a dirty (new or changed) record. So the records that can change ID
are the *seeds* (dirty records, both ends of every scored pair, every record a decision names,
records that left the input) plus every record of a previous cluster (national ID) holding a
seed. Every other cluster meets no link and no decision: clustering everything would give it
back unchanged with its ID, so it is left as it is. Clustering only the affected part, in the
same order, gives exactly the components clustering every record gives for that part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd

from identity.registry import candidate_id
from identity.sql import run, scalar

FEATURES = "identity_features"


def register_values(
    con: duckdb.DuckDBPyConnection, name: str, column: str, values: Iterable[str]
) -> None:
    """A one-column temp table `name` (`column`) of the given values, each once."""
    frame = pd.DataFrame({column: sorted(set(values))}, dtype="string")
    con.register("__values_frame", frame)
    try:
        run(con, f"create or replace temp table {name} as select {column} from __values_frame")
    finally:
        con.unregister("__values_frame")


def register_keys(con: duckdb.DuckDBPyConnection, name: str, keys: Iterable[str]) -> None:
    """A one-column temp table `name` (`record_key`) of the given keys."""
    register_values(con, name, "record_key", keys)


def _active_xwalk(db: str) -> str:
    """Every crosswalk row with `active_id`, the active ID its `msix_id` now means."""
    return f"""(
        select x.record_key, x.msix_id, coalesce(n.resolved_to, x.msix_id) as active_id
        from {db}.identity.xwalk as x
        left join {db}.identity.national_ids as n on n.msix_id = x.msix_id
    )"""


def _members_sql(db: str, ids: str) -> str:
    """(record_key, active_id) of every crosswalk row carrying an ID of the relation `ids`
    (column `msix_id`) or an ID retired into one of them."""
    return f"""
        with ids as (
            select msix_id from {db}.identity.national_ids
            where resolved_to in (select msix_id from {ids})
            union select msix_id from {ids}
        )
        select record_key, active_id from {_active_xwalk(db)}
        where msix_id in (select msix_id from ids)
    """


def active_ids_of(con: duckdb.DuckDBPyConnection, db: str, keys: Iterable[str]) -> dict[str, str]:
    """Record key -> the active ID its crosswalk row means, for the given keys that have one."""
    register_keys(con, "__lookup_keys", keys)
    rows = con.execute(
        f"select record_key, active_id from {_active_xwalk(db)} "
        "where record_key in (select record_key from __lookup_keys)"
    ).fetchall()
    return dict(rows)


def registry_of(
    con: duckdb.DuckDBPyConnection, db: str, ids: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(ID -> active ID it means, ID -> anchor key) for the given IDs found in the registry."""
    register_values(con, "__registry_ids", "msix_id", ids)
    rows = con.execute(
        f"select msix_id, resolved_to, anchor_key from {db}.identity.national_ids "
        "where msix_id in (select msix_id from __registry_ids)"
    ).fetchall()
    return {i: r for i, r, _ in rows}, {i: a for i, _, a in rows}


def members_of(
    con: duckdb.DuckDBPyConnection, db: str, active_ids: Iterable[str]
) -> dict[str, list[str]]:
    """Active ID -> the record keys that carried it last run, for the given IDs."""
    register_values(con, "__member_ids", "msix_id", active_ids)
    rows = con.execute(
        f"select * from ({_members_sql(db, '__member_ids')}) order by record_key"
    ).fetchall()
    members: dict[str, list[str]] = {}
    for key, msix_id in rows:
        members.setdefault(msix_id, []).append(key)
    return members


@dataclass
class Scope:
    """The affected part: its records' previous IDs and the anchors of those IDs."""

    prev_ids: dict[str, str]  # record key -> active ID last run (affected records only)
    anchors: dict[str, str]  # ID -> anchor key, for the previous IDs in scope
    records: int  # affected records (with the records a decision names)


def affected(
    con: duckdb.DuckDBPyConnection,
    db: str,
    decision_keys: Iterable[str],
    *,
    records_left: bool,
) -> Scope:
    """Create temp tables `seeds` and `affected_keys` (every record key in scope) and return the
    scope's previous IDs. `records_left`: some crosswalk record is no longer in the input (its
    cluster is re-formed so the row goes, as a full clustering would drop it)."""
    register_keys(con, "__decision_keys", decision_keys)
    left = (
        f"""
        union
        select x.record_key from {db}.identity.xwalk as x
        anti join {FEATURES} as f on f.unique_id = x.record_key
        """
        if records_left
        else ""
    )
    run(
        con,
        f"""
        create or replace temp table seeds as
        select unique_id as record_key from {FEATURES} where is_dirty
        union select key_l from scored_pairs
        union select key_r from scored_pairs
        union select record_key from __decision_keys
        {left}
        """,
    )
    run(
        con,
        f"""
        create or replace temp table seed_ids as
        select distinct active_id as msix_id from {_active_xwalk(db)}
        where record_key in (select record_key from seeds)
        """,
    )
    run(
        con,
        f"""
        create or replace temp table affected_prev as
        select record_key, active_id as prev_id from ({_members_sql(db, "seed_ids")})
        """,
    )
    run(
        con,
        "create or replace temp table affected_keys as "
        "select record_key from seeds union select record_key from affected_prev",
    )
    prev_ids = dict(con.execute("select record_key, prev_id from affected_prev").fetchall())
    anchors = dict(
        con.execute(
            f"select msix_id, anchor_key from {db}.identity.national_ids "
            "where msix_id in (select prev_id from affected_prev)"
        ).fetchall()
    )
    return Scope(prev_ids, anchors, int(scalar(con, "select count(*) from affected_keys")))


class IssuedIds:
    """Answers "was this ID ever issued?" from the registry table: the IDs new clusters would
    get first are looked up in one query, any other (salted) candidate on demand."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db: str, anchors: Iterable[str]) -> None:
        self._con, self._db = con, db
        self._empty = not scalar(con, f"select count(*) from {db}.identity.national_ids")
        # an empty registry (a first run) has issued nothing: no ID needs looking up
        self._checked = set() if self._empty else {candidate_id(a) for a in anchors}
        register_values(con, "__candidates", "msix_id", self._checked)
        self._known = {
            r[0]
            for r in con.execute(
                f"select msix_id from {db}.identity.national_ids "
                "where msix_id in (select msix_id from __candidates)"
            ).fetchall()
        }

    def __contains__(self, value: object) -> bool:
        if self._empty or not isinstance(value, str):
            return False
        if value not in self._checked:
            self._checked.add(value)
            found = scalar(
                self._con,
                f"select count(*) from {self._db}.identity.national_ids where msix_id = ?",
                [value],
            )
            if found:
                self._known.add(value)
        return value in self._known
