"""Output helpers: plain text when piped, rich when a terminal, spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from msix import output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_looking_cells_get_a_leading_apostrophe(text: str) -> None:
    assert output.neutralise_cell(text) == "'" + text


def test_ordinary_cells_are_left_alone() -> None:
    assert output.neutralise_cell("TX") == "TX"
    assert output.neutralise_cell(3) == "3"
    assert output.neutralise_cell(None) == ""
    assert output.neutralise_cell(date(2025, 6, 1)) == "2025-06-01"


def test_csv_export_neutralises_formula_cells(tmp_path: Path) -> None:
    path = output.export(
        tmp_path / "out" / "r.csv",
        "csv",
        "t",
        ["state", "note"],
        [("TX", '=HYPERLINK("http://x","y")'), ("MI", "-5"), ("FL", "fine, with comma")],
    )
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["state", "note"]
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")'
    assert rows[2][1] == "'-5"
    assert rows[3][1] == "fine, with comma"


def test_parquet_and_html_exports_keep_values(tmp_path: Path) -> None:
    rows = [("TX", date(2025, 6, 1), Decimal("1.50")), ("<b>", None, None)]
    parquet = output.export(tmp_path / "r.parquet", "parquet", "t", ["s", "d", "c"], rows)
    table = pq.read_table(parquet).to_pylist()
    assert table[0] == {"s": "TX", "d": date(2025, 6, 1), "c": Decimal("1.50")}
    page = output.export(tmp_path / "r.html", "html", "T", ["s", "d", "c"], rows)
    text = page.read_text(encoding="utf-8")
    assert "&lt;b&gt;" in text and "<b>" not in text


def test_unknown_export_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        output.export(tmp_path / "r.xlsx", "xlsx", "t", ["a"], [])


def test_piped_output_is_plain_tab_separated() -> None:
    stream = io.StringIO()
    output.print_table("Files", ["state", "files"], [("TX", 2), ("MI", None)], stream)
    assert stream.getvalue() == "# Files\nstate\tfiles\nTX\t2\nMI\t\n\n"


def test_terminal_output_is_a_rich_table() -> None:
    stream = _Terminal()
    output.print_table("Files", ["state", "files"], [("TX", 2)], stream)
    text = stream.getvalue()
    assert "Files" in text and "TX" in text
    assert "\t" not in text and ("┃" in text or "│" in text or "|" in text)
