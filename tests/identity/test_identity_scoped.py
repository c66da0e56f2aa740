"""Incremental runs work on the affected part only and still give exactly what clustering every
record gives; a run with nothing new writes nothing but its `runs` row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import identity.resolve
import identity.store
from identity.resolve import IdentityReport, resolve
from identity.testdata import write_input
from msix.settings import get_settings
from tests.identity.history import TABLES, digest, read_expected, replay, snapshot
from tests.identity.test_identity_resolve import base_records


def _resolve(warehouse: Path, day: dt.datetime) -> IdentityReport:
    return resolve(get_settings(warehouse=warehouse), run_date=day)


def test_incremental_history_equals_the_whole_registry_results(tmp_path: Path) -> None:
    """Deltas, changed and removed records, echoes of retired IDs, split/merge/same/different
    decisions and weeks without change give, run after run, the tables (IDs, match methods,
    assigned/scored times, registry, worklist, events, runs) and counts that the implementation
    clustering every record gave for the same history."""
    expected = read_expected()
    result = replay(tmp_path / "wh" / "msix.duckdb", _resolve)
    assert len(result) == len(expected["runs"])
    for number, (got, want) in enumerate(zip(result, expected["runs"], strict=True), start=1):
        assert {k: got["counts"][k] for k in want["counts"]} == want["counts"], f"run {number}"
        for table in TABLES:
            if digest(got["tables"][table]) != want["digests"][table]:
                if number == len(result):
                    assert got["tables"][table] == expected["final_tables"][table], table
                pytest.fail(f"run {number}: identity.{table} differs")


@pytest.fixture
def settled(tmp_path: Path) -> Path:
    """A warehouse resolved twice from the same input (no decisions)."""
    warehouse = tmp_path / "wh" / "msix.duckdb"
    write_input(warehouse, pd.DataFrame(base_records()))
    resolve(get_settings(warehouse=warehouse), run_date=dt.datetime(2026, 3, 3))
    return warehouse


def test_run_without_change_writes_only_its_runs_row(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(settled)
    statements: list[str] = []
    for module in (identity.resolve, identity.store):
        original = module.run

        def spy(con: Any, sql: str, params: Any = None, _original: Any = original) -> None:
            statements.append(" ".join(sql.lower().split()))
            _original(con, sql, params)

        monkeypatch.setattr(module, "run", spy)
    report = resolve(get_settings(warehouse=settled), run_date=dt.datetime(2026, 3, 10))
    after = snapshot(settled)

    assert report.counts()["dirty"] == 0 and report.counts()["pairs_scored"] == 0
    for table in ("xwalk", "national_ids", "near_matches", "decisions", "id_events"):
        assert after[table] == before[table], table
    assert len(after["runs"]) == len(before["runs"]) + 1
    writes = [
        s
        for s in statements
        if any(f"{verb} wh.identity." in s for verb in ("insert into", "delete from", "update"))
    ]
    assert writes and all(s.startswith("insert into wh.identity.runs") for s in writes), writes


def test_new_record_leaves_every_other_row_as_it_was(settled: Path) -> None:
    """A new record joining one child's ID leaves every other xwalk row, the registry and the
    audit trail as they were."""
    before = snapshot(settled)
    rows = base_records() + [
        {**base_records()[0], "state": "OH", "state_student_id": "O9", "first_name": "Pancho"}
    ]
    write_input(settled, pd.DataFrame(rows))
    report = resolve(get_settings(warehouse=settled), run_date=dt.datetime(2026, 3, 10))
    after = snapshot(settled)
    assert report.counts()["dirty"] == 1
    assert len(after["xwalk"]) == len(before["xwalk"]) + 1
    assert set(map(tuple, before["xwalk"])) <= set(map(tuple, after["xwalk"]))
    assert after["national_ids"] == before["national_ids"]
    assert after["id_events"] == before["id_events"]


def test_new_stamps_alone_take_the_no_change_path(settled: Path) -> None:
    """States re-sending unchanged students move `stamp` only: no record is dirty, so the run
    takes the fast path, while a changed name on one record is still found."""
    rows = [{**r, "stamp": dt.datetime(2026, 3, 9)} for r in base_records()]
    write_input(settled, pd.DataFrame(rows))
    report = resolve(get_settings(warehouse=settled), run_date=dt.datetime(2026, 3, 10))
    assert report.counts()["affected"] == 0 and "no-change run" in report.notes()[-1]
    rows[8] = {**rows[8], "first_name": "Kevyn"}
    write_input(settled, pd.DataFrame(rows))
    report = resolve(get_settings(warehouse=settled), run_date=dt.datetime(2026, 3, 17))
    assert report.counts()["dirty"] == 1 and "incremental run" in report.notes()[-1]


def test_features_from_the_cache_equal_a_fresh_normalisation(settled: Path) -> None:
    """After a run, a delta with a changed, a new, a re-sent (new stamp) and a removed record:
    the features an incremental run works with (cached rows plus the rows normalised now) are
    exactly those a normalisation of every record gives, new stamp included, and only the
    changed and new rows were normalised."""
    import duckdb

    from identity import feature_cache
    from identity.features import build_features

    rows = base_records()[1:] + [{**base_records()[0], "state_student_id": "T99"}]
    rows[0] = {**rows[0], "middle_name": "Luis"}
    rows[1] = {**rows[1], "stamp": dt.datetime(2026, 3, 9)}
    write_input(settled, pd.DataFrame(rows))
    con = duckdb.connect()
    try:
        con.execute(f"attach '{settled}' as wh")
        source = "wh.intermediate.int_student_records_latest"
        records, normalised = feature_cache.load(con, "wh", source, "cached", full=False)
        build_features(con, source, "fresh")
        columns = [r[0] for r in con.execute("describe fresh").fetchall()]
        cols = ", ".join(columns)
        differ = con.execute(
            f"select count(*) from ((select {cols} from cached except all select {cols} from fresh)"
            f" union all (select {cols} from fresh except all select {cols} from cached))"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert (records, normalised, differ) == (len(rows), 2, 0)


def test_new_ids_are_checked_against_every_id_in_the_registry() -> None:
    """A scoped run assigns only its components, yet a new ID never repeats one issued earlier:
    the anchor's first candidate and its salted ones are looked up in `national_ids`."""
    import duckdb

    from identity import store
    from identity.registry import assign_ids, candidate_id
    from identity.scope import IssuedIds

    con = duckdb.connect()
    try:
        con.execute("attach ':memory:' as wh")
        store.ensure_schema(con, "wh")
        for salt in (0, 1):
            con.execute(
                "insert into wh.identity.national_ids (msix_id, status) values (?, 'retired')",
                [candidate_id("TX:1", salt)],
            )
        issued = IssuedIds(con, "wh", ["TX:1"])
        result = assign_ids([["TX:1"]], {}, {}, issued)
    finally:
        con.close()
    assert list(result.new_ids) == [candidate_id("TX:1", 2)]


def _cache_rows(warehouse: Path) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return sorted(
            con.execute("select * from identity.record_features").fetchall(), key=lambda r: r[0]
        )
    finally:
        con.close()


def test_restamped_records_are_not_normalised_anew(settled: Path) -> None:
    """Records re-sent with a new stamp only are taken from the cache, a changed record is
    normalised anew; the cache ends as normalising every changed row anew would leave it (new
    stamps and input hashes), and a second run takes the no-change path."""
    import duckdb

    from identity import feature_cache
    from identity.features import INPUT_COLUMNS, build_features

    rows = [{**r, "stamp": dt.datetime(2026, 3, 9)} for r in base_records()]
    rows[8] = {**rows[8], "first_name": "Kevyn"}
    write_input(settled, pd.DataFrame(rows))
    report = _resolve(settled, dt.datetime(2026, 3, 10))
    assert (report.counts()["normalised"], report.counts()["dirty"]) == (1, 1)

    con = duckdb.connect()
    try:
        con.execute(f"attach '{settled}' as wh (read_only)")
        source = "wh.intermediate.int_student_records_latest"
        build_features(con, source, "fresh")
        expected = con.execute(
            f"select f.*, hash({', '.join(f's.{c}' for c in INPUT_COLUMNS)}), ? from fresh as f "
            f"join {source} as s on f.unique_id = s.state || ':' || s.state_student_id",
            [feature_cache.normalisation_digest()],
        ).fetchall()
    finally:
        con.close()
    assert _cache_rows(settled) == sorted(expected, key=lambda r: r[0])
    report = _resolve(settled, dt.datetime(2026, 3, 17))
    assert "no-change run" in report.notes()[-1]


def test_a_changed_record_hash_definition_rehashes_every_record(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records taken from the cache keep their crosswalk hash, unless that hash is no longer what
    the record hashes to (its definition changed): the sampled check then makes the run hash,
    and so find dirty, every record, as hashing every record would."""
    monkeypatch.setattr(identity.resolve, "HASHED_COLUMNS", identity.resolve.HASHED_COLUMNS[1:])
    rows = base_records()
    rows[8] = {**rows[8], "first_name": "Kevyn"}
    write_input(settled, pd.DataFrame(rows))
    report = _resolve(settled, dt.datetime(2026, 3, 10))
    assert report.counts()["dirty"] == len(rows)


def test_a_cached_record_missing_from_the_crosswalk_is_new_again(settled: Path) -> None:
    """A record whose features are cached but whose crosswalk row is gone is hashed and found
    new (dirty), as hashing every record finds it, and gets its row back."""
    import duckdb

    before = snapshot(settled)
    con = duckdb.connect(str(settled))
    try:
        con.execute("delete from identity.xwalk where record_key = 'TX:T1'")
    finally:
        con.close()
    rows = base_records()
    rows[8] = {**rows[8], "first_name": "Kevyn"}
    write_input(settled, pd.DataFrame(rows))
    report = _resolve(settled, dt.datetime(2026, 3, 10))
    assert report.counts()["dirty"] == 2
    after = snapshot(settled)
    assert len(after["xwalk"]) == len(before["xwalk"])
