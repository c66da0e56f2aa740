"""Canonical CSV (§3, §4): headers, extra columns, row checks to quarantine, file rejects."""

from __future__ import annotations

import json

import pytest

from tests.loaders.conftest import STUDENT_HEADER


def test_bom_free_order_case_insensitive_headers_and_unknown_columns(landing) -> None:
    header = [
        "Sex",
        "FIRST_NAME",
        "favourite_colour",
        "State_Student_Id",
        "birth_date",
        "Last_Name_1",
    ]
    body = "\ufeff" + landing.csv_text(header, [["F", "Ana", "blue", "TX1", "2012-05-01", "Ruiz"]])
    landing.write("TX", "TX_20261101T083000_students.csv", body)
    landing.ingest()
    row = landing.rows(
        "select state_student_id, first_name, sex, birth_date, action, extra from raw.students"
    )[0]
    assert row[:3] == ("TX1", "Ana", "F")
    assert str(row[3]) == "2012-05-01"
    assert row[4] == "U"  # filled when the column is missing
    assert json.loads(row[5]) == {"favourite_colour": "blue"}


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (["TX1", "", "Ruiz", "F", "2012-05-01"], "first_name", "required field missing"),
        (["TX1", "Ana", "Ruiz", "F", "2012-13-01"], "birth_date", "bad date"),
        (["TX1", "Ana", "Ruiz", "Q", "2012-05-01"], "sex", "bad code"),
        (["T" * 16, "Ana", "Ruiz", "F", "2012-05-01"], "state_student_id", "too long"),
    ],
)
def test_a_row_breaking_a_rule_is_quarantined_with_line_field_and_reason(
    landing, row, field, reason
) -> None:
    good = landing.student("TX9")
    landing.students("TX", [good, row])
    report = landing.ingest()
    assert report.counts()["rows_loaded"] == 1
    line_no, got_field, got_reason = landing.rows(
        "select line_no, field, reason from raw.quarantine"
    )[0]
    assert (line_no, got_field) == (3, field)
    assert got_reason.startswith(reason)


def test_wrong_types_in_enrollments_and_courses_are_quarantined(landing) -> None:
    enrollments = landing.csv_text(
        [
            "state_student_id",
            "school_id",
            "school_name",
            "enrollment_type",
            "enrollment_date",
            "grade_level",
        ],
        [
            ["TX1", "48123400567", "S", "01", "2026-09-01", "05"],  # 11 digits
            ["TX1", "481234005678", "S", "01", "2026-09-01", "13"],  # grade
            ["TX1", "481234005678", "S", "01", "2026-09-01", "05"],
        ],
    )
    courses = landing.csv_text(
        [
            "state_student_id",
            "school_id",
            "school_year",
            "term_type",
            "course_title",
            "subject_area",
            "credits_granted",
            "clock_hours",
        ],
        [
            ["TX1", "481234005678", "2025-2026", "FULL", "Algebra", "02", "0.5", "40"],
            ["TX1", "481234005678", "2025-2027", "FULL", "Algebra", "02", "", ""],
            ["TX1", "481234005678", "2025-2026", "FULL", "Algebra", "02", "11", ""],
            ["TX1", "481234005678", "2025-2026", "FULL", "Algebra", "02", "", "1.5"],
        ],
    )
    landing.write("TX", "TX_20261101T083000_enrollments.csv", enrollments)
    landing.write("TX", "TX_20261101T083000_courses.csv", courses)
    landing.ingest()
    assert landing.rows("select record_type, line_no, field from raw.quarantine order by 1, 2") == [
        ("courses", 3, "school_year"),
        ("courses", 4, "credits_granted"),
        ("courses", 5, "clock_hours"),
        ("enrollments", 2, "school_id"),
        ("enrollments", 3, "grade_level"),
    ]
    assert landing.one("select credits_granted from raw.courses") == pytest.approx(0.5)


def test_delete_action_row_needs_only_the_student_id(landing) -> None:
    header = ["state_student_id", "action", "first_name", "last_name_1", "sex", "birth_date"]
    landing.students("TX", [["TX1", "D", "", "", "", ""]], header=header)
    landing.ingest()
    assert landing.rows("select state_student_id, action from raw.students") == [("TX1", "D")]


def test_rows_read_equal_loaded_plus_quarantined_per_file(landing) -> None:
    landing.students(
        "TX",
        [landing.student(f"TX{i}", birth="bad" if i % 3 == 0 else "2012-01-01") for i in range(30)],
    )
    landing.students("TX", [landing.student("TX1")], stamp="20261102T083000")
    landing.ingest()
    for _name, _status, read, loaded, quarantined, _reason in landing.manifest():
        assert read == loaded + quarantined
    assert landing.one("select sum(rows_read) from raw.load_manifest") == 31
    assert (
        landing.one("select count(*) from raw.students")
        + landing.one("select count(*) from raw.quarantine")
        == 31
    )


def test_a_file_of_deletes_needs_only_the_student_id_and_action_columns(landing) -> None:
    landing.students(
        "TX", [["TX1", "D"], ["TX2", "d"], ["TX3", "U"]], header=["State_Student_Id", "ACTION"]
    )
    report = landing.ingest()
    assert report.counts()["files_loaded"] == 1
    assert landing.rows("select state_student_id, action from raw.students") == [("TX1", "D")]
    quarantined = landing.rows(
        "select state_student_id, line_no, field, reason from raw.quarantine order by line_no"
    )
    assert quarantined == [
        ("TX2", 3, "action", "bad code (expected one of I U D)"),
        ("TX3", 4, "first_name", "required field missing"),
    ]
    assert [row[2:5] for row in landing.manifest()] == [(3, 1, 2)]


def test_an_absent_required_column_is_missing_on_every_row_and_others_still_load(landing) -> None:
    landing.students(
        "TX",
        [["TX1", "Ana", "Ruiz", "F"]],
        header=["state_student_id", "first_name", "last_name_1", "sex"],
    )
    landing.students("NE", [landing.student("NE1")])
    report = landing.ingest()
    assert report.counts()["files_loaded"] == 2
    assert landing.rows("select state from raw.students") == [("NE",)]
    assert landing.rows("select file_name, line_no, field, reason from raw.quarantine") == [
        ("TX_20261101T083000_students.csv", 2, "birth_date", "required field missing")
    ]


def test_a_file_without_the_student_id_column_is_rejected(landing) -> None:
    landing.students("TX", [["Ana", "Ruiz", "F", "2012-01-01"]], header=STUDENT_HEADER[1:])
    report = landing.ingest()
    assert report.counts()["files_rejected"] == 1
    manifest = {row[0]: row for row in landing.manifest()}
    assert manifest["TX_20261101T083000_students.csv"][1] == "rejected"
    assert (
        manifest["TX_20261101T083000_students.csv"][5]
        == "required column missing: state_student_id"
    )
    assert any("TX_20261101T083000_students.csv: rejected" in note for note in report.notes())


def test_duplicated_header_and_ragged_rows_reject_the_file(landing) -> None:
    landing.write(
        "TX", "TX_20261101T083000_students.csv", "state_student_id,STATE_STUDENT_ID\nA,B\n"
    )
    landing.write(
        "NE",
        "NE_20261101T083000_students.csv",
        "state_student_id,first_name,last_name_1,sex,birth_date\nNE1,Ana,Ruiz,F,2012-01-01,extra\n",
    )
    landing.ingest()
    reasons = {row[0]: row[5] for row in landing.manifest()}
    assert "twice" in reasons["TX_20261101T083000_students.csv"]
    assert reasons["NE_20261101T083000_students.csv"].startswith("malformed CSV at line 2")


def test_a_state_column_in_the_body_must_agree_with_the_name(landing) -> None:
    header = ["state_student_id", "first_name", "last_name_1", "sex", "birth_date", "state"]
    landing.students("TX", [[*landing.student("TX1"), "NE"]], header=header)
    landing.ingest()
    assert landing.manifest()[0][1] == "rejected"
    assert "state column disagrees" in landing.manifest()[0][5]


def test_a_rejection_reason_never_quotes_the_broken_row(landing) -> None:
    # An unterminated quote makes DuckDB's 'Original Line' span lines: none of it may leak.
    landing.write(
        "NE",
        "NE_20261101T083000_students.csv",
        "state_student_id,first_name,last_name_1,sex,birth_date\n"
        'NE1,"Zelda\nQuintanilla,Ruiz,F,2012-01-01\nNE2,Ana,Ruiz,F,2012-01-01\n',
    )
    landing.ingest()
    reason = {row[0]: row[5] for row in landing.manifest()}["NE_20261101T083000_students.csv"]
    assert reason == "malformed CSV at line 2: Value with unterminated quote found."


def test_rows_repeating_a_key_in_one_file_are_quarantined_but_one(landing) -> None:
    """§4: one row per student per submission, enrollments by their key. The row kept is the
    one the current-record models keep: a student's last line, an enrollment's first."""
    landing.students(
        "TX",
        [landing.student("TX1", "Ana"), landing.student("TX2"), landing.student("TX1", "Anna")],
    )
    header = "state_student_id,school_id,school_name,enrollment_type,enrollment_date,grade_level\n"
    row = "TX1,481234005678,{},01,2026-08-20,09\n"
    landing.write(
        "TX",
        "TX_20261101T083000_enrollments.csv",
        header + row.format("First") + row.format("Again") + row.format("Third"),
    )
    landing.ingest()
    assert landing.rows("select state_student_id, first_name from raw.students order by 1") == [
        ("TX1", "Anna"),
        ("TX2", "Ana"),
    ]
    assert landing.rows("select school_name from raw.enrollments") == [("First",)]
    assert landing.rows(
        "select record_type, line_no, field, reason from raw.quarantine order by 1, 2"
    ) == [
        (
            "enrollments",
            3,
            "state_student_id",
            "repeats the key of line 2 of this file (that line is kept)",
        ),
        (
            "enrollments",
            4,
            "state_student_id",
            "repeats the key of line 2 of this file (that line is kept)",
        ),
        (
            "students",
            2,
            "state_student_id",
            "repeats the key of line 4 of this file (that line is kept)",
        ),
    ]
    assert [row[2:5] for row in landing.manifest()] == [(3, 1, 2), (3, 2, 1)]


def test_a_student_repeated_in_an_xml_file_is_quarantined_but_the_last(landing) -> None:
    students = [landing.xml_student("TX1"), landing.xml_student("TX2"), landing.xml_student("TX1")]
    landing.write("TX", "TX_20261101T083000.xml", landing.xml_text(students=students))
    landing.ingest()
    assert landing.rows("select state_student_id, line_no from raw.students order by 1") == [
        ("TX1", 3),
        ("TX2", 2),
    ]
    assert landing.rows("select line_no, reason from raw.quarantine") == [
        (1, "repeats the key of line 3 of this file (that line is kept)")
    ]
    assert [row[2:5] for row in landing.manifest()] == [(3, 2, 1)]
