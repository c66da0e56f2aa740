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


def load(
    con: duckdb.DuckDBPyConnection, db: str, source: str, target: str, *, full: bool
) -> tuple[int, int]:
    """Create `target` with the features of every row of `source`, normalising only the rows the
    cache does not hold as they are now; returns (records, rows normalised).

    Leaves `input_hashes` (every input key with its hash) and `fresh_features` (the rows
    normalised now) for `store` to write back in the run's transaction."""
    _ensure_table(con, db, source)
    columns = ", ".join(INPUT_COLUMNS)
    run(
        con,
        f"create or replace temp table input_hashes as select state || ':' || state_student_id "
        f"as unique_id, hash({columns}) as input_hash from {source}",
    )
    cache = f"{db}.identity.{TABLE}"
    if full:
        run(con, "create or replace temp table changed_keys as select unique_id from input_hashes")
    else:
        run(
            con,
            f"""
            create or replace temp table changed_keys as
            select i.unique_id from input_hashes as i
            anti join (select unique_id, input_hash from {cache} where normalisation = ?) as c
                on c.unique_id = i.unique_id and c.input_hash = i.input_hash
            """,
            [normalisation_digest()],
        )
    build_features(
        con,
        f"(select * from {source} where state || ':' || state_student_id "
        "in (select unique_id from changed_keys))",
        FRESH,
    )
    run(
        con,
        f"""
        create or replace table {target} as
        select * exclude (input_hash, normalisation) from {cache}
        where unique_id in (select unique_id from input_hashes)
            and unique_id not in (select unique_id from changed_keys)
        union all by name
        select * from {FRESH}
        """,
    )
    records = int(scalar(con, f"select count(*) from {target}"))
    return records, int(scalar(con, f"select count(*) from {FRESH}"))


def store(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Write back what `load` normalised and drop the rows of records no longer in the input
    (inside the run's transaction)."""
    cache = f"{db}.identity.{TABLE}"
    if scalar(con, f"select count(*) from {FRESH}"):
        run(con, f"delete from {cache} where unique_id in (select unique_id from {FRESH})")
        run(
            con,
            f"insert into {cache} by name select f.*, i.input_hash, ? as normalisation "
            f"from {FRESH} as f join input_hashes as i using (unique_id)",
            [normalisation_digest()],
        )
    cached = int(scalar(con, f"select count(*) from {cache}"))
    if cached > int(scalar(con, "select count(*) from input_hashes")):
        run(
            con,
            f"delete from {cache} where unique_id not in (select unique_id from input_hashes)",
        )
