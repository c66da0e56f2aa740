"""XML submissions (§5): every record type, file checks, and refused DTDs and entities."""

from __future__ import annotations

import json

import pytest

CHILDREN = (
    "<Move><Qad>2026-09-02</Qad><MoveFromState>FL</MoveFromState></Move>"
    "<Enrollment><SchoolId>481234005678</SchoolId><SchoolName>Lincoln</SchoolName>"
    "<EnrollmentType>01</EnrollmentType><EnrollmentDate>2026-09-03</EnrollmentDate>"
    "<GradeLevel>05</GradeLevel></Enrollment>"
    "<Course><SchoolId>481234005678</SchoolId><SchoolYear>2025-2026</SchoolYear><TermType>SEM1</TermType>"
    "<CourseTitle>Algebra I</CourseTitle><SubjectArea>02</SubjectArea><CreditsGranted>0.25</CreditsGranted></Course>"
    "<Assessment><AssessmentTitle>STAAR</AssessmentTitle><ContentArea>reading</ContentArea>"
    "<AdministrationDate>2026-04</AdministrationDate></Assessment>"
)
NAME = "TX_20261101T083000.xml"


def test_every_record_type_is_loaded_with_element_ordinals(landing) -> None:
    students = [
        landing.xml_student("TX1", children=CHILDREN),
        landing.xml_student("TX2", action="D"),
        landing.xml_student(
            "TX3", children="<Move><Qad>2026-09-02</Qad></Move><Hobby>chess</Hobby>", birth="bad"
        ),
    ]
    landing.write("TX", NAME, landing.xml_text(students=students))
    report = landing.ingest()
    assert report.counts()["rows_read"] == 8
    assert landing.rows(
        "select state_student_id, action, line_no from raw.students order by line_no"
    ) == [
        ("TX1", "U", 1),
        ("TX2", "D", 2),
    ]
    assert landing.rows("select state_student_id, line_no from raw.moves order by line_no") == [
        ("TX1", 1),
        ("TX3", 2),
    ]
    assert landing.one("select count(*) from raw.enrollments") == 1
    assert landing.one("select credits_granted from raw.courses") == pytest.approx(0.25)
    assert landing.one("select administration_date from raw.assessments") == "2026-04"
    record_type, line_no, field, record = landing.rows(
        "select record_type, line_no, field, record from raw.quarantine"
    )[0]
    assert (record_type, line_no, field) == ("students", 3, "birth_date")
    assert json.loads(record)["Hobby"] == "chess"
    assert landing.manifest()[0][1:5] == ("loaded", 8, 7, 1)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"count": 2}, "studentCount says 2"),
        ({"state": "NE"}, "does not match the file name's TX"),
        ({"created": "2026-11-01T08:30:01"}, "created does not match"),
    ],
)
def test_a_file_that_disagrees_with_itself_or_its_name_is_rejected_whole(
    landing, kwargs, reason
) -> None:
    landing.write("TX", NAME, landing.xml_text(**kwargs))
    landing.students("NE", [landing.student("NE1")])
    landing.ingest()
    manifest = {row[0]: row for row in landing.manifest()}
    assert manifest[NAME][1] == "rejected"
    assert reason in manifest[NAME][5]
    assert landing.rows("select state from raw.students") == [("NE",)]


@pytest.mark.parametrize(
    "created",
    [
        "2026-11-01T08:30:00Z",
        "2026-11-01T08:30:00.000",
        "20261101T083000",
        "2026-11-01T08:30:00-06:00",
    ],
)
def test_created_in_another_iso_form_of_the_stamp_agrees_with_the_name(landing, created) -> None:
    landing.write("TX", NAME, landing.xml_text(created=created))
    landing.ingest()
    assert landing.manifest()[0][1:4] == ("loaded", 1, 1)


def test_a_rejected_xml_leaves_no_rows_even_after_full_batches(landing, monkeypatch) -> None:
    monkeypatch.setattr("loaders.xml_files.BATCH_ROWS", 2)
    monkeypatch.setattr("loaders.xml_files.FULL_CHECK_EVERY", 1)
    students = [landing.xml_student(f"TX{i}") for i in range(5)]
    landing.write("TX", NAME, landing.xml_text(count=6, students=students))
    landing.ingest()
    assert landing.one("select count(*) from raw.students") == 0
    assert landing.manifest()[0][1] == "rejected"


def test_malformed_xml_is_rejected_with_its_line_and_no_values(landing) -> None:
    text = landing.xml_text().replace("</FirstName>", "</FirstNam>")
    landing.write("TX", NAME, text)
    landing.ingest()
    reason = landing.manifest()[0][5]
    assert reason.startswith("malformed XML at line")
    assert "Maria" not in reason


BOMB = """<?xml version="1.0"?>
<!DOCTYPE Submission [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<Submission xmlns="urn:msix-warehouse:submission:1" state="TX" created="2026-11-01T08:30:00" studentCount="1">
<Student><StateStudentId>&d;</StateStudentId></Student></Submission>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE Submission [<!ENTITY x SYSTEM "http://203.0.113.1/secret">]>
<Submission xmlns="urn:msix-warehouse:submission:1" state="TX" created="2026-11-01T08:30:00" studentCount="1">
<Student><StateStudentId>&x;</StateStudentId></Student></Submission>
"""


@pytest.mark.parametrize(
    "body", [BOMB, EXTERNAL, EXTERNAL.replace("?>", "?>\n<!--" + "x" * 70000 + "-->")]
)
def test_dtds_and_entities_are_refused_without_expansion(landing, body) -> None:
    landing.write("TX", NAME, body)
    landing.ingest()
    assert landing.manifest()[0][1] == "rejected"
    assert "DOCTYPE" in landing.manifest()[0][5]
    assert landing.one("select count(*) from raw.students") == 0
