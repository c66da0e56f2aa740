"""Each finding rule fires on handcrafted data when it should, and not otherwise."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pandas as pd
import pytest

from quality.findings import evaluate_rules
from quality.fixtures import Warehouse

AS_OF = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
T0 = datetime(2026, 1, 5, 8, 0)  # first submissions


@pytest.fixture
def wh() -> Warehouse:
    con = duckdb.connect(":memory:")
    yield Warehouse(con)
    con.close()


def found(wh: Warehouse, rule: str, as_of: datetime = AS_OF) -> pd.DataFrame:
    findings = evaluate_rules(wh.con, as_of).findings
    return findings[findings["rule"] == rule].reset_index(drop=True)


def enrollment(state: str, sid: str, start: date, end: date | None, **kw: object) -> dict:
    row = {
        "state": state,
        "state_student_id": sid,
        "school_id": kw.pop("school_id", f"{state}0000000001"),
        "school_name": "School",
        "enrollment_type": "01",
        "enrollment_date": start,
        "withdrawal_date": end,
        "grade_level": "05",
        "stamp": T0,
    }
    return {**row, **kw}


def child_in_two_states(wh: Warehouse, **fl_fields: object) -> None:
    """Child 000000000001: TX record TX1 and FL record FL1, born 2015-04-01."""
    wh.student(
        "TX", "TX1", "000000000001", birth_date=date(2015, 4, 1), multiple_birth="N", stamp=T0
    )
    fields = {"birth_date": date(2015, 4, 1), "multiple_birth": "N", "stamp": T0, **fl_fields}
    wh.student("FL", "FL1", "000000000001", **fields)


def test_missing_course_history_after_30_days_only(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", birth_date=date(2010, 4, 1), stamp=T0)
    wh.student("TX", "TX2", "000000000002", birth_date=date(2010, 4, 1), stamp=T0)
    wh.student("TX", "TX3", "000000000003", birth_date=date(2010, 4, 1), stamp=T0)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), date(2026, 1, 10), grade_level="10"),
            enrollment("TX", "TX2", date(2025, 8, 20), date(2026, 2, 20), grade_level="10"),
            enrollment("TX", "TX3", date(2025, 8, 20), date(2026, 1, 10), grade_level="10"),
        ],
    )
    wh.add(
        "raw.courses",
        [
            {
                "state": "TX",
                "state_student_id": "TX3",
                "school_id": "TX0000000001",
                "school_year": "2025-2026",
                "term_type": "SEM1",
                "course_title": "Algebra I",
                "subject_area": "02",
                "stamp": T0,
            }
        ],
    )
    rows = found(wh, "missing_course_history")
    assert list(rows["state_student_id"]) == ["TX1"]  # TX2 withdrew < 30 days ago, TX3 has courses
    assert rows.loc[0, "state"] == "TX"


def test_missing_qad_from_quarantine_until_resubmitted(wh: Warehouse) -> None:
    wh.student("CA", "CA1", "000000000001", stamp=T0)
    wh.add(
        "raw.load_manifest",
        [
            {
                "file_name": "CA_20260105T080000_moves.csv",
                "file_path": "/landing/CA/CA_20260105T080000_moves.csv",
                "checksum": "abc",
                "state": "CA",
                "stamp": T0,
                "record_type": "moves",
                "status": "loaded",
                "rows_read": 1,
                "rows_loaded": 0,
                "rows_quarantined": 1,
                "load_id": "abc",
                "loaded_at": T0,
            }
        ],
    )
    wh.add(
        "raw.quarantine",
        [
            {
                "load_id": "abc",
                "file_name": "CA_20260105T080000_moves.csv",
                "record_type": "moves",
                "line_no": 2,
                "state": "CA",
                "state_student_id": "CA1",
                "field": "qad",
                "reason": "required value missing",
            }
        ],
    )
    rows = found(wh, "missing_qad")
    assert list(rows["state_student_id"]) == ["CA1"]
    assert "line 2" in rows.loc[0, "detail"]
    # the good rows of the same file do not replace the broken one
    wh.add(
        "raw.moves",
        [{"state": "CA", "state_student_id": "CA1", "qad": date(2025, 9, 1), "stamp": T0}],
    )
    assert len(found(wh, "missing_qad")) == 1
    fixed = datetime(2026, 2, 1, 8, 0)
    wh.add(
        "raw.moves",
        [{"state": "CA", "state_student_id": "CA1", "qad": date(2026, 1, 2), "stamp": fixed}],
    )
    assert found(wh, "missing_qad").empty


def test_missing_withdrawal_date_when_enrolled_elsewhere_later(wh: Warehouse) -> None:
    child_in_two_states(wh)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), None),
            enrollment("FL", "FL1", date(2026, 1, 12), None),
        ],
    )
    rows = found(wh, "missing_withdrawal_date")
    assert list(rows["state"]) == ["TX"]
    assert "FL" in rows.loc[0, "detail"]


def test_no_missing_withdrawal_date_within_one_state(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), None),
            enrollment("TX", "TX1", date(2025, 9, 1), None, school_id="TX0000000002"),
        ],
    )
    assert found(wh, "missing_withdrawal_date").empty


def test_conflicting_identity_names_fields_not_values(wh: Warehouse) -> None:
    child_in_two_states(
        wh, birth_date=date(2015, 1, 4), sex="M", first_name="Zoila", last_name_1="Quispe",
        multiple_birth="Y",
    )  # fmt: skip
    rows = found(wh, "conflicting_identity")
    assert set(zip(rows["state"], rows["subject_key"], strict=True)) == {
        (st, f) for st in ("TX", "FL") for f in ("birth_date", "sex", "names", "multiple_birth")
    }
    assert not rows["detail"].str.contains("2015|Zoila|Quispe|Ana|Garcia").any()


def test_conflicting_identity_ignores_what_identity_resolution_explains(wh: Warehouse) -> None:
    wh.student(
        "TX",
        "TX1",
        "000000000001",
        first_name="José",
        last_name_1="Pérez",
        last_name_2="Ruiz",
        stamp=T0,
    )
    wh.student("FL", "FL1", "000000000001", first_name="JOSE", last_name_1="Ruiz-Perez", stamp=T0)
    wh.student("CA", "CA1", "000000000001", first_name="Pepe", last_name_1="Perez", stamp=T0)
    assert found(wh, "conflicting_identity").empty


def test_conflicting_msix_id_points_to_another_child(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.student("FL", "FL1", "000000000002", msix_id="000000000001", stamp=T0)
    wh.student("CA", "CA1", "000000000003", msix_id="000000000003", stamp=T0)
    rows = found(wh, "conflicting_msix_id")
    assert list(rows["state_student_id"]) == ["FL1"]


def test_conflicting_eligibility_expiration(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", birth_date=date(2012, 5, 1), stamp=T0)
    wh.student("TX", "TX2", "000000000002", birth_date=date(2012, 5, 1), stamp=T0)
    wh.add(
        "raw.moves",
        [
            {"state": "TX", "state_student_id": "TX1", "qad": date(2025, 9, 2),
             "eligibility_expiration_date": date(2028, 9, 1), "stamp": T0},
            {"state": "TX", "state_student_id": "TX2", "qad": date(2025, 9, 2),
             "eligibility_expiration_date": date(2028, 12, 31), "stamp": T0},
        ],
    )  # fmt: skip
    rows = found(wh, "conflicting_eligibility_expiration")
    assert list(rows["state_student_id"]) == ["TX2"]
    assert rows["detail"][0].endswith("(expected 2028-09-01)")


def test_conflicting_eligibility_expiration_never_dates_the_birthday(wh: Warehouse) -> None:
    # 22 before the 36 months run out: the expected date would reveal the birth date
    wh.student("TX", "TX1", "000000000001", birth_date=date(2004, 5, 1), stamp=T0)
    wh.add(
        "raw.moves",
        [
            {"state": "TX", "state_student_id": "TX1", "qad": date(2025, 9, 2),
             "eligibility_expiration_date": date(2028, 9, 1), "stamp": T0},
        ],
    )  # fmt: skip
    (detail,) = found(wh, "conflicting_eligibility_expiration")["detail"]
    assert detail.endswith("(expected the day before age 22)")
    assert "2026-04-30" not in detail and "04-30" not in detail


def test_overlapping_enrollments_over_seven_days(wh: Warehouse) -> None:
    child_in_two_states(wh)
    wh.student("TX", "TX2", "000000000002", stamp=T0)
    wh.student("FL", "FL2", "000000000002", stamp=T0)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), date(2026, 1, 30)),
            enrollment("FL", "FL1", date(2026, 1, 12), date(2026, 2, 20)),
            enrollment("TX", "TX2", date(2025, 8, 20), date(2026, 1, 15)),
            enrollment("FL", "FL2", date(2026, 1, 12), date(2026, 2, 20)),
        ],
    )
    rows = found(wh, "impossible_overlapping_enrollments")
    assert sorted(rows["state_student_id"]) == ["FL1", "TX1"]  # 18 days; TX2/FL2 only 3
    assert rows["detail"].str.contains("18 days").all()


def test_withdrawal_before_enrollment(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), date(2025, 8, 1)),
            enrollment("TX", "TX1", date(2025, 9, 1), date(2025, 9, 1), school_id="TX0000000002"),
        ],
    )
    rows = found(wh, "impossible_withdrawal_before_enrollment")
    assert list(rows["subject_key"]) == ["TX0000000001/2025-08-20"]


def test_credits_granted_above_attempted(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    course = {"state": "TX", "state_student_id": "TX1", "school_id": "TX0000000001",
              "school_year": "2025-2026", "term_type": "SEM1", "subject_area": "02", "stamp": T0}  # fmt: skip
    wh.add(
        "raw.courses",
        [
            {**course, "course_title": "Algebra I", "credits_attempted": 0.5, "credits_granted": 1},
            {**course, "course_title": "Biology", "credits_attempted": 1, "credits_granted": 0.5},
        ],
    )
    rows = found(wh, "impossible_credits")
    assert len(rows) == 1 and "Algebra I" in rows.loc[0, "detail"]


def test_grade_implausible_for_age(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", birth_date=date(2019, 6, 1), stamp=T0)
    wh.student("TX", "TX2", "000000000002", birth_date=date(2014, 6, 1), stamp=T0)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), None, grade_level="09"),
            enrollment("TX", "TX2", date(2025, 8, 20), None, grade_level="05"),
        ],
    )
    rows = found(wh, "impossible_grade_for_age")
    assert list(rows["state_student_id"]) == ["TX1"]
    assert "2019" not in rows.loc[0, "detail"]


def test_future_qad_is_relative_to_the_run_clock(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.add(
        "raw.moves",
        [{"state": "TX", "state_student_id": "TX1", "qad": date(2026, 2, 15), "stamp": T0}],
    )
    assert found(wh, "impossible_future_qad").empty
    early = datetime(2026, 2, 1, tzinfo=UTC)
    assert len(found(wh, "impossible_future_qad", as_of=early)) == 1


def departure(state: str, sid: str, to_state: str, qad: date, stamp: datetime) -> dict:
    return {
        "state": state,
        "state_student_id": sid,
        "qad": qad,
        "move_to_state": to_state,
        "stamp": stamp,
    }


def test_lost_student_after_60_days_without_arrival(wh: Warehouse) -> None:
    sent = datetime(2025, 11, 5)
    wh.student("TX", "TX1", "000000000001", stamp=sent)
    wh.student("FL", "FL1", "000000000001", stamp=sent)
    wh.student("TX", "TX2", "000000000002", stamp=sent)
    wh.add(
        "raw.moves",
        [
            departure("TX", "TX1", "FL", date(2025, 11, 3), sent),
            departure("TX", "TX2", "FL", date(2025, 11, 3), sent),
        ],
    )
    wh.add("raw.enrollments", [enrollment("FL", "FL1", date(2025, 11, 20), None, stamp=sent)])
    rows = found(wh, "lost_student")
    assert list(rows["state_student_id"]) == ["TX2"]
    assert rows.loc[0, "state"] == "TX"


def test_lost_student_after_a_withdrawal_with_no_enrollment_since(wh: Warehouse) -> None:
    for n in (1, 2, 3):
        wh.student("TX", f"TX{n}", f"00000000000{n}", stamp=T0)
    wh.student("FL", "FL2", "000000000002", stamp=T0)
    wh.add(
        "raw.enrollments",
        [
            enrollment("TX", "TX1", date(2025, 8, 20), date(2025, 12, 5)),  # lost
            enrollment("TX", "TX2", date(2025, 8, 20), date(2025, 12, 5)),
            enrollment("FL", "FL2", date(2026, 2, 20), None),  # back after 77 days
            enrollment("TX", "TX3", date(2025, 8, 20), date(2026, 1, 10)),  # 60 days not over
        ],
    )
    rows = found(wh, "lost_student")
    assert list(rows["state_student_id"]) == ["TX1"]
    # the 60 days ran until 2026-01-02: on that day nobody is lost yet
    assert found(wh, "lost_student", as_of=datetime(2026, 1, 2, 12, tzinfo=UTC)).empty


def test_late_coe_counts_working_days_without_holidays(wh: Warehouse) -> None:
    wh.student("TX", "TX0", "000000000009", stamp=datetime(2025, 12, 1))  # TX onboarded
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.student("TX", "TX2", "000000000002", stamp=T0)
    wh.add(
        "raw.moves",
        [
            # 2025-12-19 (Fri) -> 2026-01-05 (Mon): 9 working days (Dec 25, Jan 1 are holidays)
            {"state": "TX", "state_student_id": "TX1", "qad": date(2025, 12, 19), "stamp": T0},
            # 2025-12-15 (Mon) -> 2026-01-05: 13 working days
            {"state": "TX", "state_student_id": "TX2", "qad": date(2025, 12, 15), "stamp": T0},
        ],
    )
    rows = found(wh, "late_coe")
    assert list(rows["state_student_id"]) == ["TX2"]
    assert "13 working days" in rows.loc[0, "detail"]


def test_late_term_end_final_grades_after_30_days(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=datetime(2025, 9, 1))
    wh.student("TX", "TX2", "000000000002", stamp=datetime(2025, 9, 1))
    course = {"state": "TX", "state_student_id": "TX1", "school_id": "TX0000000001",
              "school_year": "2025-2026", "term_type": "SEM1", "subject_area": "02",
              "in_progress": "N", "final_grade": "B"}  # fmt: skip
    wh.add(
        "raw.enrollments",
        [enrollment("TX", "TX1", date(2025, 8, 20), None, stamp=datetime(2025, 9, 1))],
    )
    wh.add(
        "raw.enrollments",
        [enrollment("TX", "TX2", date(2025, 8, 20), None, stamp=datetime(2026, 2, 20))],
    )
    wh.add(
        "raw.courses",
        [
            # TX2's enrollment was first submitted after the term: not a late update
            {
                **course,
                "state_student_id": "TX2",
                "course_title": "Chemistry",
                "stamp": datetime(2026, 2, 20),
            },
            {**course, "course_title": "Algebra I", "stamp": datetime(2026, 2, 10)},  # 26 days
            {**course, "course_title": "Biology", "stamp": datetime(2026, 2, 20)},  # 36 days
        ],
    )
    rows = found(wh, "late_term_end")
    assert len(rows) == 1 and "Biology" in rows.loc[0, "detail"]
    assert found(wh, "late_term_end", as_of=datetime(2026, 2, 15, tzinfo=UTC)).empty


def test_late_after_move_notice_four_working_days(wh: Warehouse) -> None:
    notice = datetime(2026, 2, 2, 8, 0)  # Monday
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.student("TX", "TX2", "000000000002", stamp=T0)
    wh.student("TX", "TX3", "000000000003", stamp=T0)
    wh.add(
        "raw.moves",
        [departure("TX", sid, "FL", date(2026, 1, 30), notice) for sid in ("TX1", "TX2", "TX3")],
    )
    wh.student("FL", "FL1", "000000000001", stamp=datetime(2026, 2, 5))  # 3 working days
    wh.student("FL", "FL2", "000000000002", stamp=datetime(2026, 2, 10))  # 6 working days
    rows = found(wh, "late_after_move_notice")
    assert set(rows["state"]) == {"FL"}
    assert sorted(rows["msix_id"]) == ["000000000002", "000000000003"]
    # On 2026-02-05 only 3 working days had passed: nothing late yet
    assert found(wh, "late_after_move_notice", as_of=datetime(2026, 2, 5, 12, tzinfo=UTC)).empty


def test_stale_worklist_after_ten_working_days(wh: Warehouse) -> None:
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.student("FL", "FL1", "000000000002", stamp=T0)
    pair = {
        "state_l": "TX",
        "state_student_id_l": "TX1",
        "state_r": "FL",
        "state_student_id_r": "FL1",
    }
    wh.add("marts.near_match_worklist", [{"pair_id": "p1", **pair, "match_probability": 0.8}])
    wh.add(
        "identity.near_matches",
        [{"pair_id": "p1", **pair, "first_seen": datetime(2026, 2, 10), "status": "open"}],
    )
    rows = found(wh, "stale_worklist")
    assert sorted(rows["state"]) == ["FL", "TX"]  # 13 working days (Feb 16 is a holiday)
    assert found(wh, "stale_worklist", as_of=datetime(2026, 2, 24, tzinfo=UTC)).empty


def test_rules_with_missing_inputs_are_skipped_not_failed() -> None:
    con = duckdb.connect(":memory:")
    evaluation = evaluate_rules(con, AS_OF)
    assert evaluation.findings.empty and "late_coe" in evaluation.skipped


def course(state: str, sid: str, title: str, **kw: object) -> dict:
    row = {
        "state": state,
        "state_student_id": sid,
        "school_id": f"{state}0000000001",
        "school_year": "2025-2026",
        "term_type": "SEM1",
        "course_title": title,
        "subject_area": "02",
        "stamp": T0,
    }
    return {**row, **kw}


def test_missing_student_record_until_the_student_row_arrives(wh: Warehouse) -> None:
    """TX9's moves, enrollments, courses and assessments came without a student row: one
    error per record type, counting the latest submission's rows, no values of the rows.
    A retracted student (TX5) and a student sent (TX1) raise nothing."""
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.student("TX", "TX5", None, action="D", stamp=T0)
    later = datetime(2026, 2, 2, 8, 0)
    wh.add("raw.enrollments", [
        enrollment("TX", "TX1", date(2025, 8, 20), None),
        enrollment("TX", "TX5", date(2025, 8, 20), None),
        enrollment("TX", "TX9", date(2025, 8, 20), None),
        enrollment("TX", "TX9", date(2025, 8, 20), None, stamp=later, school_id="TX0000000002"),
        enrollment("TX", "TX9", date(2026, 1, 20), None, stamp=later),
    ])  # fmt: skip
    wh.add("raw.moves", [{"state": "TX", "state_student_id": "TX9", "qad": date(2025, 8, 1),
                          "stamp": T0}])  # fmt: skip
    wh.add("raw.courses", [course("TX", "TX9", "Algebra I"), course("TX", "TX5", "Biology")])
    wh.add("raw.assessments", [{"state": "FL", "state_student_id": "FL7",
                                "assessment_title": "FAST", "content_area": "reading",
                                "administration_date": "2025-05", "stamp": T0}])  # fmt: skip
    rows = found(wh, "missing_student_record")
    got = {(r.state, r.state_student_id, r.subject_key): r.detail for r in rows.itertuples()}
    assert set(got) == {
        ("TX", "TX9", "moves"),
        ("TX", "TX9", "enrollments"),
        ("TX", "TX9", "courses"),
        ("FL", "FL7", "assessments"),
    }
    assert got[("TX", "TX9", "enrollments")].startswith(
        "2 enrollments row(s) of the submission of 2026-02-02 08:00:00 but no student row"
    )
    assert got[("TX", "TX9", "courses")].startswith("1 courses row(s)")
    assert rows["msix_id"].isna().all() and (rows["severity"] == "error").all()
    assert not rows["detail"].str.contains("Algebra|FAST|2025-08-20|Ana|Garcia").any()
    # a student row stamped after the clock does not exist yet; once visible, no finding
    wh.student("TX", "TX9", None, stamp=datetime(2026, 3, 3, 8, 0))
    wh.student("FL", "FL7", None, action="D", stamp=T0)  # a retraction is a student row
    assert list(found(wh, "missing_student_record")["state_student_id"]) == ["TX9"] * 3
    assert found(wh, "missing_student_record", as_of=datetime(2026, 3, 4, tzinfo=UTC)).empty


def test_missing_clock_hours_when_no_credit_is_given(wh: Warehouse) -> None:
    """Contract §4: clock hours are required when no credit is given (credits_granted
    missing, the course in progress or not); 0 credits is a credit given (a failed course)."""
    wh.student("TX", "TX1", "000000000001", stamp=T0)
    wh.add("raw.courses", [
        course("TX", "TX1", "Algebra I", in_progress="N", final_grade="B"),  # no credits, hours
        course("TX", "TX1", "Biology", in_progress="Y", grade_to_date="C"),  # in progress
        course("TX", "TX1", "Chemistry", in_progress="Y", clock_hours=40),
        course("TX", "TX1", "Drawing", in_progress="N", credits_granted=0, final_grade="F"),
        course("TX", "TX1", "English I", in_progress="N", credits_granted=1, credits_attempted=1),
        course("TX", "TX1", "French I", credits_granted=0.5, clock_hours=0),
    ])  # fmt: skip
    rows = found(wh, "missing_clock_hours")
    assert sorted(rows["subject_key"]) == [
        "TX0000000001/2025-2026/SEM1/Algebra I",
        "TX0000000001/2025-2026/SEM1/Biology",
    ]
    assert set(rows["severity"]) == {"warning"} and set(rows["msix_id"]) == {"000000000001"}
    assert "neither credits granted nor clock hours" in rows.loc[0, "detail"]
