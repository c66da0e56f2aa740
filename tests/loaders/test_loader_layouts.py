"""Per-state layouts: delimiter, encoding, date format, renames, code crosswalks, fixed width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loaders.layouts import LayoutError, parse_layout
from msix.paths import LAYOUTS_DIR
from tests.loaders.conftest import Landing

NE_LAYOUT = """
state = "NE"
encoding = "cp1252"
delimiter = "|"
date_format = "%m/%d/%Y"

[columns.students]
STUDENT_NO = "state_student_id"
GIVEN = "first_name"
SURNAME = "last_name_1"
GENDER = "sex"
DOB = "birth_date"

[codes.sex]
"1" = "M"
"2" = "F"
"""

FL_LAYOUT = """
state = "FL"
format = "fixed_width"
encoding = "latin-1"
date_format = "%Y%m%d"

[fixed_width.students]
state_student_id = [1, 10]
first_name = [11, 12]
last_name_1 = [23, 12]
sex = [35, 1]
birth_date = [36, 8]

[codes.sex]
"H" = "M"
"""


def test_a_delimited_cp1252_layout_with_renames_dates_and_codes(landing) -> None:
    (landing.layouts / "NE.toml").write_text(NE_LAYOUT)
    body = "student_no|Given|SURNAME|GENDER|DOB|SCHOOL_COLOR\nNE1|José|Muñoz|2|03/14/2010|rojo\nNE2|Ana|Ruiz|9|03/14/2010|\nNE3|Ana|Ruiz|1|2010-03-14|\n"
    landing.write("NE", "NE_20261101T083000_students.csv", body, encoding="cp1252")
    landing.ingest()
    assert landing.rows(
        "select state_student_id, first_name, last_name_1, sex, birth_date::varchar, extra from raw.students"
    ) == [("NE1", "José", "Muñoz", "F", "2010-03-14", '{"school_color":"rojo"}')]
    assert landing.rows("select line_no, field, reason from raw.quarantine order by line_no") == [
        (3, "sex", "bad code (expected one of F M X)"),
        (4, "birth_date", "bad date (expected MM/DD/YYYY)"),
    ]


def test_bytes_the_layout_encoding_cannot_decode_reject_the_file(landing) -> None:
    (landing.layouts / "NE.toml").write_text(NE_LAYOUT)
    landing.write("NE", "NE_20261101T083000_students.csv", b"STUDENT_NO|GIVEN\nNE1|A\x81\n")
    landing.ingest()
    assert landing.manifest()[0][1] == "rejected"
    assert "undecodable bytes for encoding cp1252" in landing.manifest()[0][5]


def test_a_fixed_width_latin1_layout(landing) -> None:
    (landing.layouts / "FL.toml").write_text(FL_LAYOUT)
    lines = [
        "FL00000001" + "Íñigo".ljust(12) + "Pérez".ljust(12) + "H" + "20100314",
        "",
        "FL00000002" + "Ana".ljust(12) + "Ruiz".ljust(12) + "F" + "20101399",
    ]
    landing.write(
        "FL", "FL_20261101T083000_students.csv", "\n".join(lines) + "\n", encoding="latin-1"
    )
    landing.ingest()
    assert landing.rows(
        "select state_student_id, first_name, last_name_1, sex, line_no from raw.students"
    ) == [("FL00000001", "Íñigo", "Pérez", "M", 1)]
    assert landing.rows("select line_no, field from raw.quarantine") == [(3, "birth_date")]
    assert landing.manifest()[0][2:5] == (2, 1, 1)


def test_a_fixed_width_file_of_a_type_the_layout_lacks_is_rejected(landing) -> None:
    (landing.layouts / "FL.toml").write_text(FL_LAYOUT)
    landing.write("FL", "FL_20261101T083000_moves.csv", "FL00000001 20260902\n")
    landing.ingest()
    assert "no fixed-width positions for moves" in landing.manifest()[0][5]


def test_a_broken_layout_rejects_only_its_own_states_files(landing) -> None:
    (landing.layouts / "NE.toml").write_text(
        'state = "NE"\n[columns.students]\nX = "no_such_column"\n'
    )
    landing.write("NE", "NE_20261101T083000_students.csv", "x\n")
    landing.students("TX", [landing.student("TX1")])
    landing.write(
        "NE",
        "NE_20261101T083000.xml",
        landing.xml_text(state="NE", students=[landing.xml_student("NE1")]),
    )
    landing.ingest()
    statuses = {row[0]: (row[1], row[5]) for row in landing.manifest()}
    assert statuses["NE_20261101T083000_students.csv"][0] == "rejected"
    assert statuses["NE_20261101T083000_students.csv"][1].startswith("layout error: NE.toml")
    assert statuses["TX_20261101T083000_students.csv"][0] == "loaded"
    assert statuses["NE_20261101T083000.xml"][0] == "loaded"  # XML is always canonical


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('state = "NE"\nfixed_width = 3\n', "'fixed_width' must be a table"),
        ('state = "NE"\n[fixed_width.students]\nsex = [1]\n', "'fixed_width.students.sex'"),
        ('state = "NE"\n[fixed_width.students]\nsex = ["a", 1]\n', "'fixed_width.students.sex'"),
        ('state = "NE"\ncolumns = "students"\n', "'columns' must be a table"),
        ('state = "NE"\n[columns]\nstudents = 1\n', "'columns.students' must be a table"),
        ('state = "NE"\n[columns.students]\nX = ["sex"]\n', "columns.students.X maps to"),
        ('state = "NE"\n[codes]\nsex = "M"\n', "'codes.sex' must be a table"),
    ],
)
def test_a_malformed_layout_is_a_layout_error_naming_the_field(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "NE.toml"
    path.write_text(text)
    with pytest.raises(LayoutError, match=re.escape(named)) as caught:
        parse_layout(path)
    assert str(caught.value).startswith("NE.toml: ")


def test_a_layout_that_is_not_utf8_is_a_layout_error(tmp_path: Path) -> None:
    path = tmp_path / "NE.toml"
    path.write_bytes(b'state = "NE"\n# Ren\xe9\n')
    with pytest.raises(LayoutError, match="NE.toml: not a readable TOML layout"):
        parse_layout(path)


CANONICAL_STUDENTS = (
    "\ufeffState_Student_Id,first_name,last_name_1,sex,birth_date\r\n"
    "{st}1,José,Muñoz,F,2010-03-14\r\n"
)


@pytest.mark.parametrize("state", ["MI", "NC", "WA"])
def test_a_state_with_a_shipped_layout_may_still_send_canonical_files(landing, state) -> None:
    """§3: canonical files load from every state; the layout is for the state's own exports."""
    shipped = Landing(landing.root, landing.warehouse, LAYOUTS_DIR)
    shipped.write(
        state, f"{state}_20261101T083000_students.csv", CANONICAL_STUDENTS.format(st=state)
    )
    shipped.write(
        state,
        f"{state}_20261101T083000_enrollments.csv",
        "state_student_id,school_id,school_name,enrollment_type,enrollment_date,grade_level\n"
        f"{state}1,260001000001,A,01,2026-08-20,09\n",
    )
    report = shipped.ingest()
    assert report.counts()["rows_loaded"] == 2, report.notes()
    assert shipped.rows("select first_name, birth_date::varchar from raw.students") == [
        ("José", "2010-03-14")
    ]


def test_a_layout_file_with_contract_names_keeps_its_layout(landing) -> None:
    """A layout that keeps the contract's names and comma (only dates differ) still applies."""
    (landing.layouts / "NE.toml").write_text('state = "NE"\ndate_format = "%m/%d/%Y"\n')
    body = "state_student_id,first_name,last_name_1,sex,birth_date\nNE1,Ana,Ruiz,F,03/14/2010\n"
    landing.write("NE", "NE_20261101T083000_students.csv", body)
    (landing.layouts / "FL.toml").write_text(FL_LAYOUT)
    landing.write("FL", "FL_20261101T083000_students.csv", CANONICAL_STUDENTS.format(st="FL"))
    landing.ingest()
    assert landing.rows("select state, birth_date::varchar from raw.students order by 1") == [
        ("FL", "2010-03-14"),
        ("NE", "2010-03-14"),
    ]


def test_a_canonical_file_from_a_comma_layout_with_its_own_names_is_read_as_utf8(landing) -> None:
    """A layout that keeps the comma but renames the columns and reads cp1252: a canonical
    (UTF-8, contract names) file from that state is read as canonical, accents intact."""
    (landing.layouts / "NE.toml").write_text(NE_LAYOUT.replace('delimiter = "|"', ""))
    canonical = CANONICAL_STUDENTS.format(st="NE").removeprefix("\ufeff")  # no BOM to tell
    landing.write("NE", "NE_20261101T083000_students.csv", canonical)
    landing.write(
        "NE",
        "NE_20261102T083000_students.csv",
        "STUDENT_NO,GIVEN,SURNAME,GENDER,DOB\nNE2,José,Muñoz,2,03/14/2010\n",
        encoding="cp1252",
    )
    landing.ingest()
    assert landing.rows(
        "select state_student_id, first_name, sex from raw.students order by 1"
    ) == [
        ("NE1", "José", "F"),
        ("NE2", "José", "F"),
    ]
