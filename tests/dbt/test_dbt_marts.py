"""The marts over the handcrafted scenario (dbt_scenario.py): moves, eligibility, survivorship,
credits and suppression (fixture `built` in conftest.py, min_cell_size = 3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from dbt_raw_fixture import query
from dbt_scenario import ELDER, INTRA, JOSE, LOST, RETRACTED, ROSA

from msix.dbt import run_dbt


def test_move_seen_by_both_sources_is_one_row(built: Path) -> None:
    rows = query(
        built,
        "select from_state, to_state, departure_date::varchar, arrival_date::varchar, source,"
        f" is_interstate from marts.fct_move where msix_id = '{ROSA}'",
    )
    assert rows == [("TX", "FL", "2025-12-15", "2026-01-05", "both", True)]


def test_intrastate_district_change_is_a_move(built: Path) -> None:
    rows = query(
        built,
        "select from_state, to_state, is_interstate, gap_days, source from marts.fct_move"
        f" where msix_id = '{INTRA}'",
    )
    assert rows == [("NM", "NM", False, 3, "enrollment_sequence")]


def test_child_who_enrolled_nowhere_is_visible(built: Path) -> None:
    rows = query(
        built,
        "select from_state, to_state, departure_date::varchar, no_arrival_within_window"
        f" from marts.fct_move where msix_id = '{LOST}'",
    )
    assert rows == [("TX", None, "2025-03-01", True)]


def test_eligibility_ends_at_22_when_that_comes_first(built: Path) -> None:
    rows = query(
        built,
        "select eligibility_expiration_date::varchar, state_expiration_date::varchar,"
        f" has_state_expiration_conflict from marts.fct_eligibility where msix_id = '{ELDER}'",
    )
    assert rows == [("2028-01-14", "2028-05-31", True)]
    current = query(
        built,
        f"select is_currently_eligible from marts.dim_student where msix_id = '{ELDER}'",
    )
    assert current == [(True,)]


def test_survivorship_prefers_agreement_and_follows_merges(built: Path) -> None:
    # CO's record was linked to a retired ID merged into JOSE: it still counts for JOSE
    rows = query(
        built,
        "select first_name, last_name_2, birth_date::varchar, states, has_conflicts,"
        " first_name_has_conflict, last_name_1_has_conflict"
        f" from marts.dim_student where msix_id = '{JOSE}'",
    )
    assert rows == [("Jose", "Lopez", "2012-03-04", ["AZ", "CO", "NM"], True, True, False)]


def test_deleted_state_record_leaves_the_other_state(built: Path) -> None:
    states = query(built, f"select states from marts.dim_student where msix_id = '{RETRACTED}'")
    assert states == [(["CA"],)]
    enrollments = query(
        built, f"select state from marts.fct_enrollment where msix_id = '{RETRACTED}'"
    )
    assert enrollments == [("CA",)]


def test_credits_sum_exactly_across_states(built: Path) -> None:
    rows = query(
        built,
        "select credits_granted_total, credits_in_progress, in_progress_credits_attempted,"
        " credits_mathematics, states"
        f" from marts.rpt_credit_accrual where msix_id = '{ROSA}'",
    )
    assert rows == [(Decimal("1.75"), 1, Decimal("0.50"), Decimal("0.50"), ["FL", "TX"])]
    types = query(
        built,
        "select distinct data_type from information_schema.columns where table_schema = 'marts'"
        " and table_name = 'fct_course' and column_name like 'credits_%'",
    )
    assert types == [("DECIMAL(4,2)",)]


def test_small_cells_and_their_complement_are_suppressed(built: Path) -> None:
    rows = query(
        built,
        "select to_state, moves, suppression_reason from marts.rpt_moves_monthly"
        " where from_state = 'TX' and month = date '2025-11-01' order by to_state",
    )
    # CO (2 moves) is below 3; NM (3) is hidden too, else TX's row total would reveal CO
    assert rows == [("AZ", 5, None), ("CO", None, "small cell"), ("NM", None, "complementary")]


def test_federal_holidays_are_observed_on_weekdays(built: Path) -> None:
    rows = query(
        built,
        "select date_day::varchar, holiday_name from marts.dim_date"
        " where is_federal_holiday and date_day between '2021-12-20' and '2022-01-20'"
        " order by date_day",
    )
    assert rows == [
        ("2021-12-24", "Christmas Day"),
        ("2021-12-31", "New Year's Day"),
        ("2022-01-17", "Birthday of Martin Luther King, Jr."),
    ]
    working_days = query(
        built,
        "select b.working_day_index - a.working_day_index from marts.dim_date a, marts.dim_date b"
        " where a.date_day = '2021-12-23' and b.date_day = '2022-01-03'",
    )
    assert working_days == [(5,)]  # Dec 27-30 and Jan 3


def test_dates_in_the_marts_are_dates(built: Path) -> None:
    # warehouse.md: "Dates are DATE", administration_date (delivered as YYYY-MM) included
    not_dates = query(
        built,
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and column_name like '%\\_date' escape '\\'"
        " and column_name <> 'grade_to_date'"  # a course's grade so far, not a date
        " and data_type <> 'DATE' order by all",
    )
    assert not_dates == []
    assert query(built, "select distinct administration_date from marts.fct_assessment") == [
        (date(2025, 12, 1),)
    ]


def test_worklist_holds_only_undecided_pairs(built: Path) -> None:
    rows = query(built, "select pair_id, msix_id_l, msix_id_r from marts.near_match_worklist")
    assert rows == [("p1", "100000000002", INTRA)]


def test_snapshots_keep_what_the_warehouse_knew(built: Path) -> None:
    rows = query(
        built,
        "select count(*) from snapshots.snp_student_records"
        " where state = 'TX' and state_student_id = 'T3' and is_deleted",
    )
    assert rows == [(1,)]
    # T6 first arrived with the late file: known only from the second build on
    first_build, late_record = query(
        built,
        "select min(dbt_valid_from), min(dbt_valid_from) filter (where state_student_id = 'T6')"
        " from snapshots.snp_student_records",
    )[0]
    assert late_record > first_build


# schema-qualified, in the two pipeline phases that build them
INCREMENTAL_MODELS = (
    (
        "intermediate.int_student_records_latest",
        "intermediate.int_moves_current",
        "intermediate.int_enrollments_current",
        "intermediate.int_courses_current",
        "intermediate.int_assessments_current",
        "intermediate.int_eligibility_periods",
    ),
    (
        "marts.fct_enrollment",
        "marts.fct_course",
        "marts.fct_assessment",
        "intermediate.int_student_field_votes",
        "intermediate.int_moves_detected",
        "marts.fct_move",
        "marts.rpt_credit_accrual",
        "marts.dim_student",
    ),
)


def test_incremental_models_equal_a_full_rebuild(built: Path, tmp_path: Path) -> None:
    # `built` ran these incrementally for the second delivery (late older file, deletion,
    # replaced child records, re-linked record)
    def contents() -> dict[str, list[tuple]]:
        return {
            relation: query(built, f"select * from {relation} order by all")
            for phase in INCREMENTAL_MODELS
            for relation in phase
        }

    incremental = contents()
    phases = [[relation.split(".")[1] for relation in phase] for phase in INCREMENTAL_MODELS]
    untouched = {
        model
        for models in phases
        for model in models
        if query(built, f"select count(*) from intermediate.{model}__affected") == [(0,)]
    }
    # the second delivery carries no moves, no assessments and no retraction: nothing changes
    # their current rows (a re-sent student alone does not); every other model rebuilt some
    assert untouched == {"int_moves_current", "int_assessments_current"}
    for models in phases:
        run_dbt(["build", "--select", *models, "--full-refresh"], built, target_path=tmp_path / "t")
    assert contents() == incremental


def test_credit_summary_suppresses_states_with_few_students(built: Path) -> None:
    rows = query(
        built,
        "select state, secondary_students, credits_granted_sum, is_suppressed"
        " from marts.rpt_credit_accrual_by_state order by state",
    )
    assert rows == [("FL", None, None, True), ("TX", None, None, True)]  # 1 and 2 students < 3
