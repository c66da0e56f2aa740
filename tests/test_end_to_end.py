"""The whole pipeline, as a user runs it: `msix generate` then `msix run`, twice.

One module-scoped run serves every test here: nothing lost from file to raw tables, nothing
personal in the run's output, the alert digests or the report site, and a second run over the
same landing folder changes nothing.
"""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from loaders.layouts import load_layout
from msix import paths

CHILDREN = 400
SEED = 29
MSIX = [sys.executable, "-m", "msix.cli"]
CHILD_TAGS = ("Move", "Enrollment", "Course", "Assessment")


@dataclass(frozen=True)
class PipelineRun:
    data: Path
    warehouse: Path
    first_output: str
    second_output: str
    first_snapshot: dict[str, str]
    second_snapshot: dict[str, str]


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*MSIX, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return output


def _snapshot(warehouse: Path) -> dict[str, str]:
    """A content hash of every relation an analyst reads (order-independent)."""
    relations = [
        "raw.load_manifest",
        "marts.xwalk_student_identity",
        "marts.dim_student",
        "marts.fct_enrollment",
        "marts.fct_move",
        "marts.fct_course",
        "marts.fct_assessment",
        "marts.rpt_credit_accrual",
        "marts.rpt_moves_monthly",
    ]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        hashes = {}
        for relation in relations:
            exclude = "exclude (loaded_at)" if relation == "raw.load_manifest" else ""
            rows = con.execute(f"select * {exclude} from {relation}").fetchall()
            digest = hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()
            hashes[relation] = f"{len(rows)}:{digest}"
        issue_ids = con.execute("select issue_id from marts.dq_issue order by 1").fetchall()
        hashes["marts.dq_issue ids"] = hashlib.sha256(repr(issue_ids).encode()).hexdigest()
        return hashes
    finally:
        con.close()


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    root = tmp_path_factory.mktemp("e2e")
    warehouse = root / "warehouse" / "msix.duckdb"
    env = {
        **os.environ,
        "MSIX_WAREHOUSE": str(warehouse),
        "MSIX_SMTP_PORT": "1",  # nothing listens: digests go to the outbox only
        "PYTHONUNBUFFERED": "1",
    }
    _run(
        ["generate", "--out", str(root / "data"), "--children", str(CHILDREN), "--seed", str(SEED)],
        env,
    )
    landing = str(root / "data" / "landing")
    first = _run(["run", "--landing", landing], env)
    first_snapshot = _snapshot(warehouse)
    second = _run(["run", "--landing", landing], env)
    return PipelineRun(
        root / "data", warehouse, first, second, first_snapshot, _snapshot(warehouse)
    )


def _landing_data_rows(landing: Path) -> int:
    """Data rows in every submission file, counted independently of the loaders."""
    total = 0
    for path in sorted(landing.rglob("*")):
        if path.suffix == ".xml":
            tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
            students = tree.getroot()
            total += len(students) + sum(
                len(s.findall("./{*}" + tag)) for s in students for tag in CHILD_TAGS
            )
        elif path.suffix == ".csv":
            lines = path.read_bytes().splitlines()
            layout = load_layout(path.parent.name, paths.LAYOUTS_DIR)
            has_header = layout.format != "fixed_width"  # fixed-width records have no header
            total += len([line for line in lines if line.strip()]) - (1 if has_header else 0)
    return total


def test_every_step_ran(pipeline_run: PipelineRun) -> None:
    for step in ("ingest", "transform_staging", "resolve_identities", "transform_marts",
                 "check_quality", "send_alerts", "build_reports"):  # fmt: skip
        assert re.search(rf"^{step}: ", pipeline_run.first_output, re.M), step


def test_nothing_lost_from_file_to_raw(pipeline_run: PipelineRun) -> None:
    con = duckdb.connect(str(pipeline_run.warehouse), read_only=True)
    try:
        read, loaded, quarantined, bad_files = con.execute(
            """
            select sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                   count(*) filter (where status = 'loaded'
                                    and rows_read <> rows_loaded + rows_quarantined)
            from raw.load_manifest where status = 'loaded'
            """
        ).fetchone()
        in_raw = sum(
            con.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for t in ("students", "moves", "enrollments", "courses", "assessments")
        )
        in_quarantine = con.execute(
            "select count(distinct (load_id, line_no, record_type)) from raw.quarantine"
        ).fetchone()[0]
    finally:
        con.close()
    assert bad_files == 0
    assert read == loaded + quarantined
    assert in_raw == loaded
    assert in_quarantine == quarantined
    assert read == _landing_data_rows(pipeline_run.data / "landing")


def test_rerun_changes_nothing(pipeline_run: PipelineRun) -> None:
    assert pipeline_run.second_snapshot == pipeline_run.first_snapshot
    assert "files_loaded=0" in pipeline_run.second_output


def _children(data: Path) -> list[dict[str, str]]:
    with (data / "truth" / "children.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _personal_strings(children: list[dict[str, str]]) -> set[str]:
    """Full names and birth dates (in the formats a leak would show) of every child."""
    found: set[str] = set()
    for child in children:
        found.add(f"{child['first_name']} {child['last_name_1']}")
        y, m, d = child["birth_date"].split("-")
        found.update({child["birth_date"], f"{m}/{d}/{y}"})
    return found


def test_no_personal_data_in_run_output(pipeline_run: PipelineRun) -> None:
    personal = _personal_strings(_children(pipeline_run.data))
    for output in (pipeline_run.first_output, pipeline_run.second_output):
        leaks = sorted(s for s in personal if s in output)
        assert not leaks, f"{len(leaks)} names or birth dates in the run output"


def test_no_personal_data_on_the_report_site(pipeline_run: PipelineRun) -> None:
    personal = _personal_strings(_children(pipeline_run.data))
    pages = list((pipeline_run.warehouse.parent / "reports").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        leaks = [s for s in personal if s in text]
        assert not leaks, f"{page.name}: {len(leaks)} names or birth dates"


def _decoded_text(eml: Path) -> str:
    """Every part of a saved e-mail, decoded (bodies are quoted-printable, attachments base64)."""
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    parts = [
        part.get_payload(decode=True) or b"" for part in message.walk() if not part.is_multipart()
    ]
    return "\n".join(p.decode("utf-8", errors="replace") for p in parts)


def test_digests_carry_no_other_states_personal_data(pipeline_run: PipelineRun) -> None:
    children = {c["child_id"]: c for c in _children(pipeline_run.data)}
    with (pipeline_run.data / "truth" / "records.csv").open(encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    digests = list((pipeline_run.warehouse.parent / "outbox").rglob("*.eml"))
    assert digests
    for digest in digests:
        state = digest.name[:2]
        own = {r["child_id"] for r in records if r["state"] == state}
        own_strings = _personal_strings([children[c] for c in own])
        others = (
            _personal_strings([c for cid, c in children.items() if cid not in own]) - own_strings
        )
        text = _decoded_text(digest)
        leaks = [s for s in others if s in text]
        assert not leaks, f"{digest.name}: {len(leaks)} other states' names or birth dates"
