"""Suite batches: only the checked columns, samples for row checks, exact uniqueness in DuckDB."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb

from quality.suites import SuiteSpec, load_suites, read_batches, validate

SPEC = SuiteSpec(
    name="people",
    relation="main.people",
    sql="select * from {relation}",
    description="test suite",
    expectations=(
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "person_id"}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "code", "value_set": ["A", "B"]},
        },
    ),
)


def _people(duplicates: int) -> duckdb.DuckDBPyConnection:
    """50 people with codes A/B and a wide unused column; the last `duplicates` repeat id 1."""
    con = duckdb.connect(":memory:")
    con.execute(
        """
        create table people as
        select case when i > 50 - ? then 1 else i end as person_id,
               case when i % 2 = 0 then 'A' else 'B' end as code,
               repeat('x', 100) as unused
        from range(1, 51) as t(i)
        """,
        [duplicates],
    )
    return con


def test_row_checks_read_their_columns_and_a_bounded_sample() -> None:
    batches = read_batches(_people(0), [SPEC], max_rows=10)
    rows = next(b for b in batches if not b.exact_keys)
    assert list(rows.frame.columns) == ["code"]
    assert len(rows.frame) == 10 and rows.rows == 50
    assert [e["type"] for e in rows.expectations] == ["expect_column_values_to_be_in_set"]


def test_uniqueness_is_checked_on_every_row_although_row_checks_sample() -> None:
    batches = read_batches(_people(2), [SPEC], max_rows=10)
    keys = next(b for b in batches if b.exact_keys)
    # the two repeats plus the original id 1: every copy of the repeated key, nothing else
    assert sorted(keys.frame["person_id"].tolist()) == [1, 1, 1]
    assert keys.rows == 50
    clean = next(b for b in read_batches(_people(0), [SPEC], max_rows=10) if b.exact_keys)
    assert clean.frame.empty


def test_key_check_fails_with_its_share_of_all_rows(tmp_path: Path) -> None:
    outcomes = validate(read_batches(_people(2), [SPEC], max_rows=10), tmp_path / "docs")
    by_type = {o.expectation: o for o in outcomes}
    unique = by_type["expect_column_values_to_be_unique"]
    assert unique.suite == "people" and not unique.success
    assert unique.unexpected_percent == 100.0 * 3 / 50
    assert by_type["expect_column_values_to_be_in_set"].success
    assert (tmp_path / "docs" / "index.html").exists()


def test_timing_measures_each_phase_on_a_copy(tmp_path: Path) -> None:
    from quality.fixtures import Warehouse
    from quality.timing import time_step

    warehouse = tmp_path / "msix.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        Warehouse(con).student("TX", "TX1", "000000000001")
    before = warehouse.read_bytes()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    phases, baseline = time_step(warehouse, scratch)
    assert list(phases) == [
        "import great_expectations",
        "read batches",
        "rules + history",
        "validate + Data Docs",
    ]
    assert baseline >= 0 and (scratch / "data_docs" / "index.html").exists()
    assert warehouse.read_bytes() == before  # the step ran on the copy


def _docs_text(folder: Path) -> str:
    return "".join(p.read_text(errors="ignore") for p in folder.rglob("*") if p.is_file())


def test_failed_checks_on_personal_columns_show_no_values_in_data_docs(tmp_path: Path) -> None:
    con = duckdb.connect(":memory:")
    con.execute(
        """
        create table kids as
        select i as person_id, 'Zyqwerty' || i as last_name_1, 'Xcode77' as code
        from range(1, 6) as t(i)
        union all select 1, 'Zyqwerty1', 'Xcode77'
        """
    )
    spec = SuiteSpec(
        name="kids",
        relation="main.kids",
        sql="select * from {relation}",
        description="personal and plain columns",
        expectations=(
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "last_name_1", "value_set": ["A"]},
            },
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": ["person_id", "last_name_1"]},
            },
        ),
    )
    plain = SuiteSpec(
        "codes", "main.kids", "select * from {relation}", "plain", SPEC.expectations[1:]
    )
    outcomes = validate(read_batches(con, [spec, plain]), tmp_path / "docs")
    assert [o.success for o in outcomes] == [False, False, False]
    docs = _docs_text(tmp_path / "docs")
    assert "Zyqwerty" not in docs
    assert "Xcode77" in docs  # a plain column's bad codes are still shown


def test_latest_submission_frames_are_the_rows_of_each_states_latest_stamp() -> None:
    # the raw suites' semi join gives the rows the window `stamp = max(stamp) over (partition
    # by state)` gave, a state without a name (null) included
    con = duckdb.connect(":memory:")
    con.execute(
        """
        create schema raw;
        create table raw.t as
        select * from (values ('TX', 1, 'a'), ('TX', 2, 'b'), ('TX', 2, 'c'), ('CA', 1, 'd'),
            (null, 3, 'e'), (null, 1, 'f'), ('CA', null, 'g')) as v(state, stamp, x)
        """
    )
    window = "select * from raw.t qualify stamp = max(stamp) over (partition by state)"
    for spec in load_suites():
        if spec.name.startswith("raw_"):
            frame_sql = replace(spec, relation="raw.t").frame_sql()
            got = con.execute(f"select * from ({frame_sql}) order by all").fetchall()
            assert got == con.execute(f"select * from ({window}) order by all").fetchall()
            assert len(got) == 4, spec.name  # TX b and c, CA d, the nameless state e


def test_between_bounds_are_short_decimals_that_doubles_hold_exactly() -> None:
    # decimals reach GE as float64 (quality.suites.float_decimals): exact with such bounds
    for spec in load_suites():
        for config in spec.expectations:
            if config["type"] == "expect_column_values_to_be_between":
                for key in ("min_value", "max_value"):
                    bound = config["kwargs"].get(key)
                    if bound is not None:
                        exact = Decimal(bound)
                        assert exact == Decimal(repr(bound)), (spec.name, key)
                        assert len(exact.normalize().as_tuple().digits) <= 15, (spec.name, key)


def test_decimal_columns_reach_ge_as_float_with_the_same_outcome(tmp_path: Path) -> None:
    con = duckdb.connect(":memory:")
    con.execute(
        "create table credits as select v::decimal(4, 2) as credits "
        "from (values (0), (9.99), (10), (10.01), (null), (-0.01)) as t(v)"
    )
    spec = SuiteSpec(
        "credits",
        "main.credits",
        "select * from {relation}",
        "decimals",
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "credits", "min_value": 0, "max_value": 10},
            },
        ),
    )
    [batch] = read_batches(con, [spec])
    assert str(batch.frame["credits"].dtype) == "float64"
    [outcome] = validate([batch], tmp_path / "docs")
    assert not outcome.success and outcome.unexpected_percent == 40.0  # 10.01, -0.01 of 5
