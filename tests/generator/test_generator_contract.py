"""Every generated file follows the input contract (read back through the state's layout)."""

from __future__ import annotations

import re

import pandas as pd

from generator.planted import RULES
from generator.readback import DATE_COLUMNS, FILE_NAME
from generator.write import DEFAULT_STATES
from loaders.contract import COLUMNS, KEYS, RECORD_TYPES

DECIMAL = re.compile(r"^\d{1,2}\.\d{2}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def test_default_states_and_file_kinds(generated):
    landing = generated.out / "landing"
    assert sorted(p.name for p in landing.iterdir()) == sorted(DEFAULT_STATES)
    for st in ("TX", "FL"):
        assert {p.suffix for p in (landing / st).iterdir()} == {".xml"}
    for st in ("CA", "MI", "NC", "WA", "OH"):
        assert {p.suffix for p in (landing / st).iterdir()} == {".csv"}
    for path in landing.rglob("*"):
        if path.is_file():
            assert FILE_NAME.match(path.name), path.name
            assert path.name[:2] == path.parent.name


def test_required_columns_filled(generated):
    missing_qad = sum(generated.truth["planted_issues"]["rule"] == "missing_qad")
    for record_type in RECORD_TYPES:
        rows = generated.rows[record_type]
        assert len(rows) > 0, record_type
        for column in COLUMNS[record_type]:
            if not column.required:
                continue
            empty = int((rows[column.name] == "").sum())
            if (record_type, column.name) == ("moves", "qad"):
                assert empty > 0, "planted moves rows without qad are missing"
                assert empty >= missing_qad
            else:
                assert empty == 0, f"{record_type}.{column.name}: {empty} empty"


def test_codes_digits_decimals_and_months(generated):
    for record_type in RECORD_TYPES:
        rows = generated.rows[record_type]
        for column in COLUMNS[record_type]:
            values = rows[column.name]
            values = values[values != ""]
            if column.codes:
                bad = set(values) - set(column.codes)
                assert not bad, f"{record_type}.{column.name}: {sorted(bad)[:5]}"
            if column.kind == "digits" and column.name != "msix_id":
                assert values.str.fullmatch(rf"\d{{{column.digits}}}").all(), column.name
            if column.kind == "decimal":
                assert values.str.match(DECIMAL).all(), column.name
                assert pd.to_numeric(values).between(0, 10).all(), column.name
            if column.kind == "month":
                assert values.str.match(MONTH).all(), column.name
            if column.kind == "integer":
                assert pd.to_numeric(values).between(0, 1080).all(), column.name
            if column.max_length:
                assert (values.str.len() <= column.max_length).all(), column.name
    assert (generated.rows["students"]["msix_id"] == "").all()
    years = generated.rows["courses"]["school_year"].str.split("-", expand=True).astype(int)
    assert ((years[1] - years[0]) == 1).all()


def test_dates_are_real_dates(generated):
    for record_type in RECORD_TYPES:
        rows = generated.rows[record_type]
        for column in DATE_COLUMNS & set(rows.columns):
            values = rows[column][rows[column] != ""]
            parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
            assert parsed.notna().all(), f"{record_type}.{column}"


def test_keys_unique_within_a_submission(generated):
    for record_type in RECORD_TYPES:
        rows = generated.rows[record_type]
        if record_type == "moves":
            rows = rows[rows["qad"] != ""]
        key = ["state", "stamp", *KEYS[record_type]]
        assert not rows.duplicated(key).any(), record_type


def test_accents_are_encoded_in_layout_encodings(generated):
    landing = generated.out / "landing"
    for st, encoding in (("MI", "cp1252"), ("NC", "latin-1")):
        data = b"".join(p.read_bytes() for p in (landing / st).glob("*_students.csv"))
        assert any(b > 127 for b in data), st
        text = data.decode(encoding)
        assert re.search("[áéíóúñÁÉÍÓÚÑ]", text), st
    wa = b"".join(p.read_bytes() for p in (landing / "WA").glob("*_students.csv"))
    assert wa.decode("latin-1").upper() == wa.decode("latin-1")


def test_deltas_retractions_and_a_late_file(generated):
    students = generated.rows["students"]
    assert (students["action"] == "D").any()
    subs = generated.truth["submissions"]
    assert set(subs["kind"]) == {"initial", "delta", "late"}
    for _, state_subs in subs.groupby("state"):
        late = state_subs[state_subs["kind"] == "late"]
        assert len(late) == 1
        newer = state_subs[state_subs["stamp"] > late["stamp"].iloc[0]]
        arrived_before = newer["arrival_order"].astype(int) < int(late["arrival_order"].iloc[0])
        assert arrived_before.any(), "the late file must arrive after a newer one"
    assert set(generated.truth["planted_issues"]["rule"]) == set(RULES)
