"""One file is one transaction: a load killed with SIGKILL half-way, then rerun, gives exactly
the warehouse of an uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from loaders.ingest import ingest_landing

# The child loads the landing folder and SIGKILLs itself while the third file's transaction is
# open: its raw and quarantine rows are inserted, its manifest row is being written.
CHILD = """
import os, signal, sys
from pathlib import Path
import loaders.manifest as manifest
from loaders.ingest import ingest_landing

real_record = manifest.record
calls = 0

def record_then_die(con, sub, digest, status, *args, **kwargs):
    global calls
    real_record(con, sub, digest, status, *args, **kwargs)
    calls += 1
    if calls == 3:
        os.kill(os.getpid(), signal.SIGKILL)

manifest.record = record_then_die
ingest_landing(Path(sys.argv[1]), Path(sys.argv[2]), layouts_dir=Path(sys.argv[3]))
"""

TABLES = (
    "students",
    "moves",
    "enrollments",
    "courses",
    "assessments",
    "quarantine",
    "load_manifest",
)


def _contents(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.execute(
                f"select * exclude (loaded_at) from raw.{t} order by all"
                if t == "load_manifest"
                else f"select * from raw.{t} order by all"
            ).fetchall()
            for t in TABLES
        }


def _fill(landing) -> None:
    for day in range(1, 6):
        rows = [
            landing.student(f"TX{day}{i:04d}", birth="bad" if i % 7 == 0 else "2012-01-01")
            for i in range(500)
        ]
        landing.students("TX", rows, stamp=f"202611{day:02d}T083000")
    students = [
        landing.xml_student(f"NE{i}", children="<Move><Qad>2026-09-02</Qad></Move>")
        for i in range(50)
    ]
    landing.write("NE", "NE_20261101T083000.xml", landing.xml_text(state="NE", students=students))


def test_sigkill_mid_load_then_rerun_equals_an_uninterrupted_run(landing, tmp_path) -> None:
    _fill(landing)
    reference = tmp_path / "reference.duckdb"
    ingest_landing(landing.root, reference, layouts_dir=landing.layouts)

    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(landing.root),
            str(landing.warehouse),
            str(landing.layouts),
        ],
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL
    interrupted = _contents(landing.warehouse)
    assert len(interrupted["load_manifest"]) == 2  # two files committed, the third rolled back

    landing.ingest()
    assert _contents(landing.warehouse) == _contents(reference)
