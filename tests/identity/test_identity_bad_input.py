"""Foreseeable mistakes end in one line naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from identity.decisions import read_decisions
from msix.cli import main

HEADER = (
    "decision,state_l,state_student_id_l,state_r,state_student_id_r,decided_by,decided_at,reason\n"
)
GOOD = "same,TX,1,CA,2,ann,2026-05-01,same COE\n"


def test_decisions_file_that_is_not_utf8_is_rejected_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + GOOD)
    (tmp_path / "b.csv").write_bytes((HEADER + GOOD).encode() + b"same,TX,1,CA,2,Ren\xe9,x,y\n")
    found = read_decisions(tmp_path)
    assert len(found.decisions) >= 1  # a.csv still counts
    assert any(r.startswith("b.csv: not UTF-8 text") for r in found.rejected)


def test_decisions_file_the_csv_reader_refuses_is_rejected_by_name(tmp_path: Path) -> None:
    too_long = "x" * 200_000  # over the csv module's field size limit
    (tmp_path / "c.csv").write_text(HEADER + GOOD + f"same,TX,1,CA,2,ann,2026-05-01,{too_long}\n")
    found = read_decisions(tmp_path)
    assert [d.key_r for d in found.decisions] == ["CA:2"]
    assert found.rejected == ["c.csv: not valid CSV (rows from there on ignored)"]


def test_rejected_rows_name_the_physical_line_after_a_multiline_field(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        HEADER
        + 'same,TX,1,CA,2,ann,2026-05-01,"two\nlines"\n'
        + "same,TX,1,,,ann,2026-05-01,oops\n"
    )
    assert read_decisions(tmp_path).rejected[0].startswith("a.csv:4: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["worklist", "--state", "TX"],
        ["decide", "same", "--pair", "abc", "--by", "me", "--reason", "r"],
        ["evaluate", "--truth", "."],
        ["train"],
        ["resolve"],
    ],
)
def test_identity_commands_name_a_missing_warehouse(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "none" / "msix.duckdb"
    assert main([*argv, "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: no warehouse at {warehouse}: run `msix run` first"
    assert not warehouse.exists()  # nothing created in the wrong place


def test_evaluate_names_a_missing_truth_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "msix.duckdb"
    warehouse.touch()
    assert main(["evaluate", "--truth", str(tmp_path), "--warehouse", str(warehouse)]) == 2
    assert capsys.readouterr().err.strip().startswith("error: truth file ")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["worklist", "--state", "TX"], "near_matches"),
        (["decide", "same", "--pair", "abc", "--by", "me", "--reason", "r"], "near_matches"),
        (["resolve"], "int_student_records_latest is missing"),
        (["train"], "int_student_records_latest"),
    ],
)
def test_identity_commands_name_a_table_not_built_yet(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "msix.duckdb"
    duckdb.connect(str(warehouse)).close()  # a warehouse before any run
    assert main([*argv, "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and named in err and len(err.splitlines()) == 1
