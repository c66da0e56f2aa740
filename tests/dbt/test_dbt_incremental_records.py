"""The current-record models built delivery by delivery equal a full build, for every case of
the rules that let a delta rebuild a record from its new rows alone (macros/incremental_records.sql):
a new file with the built stamp (ties), a late older file (the built rows are kept), a later
`D` (retraction), an older `D` (kept), a late list under a retraction, a new list with a key
twice (deduplicated), a new record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_raw_fixture import append_rows, child_row, create_empty_warehouse, query, student_row

from msix.dbt import DbtFailure, run_dbt
from msix.pipeline import staging_build_args

W3, W4, W5, W6, W7 = (f"2026-0{month}-01 08:00:00" for month in (3, 4, 5, 6, 7))
MODELS = (
    "int_student_records_latest",
    "int_moves_current",
    "int_enrollments_current",
    "int_courses_current",
    "int_assessments_current",
    "int_eligibility_periods",
)


def enrollment(school: str, start: str = "2026-01-10") -> dict[str, object]:
    return {"school_id": school, "district_id": "3200001", "enrollment_date": start}


def course(title: str) -> dict[str, object]:
    return {
        "school_id": "320000000001",
        "school_year": "2025-2026",
        "term_type": "FULL",
        "course_title": title,
    }


# (delivery, raw table, stamp, load_id, line_no, state_student_id, fields), case by case
ROWS = (
    # TIE: the second delivery has rows with the built stamp (ties go to load, then line)
    (1, "students", W5, "a1", 2, "TIE", {"first_name": "Ana"}),
    (2, "students", W5, "z9", 2, "TIE", {"first_name": "Anabel"}),
    (1, "courses", W5, "a1", 2, "TIE", {**course("Algebra I"), "final_grade": "B"}),
    (2, "courses", W5, "a0", 2, "TIE", {**course("Algebra I"), "final_grade": "A"}),
    (2, "courses", W5, "a0", 3, "TIE", course("Chemistry")),
    (
        1,
        "assessments",
        W5,
        "a1",
        2,
        "TIE",
        {"assessment_title": "Math", "administration_date": "2026-03"},
    ),
    (
        2,
        "assessments",
        W5,
        "z9",
        2,
        "TIE",
        {"assessment_title": "Reading", "administration_date": "2026-03"},
    ),
    # VERSION_LOW: a tie whose earlier load loses
    (1, "students", W5, "a1", 8, "VERSION_LOW", {"first_name": "Ana"}),
    (2, "students", W5, "a0", 2, "VERSION_LOW", {"first_name": "Anita"}),
    # KEPT: a late older file, the built rows stay (a move with the built stamp is a tie)
    (1, "students", W5, "a1", 3, "KEPT", {}),
    (1, "courses", W5, "a1", 3, "KEPT", course("Biology")),
    (1, "enrollments", W5, "a1", 2, "KEPT", enrollment("320000000001")),
    (1, "moves", W5, "a1", 2, "KEPT", {"qad": "2025-12-01", "move_from_state": "CA"}),
    (2, "students", W3, "b3", 2, "KEPT", {"first_name": "Older"}),
    (2, "enrollments", W3, "b3", 4, "KEPT", enrollment("320000000009")),
    (2, "moves", W5, "a0", 2, "KEPT", {"qad": "2025-11-01", "move_from_state": "AZ"}),
    # RETRACTED: a later D hides the lists
    (1, "students", W5, "a1", 4, "RETRACTED", {}),
    (1, "enrollments", W5, "a1", 3, "RETRACTED", enrollment("320000000001")),
    (1, "moves", W5, "a1", 3, "RETRACTED", {"qad": "2025-12-01", "move_from_state": "CA"}),
    (2, "students", W7, "b7", 2, "RETRACTED", {"action": "D"}),
    # OLD_D: a late D older than the list retracts nothing
    (1, "students", W5, "a1", 7, "OLD_D", {}),
    (1, "enrollments", W5, "a1", 6, "OLD_D", enrollment("320000000001")),
    (2, "students", W3, "b3", 3, "OLD_D", {"action": "D"}),
    # HIDDEN and SHOWN: retracted lists, then a late list from under the D, or after it
    (1, "students", W4, "a1", 5, "HIDDEN", {}),
    (1, "students", W6, "a2", 2, "HIDDEN", {"action": "D"}),
    (1, "enrollments", W4, "a1", 4, "HIDDEN", enrollment("320000000001")),
    (2, "enrollments", W5, "b5", 2, "HIDDEN", enrollment("320000000002")),
    (1, "students", W4, "a1", 6, "SHOWN", {}),
    (1, "students", W6, "a2", 3, "SHOWN", {"action": "D"}),
    (1, "enrollments", W4, "a1", 5, "SHOWN", enrollment("320000000001")),
    (2, "enrollments", W7, "b7", 4, "SHOWN", enrollment("320000000002")),
    # DUP: a new list with a key twice in one file and again in a copy of the file (course_section
    # is NULL: NULLs in a key are equal); the first by load, then line, counts
    (1, "students", W4, "a1", 9, "DUP", {}),
    (1, "courses", W4, "a1", 4, "DUP", course("Geometry")),
    (2, "courses", W6, "c2", 2, "DUP", {**course("Geometry"), "final_grade": "C"}),
    (2, "courses", W6, "c1", 3, "DUP", {**course("Geometry"), "final_grade": "B"}),
    (2, "courses", W6, "c1", 4, "DUP", {**course("Geometry"), "final_grade": "A"}),
    (2, "courses", W6, "c1", 5, "DUP", course("Physics")),
    (2, "courses", W6, "c2", 3, "DUP", course("Physics")),
    # NEW: a record first seen in the second delivery
    (2, "students", W7, "b7", 3, "NEW", {"first_name": "Nora"}),
    (2, "courses", W7, "b7", 2, "NEW", course("Art")),
)


def deliver(warehouse: Path, delivery: int) -> None:
    """Append the rows of one delivery, table by table, in load and line order."""
    if not warehouse.exists():
        create_empty_warehouse(warehouse)
    rows = sorted((r for r in ROWS if r[0] == delivery), key=lambda r: (r[3], r[4]))
    for table in ("students", "moves", "enrollments", "courses", "assessments"):
        make = student_row if table == "students" else child_row
        append_rows(
            warehouse,
            f"raw.{table}",
            [
                make("NV", stamp, load, line, record, **fields)
                for _, t, stamp, load, line, record, fields in rows
                if t == table
            ],
        )


def build(warehouse: Path, target: Path) -> None:
    run_dbt(staging_build_args(), warehouse, target_path=target)


def contents(warehouse: Path) -> dict[str, list[tuple]]:
    return {
        model: query(warehouse, f"select * from intermediate.{model} order by all")
        for model in MODELS
    }


def rebuilt(warehouse: Path, model: str) -> dict[str, object]:
    rows = query(
        warehouse, f"select state_student_id, tied_stamp from intermediate.{model}__rebuilt"
    )
    return {record: tied is not None for record, tied in rows}


def test_delivery_by_delivery_equals_a_full_build(tmp_path: Path) -> None:
    stepwise, full = tmp_path / "stepwise" / "msix.duckdb", tmp_path / "full" / "msix.duckdb"
    deliver(stepwise, 1)
    build(stepwise, tmp_path / "t1")
    deliver(stepwise, 2)
    build(stepwise, tmp_path / "t1")

    deliver(full, 1)
    deliver(full, 2)
    build(full, tmp_path / "t2")

    # the cases happened: ties, kept records, rebuilt records
    assert rebuilt(stepwise, "int_courses_current") == {"TIE": True, "DUP": False, "NEW": False}
    assert rebuilt(stepwise, "int_enrollments_current") == {
        "RETRACTED": False,
        "HIDDEN": False,
        "SHOWN": False,
    }  # KEPT (older list) and OLD_D (older D) keep their rows
    assert rebuilt(stepwise, "int_student_records_latest") == {
        "TIE": True,
        "VERSION_LOW": True,
        "RETRACTED": False,
        "NEW": False,
    }
    assert query(
        stepwise,
        "select state_student_id, first_name from intermediate.int_student_records_latest"
        " where state_student_id in ('TIE', 'VERSION_LOW') order by 1",
    ) == [("TIE", "Anabel"), ("VERSION_LOW", "Ana")]
    assert query(
        stepwise,
        "select state_student_id, count(*) from intermediate.int_enrollments_current group by 1 order by 1",
    ) == [("KEPT", 1), ("OLD_D", 1), ("SHOWN", 1)]
    assert query(
        stepwise,
        "select course_title, load_id from intermediate.int_courses_current"
        " where state_student_id = 'TIE' order by 1",
    ) == [("Algebra I", "a0"), ("Chemistry", "a0")]
    assert query(
        stepwise,
        "select course_title, load_id, line_no, final_grade from intermediate.int_courses_current"
        " where state_student_id = 'DUP' order by 1",
    ) == [("Geometry", "c1", 3, "B"), ("Physics", "c1", 5, None)]

    stepwise_contents, full_contents = contents(stepwise), contents(full)
    for model in MODELS:
        assert stepwise_contents[model] == full_contents[model], model


def test_not_null_columns_fails_on_every_null_of_its_columns(tmp_path: Path) -> None:
    """The one-node `not_null_columns` test fails where a `not_null` test per column would,
    with as many failing rows as those tests together (one per null value)."""
    warehouse = tmp_path / "msix.duckdb"
    deliver(warehouse, 1)
    build(warehouse, tmp_path / "t")
    query(
        warehouse,
        "update intermediate.int_enrollments_current set stamp = null, load_id = null"
        " where state_student_id = 'KEPT'",
    )
    query(
        warehouse,
        "update intermediate.int_enrollments_current set stamp = null"
        " where state_student_id = 'RETRACTED'",
    )
    with pytest.raises(DbtFailure, match="not_null_columns_int_enrollments_current"):
        run_dbt(
            ["test", "--select", "int_enrollments_current"], warehouse, target_path=tmp_path / "t"
        )
    results = json.loads((tmp_path / "t" / "run_results.json").read_text())["results"]
    failures = {
        result["unique_id"].split(".")[2]: result["failures"]
        for result in results
        if result["status"] == "fail"
    }
    assert failures == {
        "not_null_columns_int_enrollments_current_enrollment_key__load_id__state__stamp__state_student_id": 3
    }
