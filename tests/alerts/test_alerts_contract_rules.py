"""The contract's rules (missing_student_record, missing_clock_hours) reach the coordinators'
digests and the report site's data-quality page like every other rule."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from alerts.deliver import deliver_digests
from msix.settings import get_settings
from quality.fixtures import Warehouse
from quality.registry import RULES_BY_NAME
from quality.run import publish_findings
from reports.site import build_site
from tests.alerts.test_alerts_delivery import AS_OF, REGISTRY, T0, attachment, free_port, text_of

RULES = ("missing_student_record", "missing_clock_hours")


def test_contract_findings_reach_the_digest_and_the_report_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MSIX_OUTBOX", raising=False)
    monkeypatch.delenv("MSIX_REPORTS", raising=False)
    monkeypatch.setenv("MSIX_MIN_CELL_SIZE", "1")
    warehouse = tmp_path / "wh" / "msix.duckdb"
    warehouse.parent.mkdir()
    course = {"state": "TX", "school_id": "480000000001", "school_year": "2025-2026",
              "term_type": "SEM1", "subject_area": "02", "stamp": T0}  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        wh = Warehouse(con)
        wh.student("TX", "TX1", "000000000001", birth_date=date(2011, 2, 3), stamp=T0)
        wh.add("raw.courses", [
            {**course, "state_student_id": "TX1", "course_title": "Algebra I", "in_progress": "N"},
            {**course, "state_student_id": "TX9", "course_title": "Biology", "credits_granted": 1},
        ])  # fmt: skip
        wh.add("raw.enrollments", [
            {"state": "TX", "state_student_id": "TX9", "school_id": "480000000001",
             "school_name": "School", "enrollment_type": "01", "grade_level": "09",
             "enrollment_date": date(2025, 8, 20), "stamp": T0},
        ])  # fmt: skip
        publish_findings(con, AS_OF)
    registry = tmp_path / "coordinators.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    settings = replace(
        get_settings(warehouse=warehouse),
        coordinators=registry,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nothing listens: the digests stay in the outbox
    )
    report = deliver_digests(settings, as_of=AS_OF)
    assert report.counts()["outbox"] >= 1
    messages = {
        message["To"]: message
        for message in (
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in (settings.outbox_dir / "20260302T120000").glob("*.eml")
        )
    }
    tx = messages["tx.data@example.org"]
    findings = attachment(tx, "findings.csv")
    for rule in RULES:
        assert RULES_BY_NAME[rule].category == "missing"
        assert rule in findings and rule in text_of(tx)  # the CSV and the counts by rule
    assert ",TX9,,1 enrollments row(s) of the submission of 2026-01-05 08:00:00" in findings
    assert ",TX9,,1 courses row(s) of the submission" in findings
    assert "course Algebra I (2025-2026 SEM1) has neither credits granted nor clock hours" in (
        findings
    )
    assert "2011-02-03" not in text_of(tx)
    assert all("TX9" not in text_of(m) for to, m in messages.items() if not to.startswith("tx."))
    build_site(settings)
    page = (settings.reports_dir / "quality.html").read_text(encoding="utf-8")
    for rule in RULES:
        assert rule in page
