"""`msix status`, `msix student`, `msix report` against the handcrafted warehouse."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from msix.cli import main
from msix.settings import Settings

SURVIVOR = "100000000001"
RETIRED = "100000000099"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_reads_the_manifest(
    analyst_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "status", "--warehouse", str(analyst_settings.warehouse))
    assert code == 0
    assert "# Files by state and status" in out
    assert "TX\tloaded\t1\t120\t118\t2\t" in out
    assert "# Rejected files" in out
    assert "FL_courses_20250901T120000.csv\theader misses course_title" in out
    assert "TX_students_copy.csv\tduplicate" in out


def test_status_without_a_warehouse_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "status", "--warehouse", str(tmp_path / "none.duckdb"))
    assert code == 1
    assert "no warehouse at" in err and "Traceback" not in err


def test_student_prints_the_consolidated_record(
    analyst_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "student", SURVIVOR, "--warehouse", str(analyst_settings.warehouse))
    assert code == 0
    assert f"# Consolidated record {SURVIVOR}: best values" in out
    assert "first_name\tZorblattia1" in out
    versions = out.split("# Each state's version of the identity")[1].split("\n\n")[0]
    assert "MI\tMI777" in versions and "Maria" in versions
    assert "TX\tTX001" in versions and "Mariquita" in versions
    conflicts = out.split("# Conflicts (fields where states disagree)")[1].split("\n\n")[0]
    assert "first_name\tZorblattia1\tMI: Maria; TX: Mariquita" in conflicts
    assert "birth_date" not in conflicts and "first_name_has_conflict" not in out
    enrollments = out.split("# Enrollments (date order)")[1].split("\n\n")[0]
    assert enrollments.index("2024-08-20") < enrollments.index("2025-06-10")
    assert "TX\tMI\t2025-05-02\t2025-06-10" in out
    assert "Algebra I" in out and "1.00" in out
    assert "STAAR Algebra" in out


def test_a_retired_id_resolves_to_its_survivor(
    analyst_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "student", RETIRED, "--warehouse", str(analyst_settings.warehouse))
    assert code == 0
    assert f"{RETIRED} was retired; it resolves to {SURVIVOR}" in out
    assert f"# Consolidated record {SURVIVOR}" in out


def test_unknown_or_malformed_ids_are_clear_errors(
    analyst_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "student", "999999999999", "--warehouse", str(analyst_settings.warehouse)
    )
    assert code == 1 and "no student with national ID 999999999999" in out
    code, _, err = _run(capsys, "student", "12ab", "--warehouse", str(analyst_settings.warehouse))
    assert code == 2 and "12 digits" in err


def test_moves_report_filters_and_exports_csv(
    analyst_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "moves.csv"
    code, out, _ = _run(
        capsys, "report", "moves", "--state", "tx", "--from", "2025-06", "--to", "2025-07",
        "--out", str(out_file), "--warehouse", str(analyst_settings.warehouse),
    )  # fmt: skip
    assert code == 0 and "wrote 2 rows" in out
    rows = list(csv.reader(out_file.open(encoding="utf-8")))
    assert rows[0] == ["from_state", "to_state", "month", "moves", "suppressed"]
    assert rows[1:] == [["TX", "MI", "2025-06", "", "True"], ["TX", "TX", "2025-07", "30", "False"]]


def test_credits_report_suppresses_small_groups(
    analyst_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "report", "credits", "--warehouse", str(analyst_settings.warehouse))
    assert code == 0
    lines = out.splitlines()
    assert "MI\t2024-2025\t02\t\t\t\t\t" in lines  # 6 course rows of 6 students: below 10
    assert any(line.startswith("TX\t2024-2025\t02\t28\t54\t54.00\t54.00\t0") for line in lines)


def test_report_of_a_missing_relation_says_not_built(
    make_warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = make_warehouse(tmp_path / "msix.duckdb", without=("marts.rpt_moves_monthly",))
    code, out, _ = _run(capsys, "report", "moves", "--warehouse", str(warehouse))
    assert code == 1 and "marts.rpt_moves_monthly: not built yet" in out


def test_output_through_a_real_pipe_is_plain_text(analyst_settings: Settings) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "msix.cli",
            "status",
            "--warehouse",
            str(analyst_settings.warehouse),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Last runs\nrun\tlayer\tfinished\tnodes\tfailed\n")
    assert "\x1b[" not in done.stdout and "┃" not in done.stdout


def test_report_as_csv_on_stdout_and_parquet_by_suffix(
    analyst_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = str(analyst_settings.warehouse)
    code, out, _ = _run(capsys, "report", "moves", "--format", "csv", "--warehouse", warehouse)
    assert code == 0
    assert out.splitlines()[0] == "from_state,to_state,month,moves,suppressed"
    code, _, err = _run(capsys, "report", "moves", "--format", "parquet", "--warehouse", warehouse)
    assert code == 2 and "--out" in err
    target = tmp_path / "moves.parquet"
    code, _, _ = _run(capsys, "report", "moves", "--out", str(target), "--warehouse", warehouse)
    assert code == 0 and target.read_bytes()[:4] == b"PAR1"


def test_report_to_a_folder_names_it_instead_of_a_traceback(
    analyst_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = str(analyst_settings.warehouse)
    code, _, err = _run(capsys, "report", "moves", "--out", str(tmp_path), "--warehouse", warehouse)
    assert code == 2
    assert err.strip().startswith(f"error: cannot write {tmp_path}: ")
    assert len(err.strip().splitlines()) == 1
