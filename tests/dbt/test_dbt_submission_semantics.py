"""Intermediate models: the current state of every state's records after deltas, deletes and
late files (../shared/spec/state-files.md §2), over the handcrafted scenario (fixture `built`)."""

from __future__ import annotations

from pathlib import Path

from dbt_raw_fixture import query


def test_later_stamp_wins_although_the_older_file_arrived_last(built: Path) -> None:
    rows = query(
        built,
        "select first_name, stamp::varchar from intermediate.int_student_records_latest"
        " where state = 'TX' and state_student_id = 'T1'",
    )
    assert rows == [("Rosa", "2026-01-10 08:00:00")]


def test_late_older_file_does_not_replace_child_records(built: Path) -> None:
    rows = query(
        built,
        "select withdrawal_date::varchar from intermediate.int_enrollments_current"
        " where state = 'TX' and state_student_id = 'T1'",
    )
    assert rows == [("2025-12-15",)]  # the newer list, once despite the duplicate row


def test_one_row_per_state_record_ever_received(built: Path) -> None:
    total, distinct = query(
        built,
        "select count(*), count(distinct (state, state_student_id))"
        " from intermediate.int_student_records_latest",
    )[0]
    assert total == distinct == 21  # 4 TX, 7 elsewhere, 10 report children


def test_deletion_retracts_only_that_states_records(built: Path) -> None:
    deleted = query(
        built,
        "select state, is_deleted from intermediate.int_student_records_latest"
        " where state_student_id in ('T3', 'C3') order by state",
    )
    assert deleted == [("CA", False), ("TX", True)]
    enrollments = query(
        built,
        "select state from intermediate.int_enrollments_current"
        " where state_student_id in ('T3', 'C3')",
    )
    assert enrollments == [("CA",)]


def test_child_records_are_replaced_per_student_per_type(built: Path) -> None:
    enrollments = query(
        built,
        "select school_id from intermediate.int_enrollments_current"
        " where state = 'TX' and state_student_id = 'T2'",
    )
    assert enrollments == [("480000000002",)]  # the newer list replaced both older rows
    courses = query(
        built,
        "select course_title from intermediate.int_courses_current"
        " where state = 'TX' and state_student_id = 'T2'",
    )
    assert courses == [("Geometry",)]  # the newer submission carried no courses: untouched


def test_student_record_columns_are_the_identity_interface(built: Path) -> None:
    columns = query(
        built,
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'intermediate' and table_name = 'int_student_records_latest'"
        " order by ordinal_position",
    )
    assert [c for c, _ in columns][:5] == [
        "state",
        "state_student_id",
        "stamp",
        "is_deleted",
        "msix_id",
    ]
    types = dict(columns)
    assert (types["birth_date"], types["multiple_birth"], types["is_deleted"]) == (
        "DATE",
        "BOOLEAN",
        "BOOLEAN",
    )
