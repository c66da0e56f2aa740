"""The data tests of a delta build check the rows the build wrote (macros/written_rows.sql), and
still fail on what they guard: a written row duplicating an untouched one, a null in a written
row, a row pointing at a national ID the build retired. A full build and `dbt test` check the
whole relations.

Each test starts from the handcrafted scenario after its first delivery and build, adds the
late delivery (which rebuilds ROSA, JOSE, CO's merged ID and others in fct_enrollment, not
INTRA) and tampers with the warehouse the way a faulty model would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MIN_CELL_SIZE, build_like_the_pipeline
from dbt_raw_fixture import query
from dbt_scenario import CO_OWN_ID, INTRA, JOSE, ROSA, deliver_first, deliver_late

from msix.dbt import DbtFailure, run_dbt
from msix.pipeline import marts_build_args, staging_build_args


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario after the first delivery and both dbt phases (a full build)."""
    warehouse = tmp_path_factory.mktemp("delta_tests") / "msix.duckdb"
    deliver_first(warehouse)
    build_like_the_pipeline(warehouse, warehouse.parent / "t")
    return warehouse


@pytest.fixture
def delta(first_build: Path, tmp_path: Path) -> Path:
    """A copy of the first build with the late delivery loaded and the staging phase built."""
    warehouse = tmp_path / "msix.duckdb"
    shutil.copy(first_build, warehouse)
    deliver_late(warehouse)
    run_dbt(staging_build_args(), warehouse, target_path=tmp_path / "t")
    return warehouse


def build_marts(warehouse: Path, *extra: str) -> None:
    run_dbt(
        [*marts_build_args(), *extra],
        warehouse,
        target_path=warehouse.parent / "t",
        vars_={"min_cell_size": MIN_CELL_SIZE},
    )


def enrollment_keys(warehouse: Path, msix_id: str) -> list[str]:
    rows = query(
        warehouse,
        f"select enrollment_key from marts.fct_enrollment where msix_id = '{msix_id}' order by all",
    )
    return [key for (key,) in rows]


def compiled_test(warehouse: Path, name: str) -> str:
    (path,) = (warehouse.parent / "t" / "compiled").rglob(f"{name}.sql")
    return path.read_text()


def test_a_delta_checks_the_rows_it_wrote(delta: Path) -> None:
    build_marts(delta)
    assert (ROSA,) in query(delta, "select msix_id from intermediate.fct_enrollment__affected")
    assert (INTRA,) not in query(delta, "select msix_id from intermediate.fct_enrollment__affected")
    unique = compiled_test(delta, "unique_fct_enrollment_enrollment_key")
    assert "fct_enrollment__affected" in unique or ".rowid >= " in unique


def test_a_written_row_duplicating_an_untouched_row_fails(delta: Path) -> None:
    # INTRA's row (untouched by the delta) takes the key of ROSA's FL enrollment, which the
    # delta deletes and writes again
    (rosa_fl,) = query(
        delta,
        f"select enrollment_key from marts.fct_enrollment where msix_id = '{ROSA}' and state = 'FL'",
    )[0]
    intra = enrollment_keys(delta, INTRA)[0]
    query(
        delta,
        f"update marts.fct_enrollment set enrollment_key = '{rosa_fl}' where enrollment_key = '{intra}'",
    )
    with pytest.raises(DbtFailure, match="unique_fct_enrollment_enrollment_key"):
        build_marts(delta)


def test_a_null_in_a_written_row_fails(delta: Path) -> None:
    # the delta rebuilds ROSA's enrollments from this row
    query(
        delta,
        "update intermediate.int_enrollments_current set enrollment_date = null"
        " where state = 'FL' and state_student_id = 'F1'",
    )
    with pytest.raises(DbtFailure, match="not_null_columns_fct_enrollment"):
        build_marts(delta)


def test_a_row_pointing_at_a_retired_national_id_fails(delta: Path) -> None:
    # the delta merges CO's ID into JOSE's: dim_student deletes CO_OWN_ID. fct_enrollment is
    # made to miss the relink (its bookkeeping already holds the new link) and keeps a row of
    # CO's record under the retired ID, a row this build does not write.
    query(
        delta,
        f"update intermediate.fct_enrollment__links_seen set msix_id = '{JOSE}'"
        " where state = 'CO' and state_student_id = 'C4'",
    )
    query(
        delta,
        "insert into marts.fct_enrollment"
        f" select * replace ('planted' as enrollment_key, '{CO_OWN_ID}' as msix_id, 'CO' as state,"
        " 'C4' as state_student_id)"
        f" from marts.fct_enrollment where enrollment_key = '{enrollment_keys(delta, INTRA)[0]}'",
    )
    with pytest.raises(DbtFailure, match="relationships_fct_enrollment_msix_id"):
        build_marts(delta)
    assert (CO_OWN_ID,) not in query(
        delta, "select msix_id from intermediate.fct_enrollment__affected"
    )
    assert query(
        delta, f"select count(*) from marts.dim_student where msix_id = '{CO_OWN_ID}'"
    ) == [(0,)]


def test_a_full_build_and_dbt_test_check_whole_relations(delta: Path) -> None:
    # a duplicate among rows no build wrote since: a delta does not look at them again...
    first, second = enrollment_keys(delta, INTRA)
    query(
        delta,
        f"update marts.fct_enrollment set enrollment_key = '{first}' where enrollment_key = '{second}'",
    )
    build_marts(delta)
    # ...`dbt test` does
    with pytest.raises(DbtFailure, match="unique_fct_enrollment_enrollment_key"):
        run_dbt(
            ["test", "--select", "fct_enrollment"],
            delta,
            target_path=delta.parent / "t",
            vars_={"min_cell_size": MIN_CELL_SIZE},
        )
    # a full build rebuilds everything (the duplicate goes), drops the delta's lists and checks
    # every row
    build_marts(delta, "--full-refresh")
    marts_models = ("fct_enrollment", "fct_course", "dim_student", "int_student_field_votes")
    tables = query(
        delta,
        "select table_name from duckdb_tables() where schema_name = 'intermediate' and"
        f" table_name in {tuple(f'{model}__{kind}' for model in marts_models for kind in ('affected', 'written'))}",
    )
    assert tables == []
    unique = compiled_test(delta, "unique_fct_enrollment_enrollment_key")
    assert "__affected" not in unique and "rowid" not in unique
