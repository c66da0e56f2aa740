"""Who may receive alerts: approved accounts trained in the last 12 months, and the audit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alerts.coordinators import RegistryError, audit, load_registry, recipients
from msix.paths import CONFIG_DIR

HEADER = "name,email,state,district,role,account_status,verifier,approver,training_date\n"


def registry(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "coordinators.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_only_approved_and_recently_trained_accounts_receive(tmp_path: Path) -> None:
    path = registry(
        tmp_path,
        "A,a@example.org,TX,,data_administrator,approved,v@x.org,p@x.org,2025-03-03",
        "B,b@example.org,TX,,primary_user,approved,v@x.org,p@x.org,2025-03-02",
        "C,c@example.org,FL,,primary_user,verified,v@x.org,,2026-01-01",
        "D,d@example.org,FL,,primary_user,disabled,v@x.org,p@x.org,2026-01-01",
        "E,e@example.org,FL,,primary_user,approved,v@x.org,p@x.org,",
        "F,f@example.org,ZZ,,primary_user,approved,v@x.org,p@x.org,2026-01-01",
    )
    accounts = load_registry(path)
    as_of = date(2026, 3, 2)
    assert [a.email for a in recipients(accounts, as_of)] == ["a@example.org"]
    reasons = {row.email: row.reasons for row in audit(accounts, as_of)}
    assert "training expired" in reasons["b@example.org"]
    assert "verified, not approved" in reasons["c@example.org"]
    assert "disabled" in reasons["d@example.org"]
    assert "no cybersecurity" in reasons["e@example.org"]
    assert "not a USPS state" in reasons["f@example.org"]
    # a year earlier B's training was current
    assert "b@example.org" in [a.email for a in recipients(accounts, date(2025, 6, 1))]


def test_bad_training_date_names_file_line_and_field(tmp_path: Path) -> None:
    path = registry(tmp_path, "A,a@example.org,TX,,primary_user,approved,v,p,03/03/2026")
    with pytest.raises(RegistryError, match=r"line 2, field training_date"):
        load_registry(path)


def test_example_registry_mixes_every_kind_of_account() -> None:
    accounts = load_registry(CONFIG_DIR / "coordinators.csv")
    as_of = date(2026, 11, 28)
    assert {a.state for a in recipients(accounts, as_of)} >= {"TX", "FL", "CA", "MI", "NC", "WA"}
    statuses = {a.account_status for a in accounts}
    assert statuses == {"requested", "verified", "approved", "disabled"}
    assert len(audit(accounts, as_of)) >= 5
