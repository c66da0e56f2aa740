"""Hostile input: each problem handled alone, with a clear message and no PII."""

from __future__ import annotations

import logging

import duckdb
import pytest

from loaders import ingest

HEADER = "state_student_id,first_name,last_name_1,sex,birth_date\n"
SECRET = "Zacarias"  # a name that must never reach a message


def test_nul_bytes_quarantine_only_their_row(landing) -> None:
    landing.write(
        "TX",
        "TX_20261101T083000_students.csv",
        HEADER + "TX1,Ana,Ruiz,F,2012-01-01\nTX2,Z\x00e,Ruiz,F,2012-01-01\n",
    )
    landing.ingest()
    assert landing.one("select count(*) from raw.students") == 1
    assert landing.rows("select line_no, field, reason from raw.quarantine") == [
        (3, "first_name", "contains a NUL character")
    ]


def test_a_ten_megabyte_field_quarantines_its_row(landing) -> None:
    big = "x" * (10 * 1024 * 1024)
    landing.write(
        "TX",
        "TX_20261101T083000_students.csv",
        HEADER + f"TX1,{big},Ruiz,F,2012-01-01\nTX2,Ana,Ruiz,F,2012-01-01\n",
    )
    landing.ingest()
    assert landing.rows("select state_student_id from raw.students") == [("TX2",)]
    assert landing.one("select reason from raw.quarantine").startswith("too long")


def test_a_line_longer_than_the_limit_rejects_the_file(landing, monkeypatch) -> None:
    monkeypatch.setattr("loaders.csv_files.MAX_LINE_BYTES", 1024 * 1024)
    landing.write(
        "TX",
        "TX_20261101T083000_students.csv",
        HEADER + "TX1," + "y" * 3_000_000 + ",Ruiz,F,2012-01-01\n",
    )
    landing.students("NE", [landing.student("NE1")])
    landing.ingest()
    manifest = {row[0]: row for row in landing.manifest()}
    assert manifest["TX_20261101T083000_students.csv"][1] == "rejected"
    assert "malformed CSV at line 2" in manifest["TX_20261101T083000_students.csv"][5]
    assert manifest["NE_20261101T083000_students.csv"][1] == "loaded"


def test_formula_looking_cells_are_stored_verbatim(landing) -> None:
    formula = '=HYPERLINK("http://example.invalid","x")'
    landing.students("TX", [["TX1", formula, "+SUM(A1)", "F", "2012-01-01"]])
    landing.ingest()
    assert landing.rows("select first_name, last_name_1 from raw.students") == [
        (formula, "+SUM(A1)")
    ]


def test_undecodable_bytes_reject_the_file(landing) -> None:
    landing.write(
        "TX",
        "TX_20261101T083000_students.csv",
        HEADER.encode() + b"TX1,Ana\xff,Ruiz,F,2012-01-01\n",
    )
    landing.ingest()
    assert landing.manifest()[0][1] == "rejected"
    assert "undecodable bytes" in landing.manifest()[0][5]


@pytest.mark.parametrize(
    "name",
    [
        "..TX_20261101T083000_students.csv",
        "TX_20261101T083000_students.csv;rm -rf",
        "TX_20261101T083000_st\u00fcdents.csv",
        "TX_\n.csv",
        ".hidden",
    ],
)
def test_odd_file_names_are_reported_and_left_in_place(landing, name) -> None:
    path = landing.write("TX", name, HEADER)
    report = landing.ingest()
    assert report.counts()["files_skipped_name"] == 1
    assert path.exists()
    assert "\n" not in report.notes()[0]


def test_a_symlink_in_the_landing_folder_is_not_followed(landing, tmp_path) -> None:
    target = tmp_path / "elsewhere.csv"
    target.write_text(HEADER + "TX1,Ana,Ruiz,F,2012-01-01\n")
    landing.path("TX", "x").parent.mkdir(parents=True, exist_ok=True)
    (landing.root / "TX" / "TX_20261101T083000_students.csv").symlink_to(target)
    report = landing.ingest()
    assert report.counts()["files_loaded"] == 0


def test_no_row_value_reaches_notes_reasons_or_logs(landing, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="msix")
    rows = [
        [f"TX{SECRET}", SECRET, SECRET, "Q", SECRET],
        ["TX2", "\x00" + SECRET, SECRET, "F", "2012-01-01"],
        ["TX3", SECRET, SECRET, "F", "2012-01-01"],
        ["TX3", SECRET, SECRET, "M", "2012-01-02"],  # a repeated key
    ]
    landing.students("TX", rows)
    landing.write("NE", "NE_20261101T083000_students.csv", HEADER + f"NE1,{SECRET},x\n")
    landing.write(
        "TX",
        "TX_20261101T083000.xml",
        landing.xml_text().replace("Maria", SECRET).replace("</FirstName>", "</Oops>"),
    )
    report = landing.ingest()
    texts = [*report.notes(), caplog.text, *(str(r[5]) for r in landing.manifest())]
    reasons = [str(r[0]) for r in landing.rows("select reason from raw.quarantine")]
    texts += reasons
    assert report.counts()["files_rejected"] == 2
    assert any(reason.startswith("repeats the key") for reason in reasons)
    assert all(SECRET not in text for text in texts)


def test_an_unforeseen_read_error_rejects_only_its_file(landing, monkeypatch) -> None:
    real_load = ingest._load_records

    def load(con, sub, *args):
        if sub.state == "TX":
            raise duckdb.ConversionException(f"Could not convert string '{SECRET}'")
        return real_load(con, sub, *args)

    monkeypatch.setattr(ingest, "_load_records", load)
    landing.students("TX", [landing.student("TX1")])
    landing.students("NE", [landing.student("NE1")])
    report = landing.ingest()
    assert report.counts()["files_loaded"] == 1
    reasons = {row[0]: row[5] for row in landing.manifest()}
    assert reasons["TX_20261101T083000_students.csv"] == "could not be loaded (ConversionException)"
