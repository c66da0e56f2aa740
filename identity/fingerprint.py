"""The no-change fast path: a run whose inputs are exactly those of a settled last run.

A run's result depends on the input relation, the decisions folder, the normalisation (code,
nickname table, DuckDB) and the model. When all of them are what the last run saw, and that run
left nothing pending (it was *settled*), clustering would find no dirty record, score no pair
and give every record the ID it has: the run only adds its `identity.runs` row, without
normalising or hashing a million records.

A run is not settled when the next identical run would still change something: records a
"different" or "split" decision re-opens are rescored every run (their scored_at moves), a
merge makes the records echoing the retired ID compare anew, a record that left the input
leaves worklist rows to update, and a decision naming a record the input no longer holds is
applied anew every run (one naming a record never seen is rejected before the run).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb

from identity.decisions import Decision
from identity.feature_cache import normalisation_digest
from identity.features import INPUT_COLUMNS
from identity.sql import run, scalar

TABLE = "run_state"
COLUMNS = "fingerprint varchar, records bigint"
# Input columns no feature in `record_hash` derives from: a new `stamp` (a state re-sending a
# student) is no change for identity, as it is none for the record hash.
UNHASHED_INPUTS: tuple[str, ...] = ("stamp", "suffix", "birth_state")


def compute(
    con: duckdb.DuckDBPyConnection,
    source: str,
    decisions: Iterable[Decision],
    model_version: str,
    hashed_columns: Iterable[str],
) -> tuple[str, int]:
    """(fingerprint of everything a run's result depends on, number of input records).

    The input part is an order-independent sum and xor of per-row hashes over the input columns
    the record hash derives from (one scan, no normalisation)."""
    columns = ", ".join(c for c in INPUT_COLUMNS if c not in UNHASHED_INPUTS)
    count, xor, total = con.execute(
        f"select count(*), bit_xor(hash({columns})), sum(hash({columns})::hugeint) from {source}"
    ).fetchall()[0]
    digest = hashlib.sha256()
    digest.update(f"{count}|{xor}|{total}|{model_version}|{normalisation_digest()}".encode())
    digest.update("|".join(hashed_columns).encode())
    for d in decisions:
        digest.update(repr((d.decision_id, d.source, d.reason, d.decision)).encode())
    return digest.hexdigest(), int(count)


def ensure_table(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Create `identity.run_state` when missing."""
    run(con, f"create table if not exists {db}.identity.{TABLE} ({COLUMNS})")


def settled(con: duckdb.DuckDBPyConnection, db: str, fingerprint: str) -> bool:
    """Whether the last run saw exactly this fingerprint and left nothing pending."""
    return bool(
        scalar(
            con,
            f"select count(*) from {db}.identity.{TABLE} where fingerprint = ?",
            [fingerprint],
        )
    )


def record(con: duckdb.DuckDBPyConnection, db: str, fingerprint: str | None, records: int) -> None:
    """Remember this run's fingerprint when it settled (None: it did not); inside the run's
    transaction."""
    if fingerprint is not None and settled(con, db, fingerprint):
        return
    run(con, f"delete from {db}.identity.{TABLE}")
    if fingerprint is not None:
        run(
            con,
            f"insert into {db}.identity.{TABLE} (fingerprint, records) values (?, ?)",
            [fingerprint, records],
        )
