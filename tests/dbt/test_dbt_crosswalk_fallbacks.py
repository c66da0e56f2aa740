"""The crosswalk's bookkeeping when a model cannot tell what int_xwalk_resolved rewrote since it
last read it (macros/incremental_crosswalk.sql, `crosswalk_rewritten`): the crosswalk rebuilt
twice while the models after it were not built (selective builds), or rebuilt in full just
before a build of the models after it alone. Then every record counts as rewritten, and the
warehouse must equal one built in full from the same data.

The scenario is test_dbt_incremental.py's: the first delivery, then identity's later runs (a
split, a merge, a decided and a new pair; then a merge undone, a merge two hops away, a rescored
pair), each followed here by a build of int_xwalk_resolved alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MIN_CELL_SIZE, build_like_the_pipeline
from dbt_scenario import deliver_first
from test_dbt_incremental import (
    assert_same_contents,
    deliver_co_course_and_assessment,
    deliver_identity_changes,
    deliver_identity_only,
    deliver_pairs,
    deliver_two_record_children,
)

from msix.dbt import run_dbt
from msix.pipeline import WITHOUT_UNIT_TESTS, staging_build_args

CROSSWALK_ONLY = ["build", "--select", "int_xwalk_resolved"]
# the marts phase without the crosswalk: the models after it read its last (full) build
AFTER_THE_CROSSWALK = [
    "build",
    "--exclude",
    "staging",
    "intermediate",
    "int_xwalk_resolved",
    *WITHOUT_UNIT_TESTS,
]
# the models after the crosswalk that keep which of its builds they last read
READERS = ("xwalk_student_identity", "near_match_worklist", "dim_student", "fct_course")


def deliver_first_delivery(warehouse: Path) -> None:
    deliver_first(warehouse)
    deliver_co_course_and_assessment(warehouse)
    deliver_two_record_children(warehouse)
    deliver_pairs(warehouse)


def build_seen(warehouse: Path, model: str) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            f"select max(build) from intermediate.{model}__xwalk_build_seen"
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else -1


def last_crosswalk_build(warehouse: Path) -> tuple[int, bool]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "select max(build), arg_max(incremental, build) from intermediate.int_xwalk_resolved__builds"
        ).fetchone()
    assert row is not None
    return int(row[0]), bool(row[1])


@pytest.mark.parametrize("crosswalk_builds", ["two missed builds", "a full build since"])
def test_models_that_cannot_tell_what_the_crosswalk_rewrote_relink_every_record(
    tmp_path: Path, crosswalk_builds: str
) -> None:
    stepwise, full = tmp_path / "stepwise" / "msix.duckdb", tmp_path / "full" / "msix.duckdb"
    target = tmp_path / "t1"
    deliver_first_delivery(stepwise)
    build_like_the_pipeline(stepwise, target)
    first_build, _ = last_crosswalk_build(stepwise)

    deliver_identity_changes(stepwise)
    if crosswalk_builds == "two missed builds":
        run_dbt(CROSSWALK_ONLY, stepwise, target_path=target)
        deliver_identity_only(stepwise)
        run_dbt(CROSSWALK_ONLY, stepwise, target_path=target)
        assert last_crosswalk_build(stepwise) == (first_build + 2, True)
    else:
        deliver_identity_only(stepwise)
        run_dbt([*CROSSWALK_ONLY, "--full-refresh"], stepwise, target_path=target)
        assert last_crosswalk_build(stepwise) == (first_build + 1, False)
    # the models after the crosswalk last read its first build
    for model in READERS:
        assert build_seen(stepwise, model) == first_build, model
    if crosswalk_builds == "two missed builds":
        build_like_the_pipeline(stepwise, target)  # the crosswalk's third build, then the rest
    else:
        run_dbt(staging_build_args(), stepwise, target_path=target)
        run_dbt(
            AFTER_THE_CROSSWALK,
            stepwise,
            target_path=target,
            vars_={"min_cell_size": MIN_CELL_SIZE},
        )
    for model in READERS:
        assert build_seen(stepwise, model) == last_crosswalk_build(stepwise)[0], model

    deliver_first_delivery(full)
    deliver_identity_changes(full)
    deliver_identity_only(full)
    build_like_the_pipeline(full, tmp_path / "t2")

    assert_same_contents(stepwise, full)
