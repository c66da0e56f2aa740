"""File-name rules (§1): what is a submission file, and why a name is refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from loaders.names import BadName, parse_path, printable

LANDING = Path("/landing")


def test_csv_and_xml_names_give_state_stamp_and_type() -> None:
    csv = parse_path(LANDING / "TX" / "TX_20261101T083000_enrollments.csv", LANDING)
    xml = parse_path(LANDING / "NE" / "NE_20261101T083000.xml", LANDING)
    assert (csv.state, csv.stamp, csv.record_type) == (
        "TX",
        datetime(2026, 11, 1, 8, 30),
        "enrollments",
    )
    assert (xml.state, xml.record_type, xml.is_xml) == ("NE", "xml", True)


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("TX/TX_20261101T083000.csv", "record type"),
        ("TX/TX_20261101T083000_students.xml", "no record type"),
        ("TX/TX_20261101T083000_grades.csv", "does not match"),
        ("TX/tx_20261101T083000_students.csv", "does not match"),
        ("TX/TX_20261301T083000_students.csv", "not a real date"),
        ("TX/ZZ_20261101T083000_students.csv", "not a state"),
        ("NE/TX_20261101T083000_students.csv", "does not match the name's state"),
        ("TX_20261101T083000_students.csv", "state folder"),
        ("TX/sub/TX_20261101T083000_students.csv", "state folder"),
        ("TX/..TX_20261101T083000_students.csv", "does not match"),
        ("TX/TX_20261101T083000_students.csv.bak", "does not match"),
        ("TX/TX_20261101T083000_students.csv\n", "does not match"),
    ],
)
def test_names_that_break_the_rules_are_refused_with_a_reason(relative: str, reason: str) -> None:
    with pytest.raises(BadName, match=reason):
        parse_path(LANDING / relative, LANDING)


def test_printable_escapes_control_characters_and_cuts_long_names() -> None:
    assert printable("a\nb\x1b") == "a\\nb\\x1b"
    assert len(printable("x" * 500)) == 80
