"""Readback errors name the file, line and field, never the value (it may be a birth date)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.readback import ReadbackError, read_delimited
from loaders.contract import column_names
from loaders.layouts import Layout


@pytest.mark.parametrize(
    ("layout", "date"),
    [
        (Layout("TX"), "2011-31-12"),
        (Layout("TX", source="TX.toml", date_format="%m/%d/%Y"), "13/01/2011"),
    ],
)
def test_a_bad_birth_date_is_named_by_place_not_value(
    tmp_path: Path, layout: Layout, date: str
) -> None:
    columns = column_names("students")
    row = {c: "" for c in columns} | {"state_student_id": "1", "birth_date": date}
    path = tmp_path / "TX_20261101T083000_students.csv"
    path.write_text(",".join(columns) + "\n" + ",".join(row[c] for c in columns) + "\n")
    with pytest.raises(ReadbackError) as caught:
        read_delimited(path, "students", layout)
    assert str(caught.value).startswith(f"{path.name} line 2 field birth_date: date ")
    assert date not in str(caught.value)
