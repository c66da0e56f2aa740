"""One small handcrafted warehouse that exercises the submission semantics and the marts.

Each child below is built for one rule; the tests name the child they check. Stamps are
the submissions' extract times; the order of `append_rows` calls is the load order.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from dbt_raw_fixture import append_rows, child_row, create_empty_warehouse, student_row

TX_OLD = "2026-01-05 08:00:00"  # delivered late, after TX_NEW
TX_NEW = "2026-01-10 08:00:00"
FL_1 = "2026-02-01 08:00:00"
AS_OF = "2026-03-01 08:00:00"  # the latest stamp in the warehouse

ROSA = "100000000001"  # TX + FL: late older file, move seen by both sources, credits
REPLACED = "100000000002"  # TX: enrollments replaced, courses untouched
RETRACTED = "100000000003"  # TX deleted, CA record stays
JOSE = "100000000004"  # survivorship across NM, AZ, CO
CO_OWN_ID = "100000000099"  # CO's record of JOSE: first its own ID, merged into JOSE's later
ELDER = "100000000005"  # eligibility ends at 22 before QAD + 3 years
LOST = "100000000006"  # withdrew and enrolled nowhere
INTRA = "100000000007"  # intrastate move between districts
# COE-only moves from TX in 2025-11 for the monthly report: 3 to NM, 5 to AZ, 2 to CO
SMALL_CELL_DESTINATIONS = ["NM"] * 3 + ["AZ"] * 5 + ["CO"] * 2
SMALL_CELL_CHILDREN = [f"1000000001{n:02d}" for n in range(len(SMALL_CELL_DESTINATIONS))]


def enrollment(school_id: str, district_id: str, start: str, end: str | None, grade: str = "10"):
    return {
        "school_id": school_id,
        "district_id": district_id,
        "school_name": f"School {school_id[-3:]}",
        "enrollment_type": "01",
        "enrollment_date": start,
        "withdrawal_date": end,
        "grade_level": grade,
    }


def course(title: str, year: str, term: str, subject: str, attempted, granted, **extra):
    return {
        "school_id": "480000000001",
        "school_year": year,
        "term_type": term,
        "course_title": title,
        "subject_area": subject,
        "credits_attempted": attempted,
        "credits_granted": granted,
        **extra,
    }


def build_scenario(warehouse: Path) -> None:
    """Create the raw and identity tables and load every child's rows, in load order."""
    deliver_first(warehouse)
    deliver_late(warehouse)


def deliver_first(warehouse: Path) -> None:
    """The first delivery: new TX file, the other states, national IDs (CO's record not yet
    merged into JOSE's ID)."""
    create_empty_warehouse(warehouse)
    _load_texas_new(warehouse)
    _load_other_states(warehouse)
    _load_identity(warehouse)


def deliver_late(warehouse: Path) -> None:
    """The second delivery: the older TX file arriving late, and the merge of CO's ID into
    JOSE's (so an incremental build must re-link a record it already built)."""
    _load_texas_old_late(warehouse)
    # identity resolution links the one record first seen in the late file
    link_new_child(warehouse, "TX", "T6", LOST)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            "update identity.national_ids set status = 'retired', merged_into = ?,"
            " retired_at = ? where msix_id = ?",
            [JOSE, AS_OF, CO_OWN_ID],
        )
    finally:
        con.close()


def link_new_child(warehouse: Path, state: str, state_student_id: str, msix_id: str) -> None:
    """Identity resolution's output for a state record of a new child: a new national ID."""
    append_rows(
        warehouse,
        "identity.xwalk",
        [{"state": state, "state_student_id": state_student_id, "msix_id": msix_id, "match_method": "auto", "assigned_at": AS_OF}],
    )  # fmt: skip
    append_rows(
        warehouse,
        "identity.national_ids",
        [{"msix_id": msix_id, "status": "active", "issued_at": AS_OF}],
    )


def _load_texas_new(warehouse: Path) -> None:
    append_rows(
        warehouse,
        "raw.students",
        [
            student_row("TX", TX_NEW, "tx2", 2, "T1", first_name="Rosa", birth_date="2010-05-01"),
            student_row("TX", TX_NEW, "tx2", 3, "T2", first_name="Luis", sex="M"),
            student_row("TX", TX_NEW, "tx2", 4, "T3", action="D", first_name="Eva"),
        ],
    )
    t1_enrollment = enrollment("480000000001", "4800001", "2025-08-20", "2025-12-15")
    append_rows(
        warehouse,
        "raw.enrollments",
        [
            child_row("TX", TX_NEW, "tx2", 2, "T1", **t1_enrollment),
            child_row("TX", TX_NEW, "tx2", 3, "T2", **enrollment("480000000002", "4800001", "2025-08-20", "2025-10-01")),
            # the same record again under another load: identical rows count once
            child_row("TX", TX_NEW, "tx2b", 2, "T1", **t1_enrollment),
        ],
    )  # fmt: skip
    append_rows(
        warehouse,
        "raw.courses",
        [
            child_row("TX", TX_NEW, "tx2", 2, "T1", **course("Algebra I", "2025-2026", "SEM1", "02", "0.50", "0.50", final_grade="B", in_progress="N")),
            child_row("TX", TX_NEW, "tx2", 3, "T1", **course("English 9", "2024-2025", "FULL", "01", "1.00", "1.00", final_grade="A", in_progress="N")),
            child_row("TX", TX_NEW, "tx2", 4, "T1", **course("World History", "2025-2026", "FULL", "04", "1.00", "0.25", grade_to_date="C", in_progress="N")),
        ],
    )  # fmt: skip


def _load_texas_old_late(warehouse: Path) -> None:
    """An older TX submission that arrives after the newer one: it fills history only."""
    append_rows(
        warehouse,
        "raw.students",
        [
            student_row("TX", TX_OLD, "tx1", 2, "T1", first_name="Rosalia"),
            student_row("TX", TX_OLD, "tx1", 3, "T2", first_name="Luis", sex="M"),
            student_row("TX", TX_OLD, "tx1", 4, "T3", first_name="Eva"),
            student_row("TX", TX_OLD, "tx1", 5, "T6", first_name="Mia", birth_date="2009-02-02"),
        ],
    )
    append_rows(
        warehouse,
        "raw.enrollments",
        [
            child_row("TX", TX_OLD, "tx1", 2, "T1", **enrollment("480000000001", "4800001", "2025-08-20", None)),
            child_row("TX", TX_OLD, "tx1", 3, "T2", **enrollment("480000000002", "4800001", "2025-08-20", None)),
            child_row("TX", TX_OLD, "tx1", 4, "T2", **enrollment("480000000003", "4800001", "2025-09-10", None)),
            child_row("TX", TX_OLD, "tx1", 5, "T3", **enrollment("480000000003", "4800001", "2025-09-10", None)),
            child_row("TX", TX_OLD, "tx1", 6, "T6", **enrollment("480000000003", "4800001", "2025-01-10", "2025-03-01")),
        ],
    )  # fmt: skip
    append_rows(
        warehouse,
        "raw.courses",
        [
            child_row("TX", TX_OLD, "tx1", 2, "T1", **course("Algebra I", "2025-2026", "SEM1", "02", "0.50", None, in_progress="Y")),
            child_row("TX", TX_OLD, "tx1", 3, "T2", **course("Geometry", "2025-2026", "SEM1", "02", "0.50", "0.50", in_progress="N")),
        ],
    )  # fmt: skip


def _load_other_states(warehouse: Path) -> None:
    students = [
        student_row("FL", FL_1, "fl1", 2, "F1", first_name="Rosa", birth_date="2010-05-01"),
        student_row("CA", FL_1, "ca1", 2, "C3", first_name="Eva"),
        student_row(
            "NM",
            "2026-01-01 08:00:00",
            "nm1",
            2,
            "N4",
            first_name="Jose",
            last_name_1="Perez",
            sex="M",
            birth_date="2012-03-04",
        ),
        student_row(
            "AZ",
            "2026-01-02 08:00:00",
            "az1",
            2,
            "A4",
            first_name="Jose",
            last_name_1="Perez",
            sex="M",
            birth_date="2012-04-03",
        ),
        student_row(
            "CO",
            AS_OF,
            "co1",
            2,
            "C4",
            first_name="Josue",
            last_name_1="Perez",
            last_name_2="Lopez",
            sex="M",
            birth_date="2012-03-04",
        ),
        student_row(
            "NM", "2026-01-01 08:00:00", "nm1", 3, "N5", first_name="Ana", birth_date="2006-01-15"
        ),
        student_row(
            "NM", "2026-01-01 08:00:00", "nm1", 4, "N7", first_name="Ines", birth_date="2011-07-07"
        ),
    ]
    students += [
        student_row(st, "2026-01-01 08:00:00", f"m{st}", 10 + n, f"S{n}", first_name=f"Kid{n}")
        for n, st in enumerate(SMALL_CELL_DESTINATIONS)
    ]
    append_rows(warehouse, "raw.students", students)
    moves = [
        child_row("FL", FL_1, "fl1", 2, "F1", qad="2026-01-05", move_from_state="TX"),
        child_row("NM", "2026-01-01 08:00:00", "nm1", 2, "N5", qad="2025-06-01", move_from_state="TX", eligibility_expiration_date="2028-05-31"),
    ]  # fmt: skip
    for n, destination in enumerate(SMALL_CELL_DESTINATIONS):
        moves.append(
            child_row(destination, "2026-01-01 08:00:00", f"m{destination}", 2 + n, f"S{n}", qad=f"2025-11-{n + 1:02d}", move_from_state="TX")
        )  # fmt: skip
    append_rows(warehouse, "raw.moves", moves)
    append_rows(
        warehouse,
        "raw.enrollments",
        [
            child_row("FL", FL_1, "fl1", 2, "F1", **enrollment("120000000001", "1200001", "2026-01-06", None)),
            child_row("CA", FL_1, "ca1", 2, "C3", **enrollment("060000000001", "0600001", "2025-09-01", None)),
            child_row("NM", "2026-01-01 08:00:00", "nm1", 2, "N7", **enrollment("350000000001", "3500001", "2025-08-15", "2025-10-31", "05")),
            child_row("NM", "2026-01-01 08:00:00", "nm1", 3, "N7", **enrollment("350000000002", "3500002", "2025-11-03", None, "05")),
        ],
    )  # fmt: skip
    append_rows(
        warehouse,
        "raw.courses",
        [
            child_row("FL", FL_1, "fl1", 2, "F1", **course("Biology", "2025-2026", "SEM2", "03", "0.50", None, grade_to_date="B", in_progress="Y")),
        ],
    )  # fmt: skip
    append_rows(
        warehouse,
        "raw.assessments",
        [
            child_row("TX", TX_NEW, "tx2", 2, "T1", assessment_title="STAAR Algebra I", content_area="mathematics", administration_date="2025-12", score="4000", interpretation="proficient"),
        ],
    )  # fmt: skip


def _load_identity(warehouse: Path) -> None:
    links = [
        ("TX", "T1", ROSA), ("FL", "F1", ROSA), ("TX", "T2", REPLACED), ("TX", "T3", RETRACTED),
        ("CA", "C3", RETRACTED), ("NM", "N4", JOSE), ("AZ", "A4", JOSE), ("CO", "C4", CO_OWN_ID),
        ("NM", "N5", ELDER), ("NM", "N7", INTRA),
    ]  # fmt: skip
    links += [
        (st, f"S{n}", msix)
        for n, (st, msix) in enumerate(
            zip(SMALL_CELL_DESTINATIONS, SMALL_CELL_CHILDREN, strict=True)
        )
    ]
    append_rows(
        warehouse,
        "identity.xwalk",
        [
            {"state": s, "state_student_id": i, "msix_id": m, "match_method": "auto", "assigned_at": AS_OF}
            for s, i, m in links
        ],
    )  # fmt: skip
    ids = sorted({m for _, _, m in links})
    national = [{"msix_id": m, "status": "active", "issued_at": AS_OF} for m in ids]
    append_rows(warehouse, "identity.national_ids", national)
    append_rows(
        warehouse,
        "identity.near_matches",
        [
            {"pair_id": "p1", "state_l": "TX", "state_student_id_l": "T2", "state_r": "NM", "state_student_id_r": "N7", "match_probability": 0.7, "agreeing_fields": "sex", "disagreeing_fields": "first_name", "first_seen": AS_OF, "status": "undecided"},
            {"pair_id": "p2", "state_l": "TX", "state_student_id_l": "T6", "state_r": "NM", "state_student_id_r": "N5", "match_probability": 0.6, "agreeing_fields": "sex", "disagreeing_fields": "first_name", "first_seen": AS_OF, "status": "different"},
        ],
    )  # fmt: skip
