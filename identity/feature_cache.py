"""The normalised features of every record, kept in the warehouse between runs.

Normalising a million records (identity/features.py) is most of what an incremental run would
otherwise spend on records that did not change. `identity.record_features` keeps each record's
features with a hash of its input columns and a digest of the normalisation (code, nickname
table, DuckDB version); a run normalises only the records whose input hash is new or different
(or all of them when the normalisation changed or on a full run) and takes the others from the
table. The features are those `build_features` gives for the same rows, so nothing downstream
can tell the difference (tested against a fresh normalisation).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from identity.features import INPUT_COLUMNS, NICKNAMES_CSV, build_features
from identity.sql import run, scalar

TABLE = "record_features"
FRESH = "fresh_features"
UNSTAMPED = "_unstamped"  # suffix of the view `load` makes beside its target
NORMALISATION_FILES: tuple[Path, ...] = (
    Path(__file__).resolve().parent / "features.py",
    NICKNAMES_CSV,
)


def normalisation_digest() -> str:
    """What the features of an unchanged input row depend on besides the row itself: the
    normalisation code, the nickname table and DuckDB's version."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for path in NORMALISATION_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _ensure_table(con: duckdb.DuckDBPyConnection, db: str, source: str) -> bool:
    """Create the cache table (empty, with the columns of `build_features` plus `input_hash` and
    `normalisation`) when missing; returns True when it already existed."""
    exists = scalar(
        con,
        "select count(*) from duckdb_tables() "
        "where database_name = ? and schema_name = 'identity' and table_name = ?",
        [db, TABLE],
    )
    if exists:
        return True
    build_features(con, f"(select * from {source} limit 0)", "__features_shape")
    run(
        con,
        f"create table {db}.identity.{TABLE} as select *, 0::ubigint as input_hash, "
        "'' as normalisation from __features_shape limit 0",
    )
    return False


def _classify(con: duckdb.DuckDBPyConnection, source: str, cache: str, *, full: bool) -> None:
    """`input_hashes`: every input key with its input hash, its stamp and what the cache holds
    for it (`status`): `same` (this input, normalised as now), `restamped` (this input but for
    `stamp`: its hash with the cached stamp in place of the new one is the cached hash) or
    `changed` (anything else, new records included; every record on a full run); `cached`:
    the cache holds a row for it (of any normalisation)."""
    columns = ", ".join(f"s.{c}" for c in INPUT_COLUMNS)
    key = "s.state || ':' || s.state_student_id"
    if full:
        run(
            con,
            f"create or replace temp table input_hashes as select {key} as unique_id, "
            f"hash({columns}) as input_hash, s.stamp, 'changed' as status, null::boolean as cached "
            f"from {source} as s",
        )
        return
    old_stamp = ", ".join("h.__cached_stamp" if c == "stamp" else f"h.{c}" for c in INPUT_COLUMNS)
    run(
        con,
        f"""
        create or replace temp table input_hashes as
        select
            h.__key as unique_id,
            h.__input_hash as input_hash,
            h.stamp,
            case
                when h.__normalisation is distinct from ? then 'changed'
                when h.__cached_hash = h.__input_hash then 'same'
                when h.__cached_hash = hash({old_stamp}) then 'restamped'
                else 'changed'
            end as status,
            h.__normalisation is not null as cached
        from (
            select
                s.*,
                {key} as __key,
                hash({columns}) as __input_hash,
                c.input_hash as __cached_hash,
                c.stamp as __cached_stamp,
                c.normalisation as __normalisation
            from {source} as s
            left join {cache} as c on c.unique_id = {key}
        ) as h
        """,
        [normalisation_digest()],
    )


def load(
    con: duckdb.DuckDBPyConnection, db: str, source: str, target: str, *, full: bool
) -> tuple[int, int]:
    """Create the view `target` with the features of every row of `source`, normalising only the
    rows the cache does not hold as they are now (a new `stamp` alone is no change: the cached
    row is taken with the new stamp); returns (records, rows normalised). Besides the columns
    of `build_features`, `from_cache` tells the cached rows from those normalised now. The view
    `target` + UNSTAMPED holds the same rows except that re-sent rows keep their cached stamp:
    cheaper to read in full (no join with the input), for work that does not read `stamp`.

    Leaves `input_hashes` (every input key with its hash, stamp and status) and
    `fresh_features` (the rows normalised now) for `store` to write back in the run's
    transaction."""
    _ensure_table(con, db, source)
    cache = f"{db}.identity.{TABLE}"
    _classify(con, source, cache, full=full)
    build_features(
        con,
        f"(select * from {source} where state || ':' || state_student_id "
        "in (select unique_id from input_hashes where status = 'changed'))",
        FRESH,
    )
    # the cached rows of records in the input whose input is unchanged but for the stamp, and
    # the rows normalised now; re-sent rows get their new stamp only in `target` (a small join).
    # The input holds each key once (its model's unique test), so the cache holds rows of
    # records no longer in the input exactly when it holds more rows than the input matched.
    held = int(scalar(con, f"select count(*) from {cache}"))
    in_input = int(scalar(con, "select count(*) from input_hashes where cached"))
    left = "semi join input_hashes as k on k.unique_id = c.unique_id" if held > in_input else ""
    run(
        con,
        f"""
        create or replace temp view {target}{UNSTAMPED} as
        select c.* exclude (input_hash, normalisation), true as from_cache
        from {cache} as c
        anti join (select unique_id from input_hashes where status = 'changed') as x
            on x.unique_id = c.unique_id
        {left}
        union all by name
        select *, false as from_cache from {FRESH}
        """,
    )
    run(
        con,
        f"""
        create or replace temp view {target} as
        select u.* replace (coalesce(r.stamp, u.stamp) as stamp)
        from {target}{UNSTAMPED} as u
        left join (select unique_id, stamp from input_hashes where status = 'restamped') as r
            on r.unique_id = u.unique_id
        """,
    )
    reused = int(scalar(con, "select count(*) from input_hashes where status <> 'changed'"))
    normalised = int(scalar(con, f"select count(*) from {FRESH}"))
    return reused + normalised, normalised


def cached_rows(db: str, limit: int) -> str:
    """SQL for up to `limit` cached rows (any) normalised as now, with the columns of
    `build_features`; its one parameter is `normalisation_digest()`."""
    return (
        f"(select * exclude (input_hash, normalisation) from {db}.identity.{TABLE} "
        f"where normalisation = ? limit {int(limit)})"
    )


def store(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Write back what `load` normalised, the new stamps (and input hashes) of the rows it took
    from the cache with a new stamp, and drop the rows of records no longer in the input (inside
    the run's transaction). The table ends as if every changed row had been normalised anew."""
    cache = f"{db}.identity.{TABLE}"
    if scalar(con, f"select count(*) from {FRESH}"):
        run(con, f"delete from {cache} where unique_id in (select unique_id from {FRESH})")
        run(
            con,
            f"insert into {cache} by name select f.*, i.input_hash, ? as normalisation "
            f"from {FRESH} as f join input_hashes as i using (unique_id)",
            [normalisation_digest()],
        )
    if scalar(con, "select count(*) from input_hashes where status = 'restamped'"):
        run(
            con,
            f"""
            update {cache} set stamp = i.stamp, input_hash = i.input_hash
            from input_hashes as i
            where {cache}.unique_id = i.unique_id and i.status = 'restamped'
            """,
        )
    cached = int(scalar(con, f"select count(*) from {cache}"))
    if cached > int(scalar(con, "select count(*) from input_hashes")):
        run(
            con,
            f"delete from {cache} where unique_id not in (select unique_id from input_hashes)",
        )
