"""The coordinator registry (config/coordinators.csv, or MSIX_COORDINATORS) and its audit.

Only an approved account with cybersecurity and privacy training in the 12 months before the
run clock receives alerts, and only about its own state (or district). `audit` says, for every
account that falls short, why.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from loaders.contract import STATES

ROLES = ("data_administrator", "primary_user", "secondary_user")
STATUSES = ("requested", "verified", "approved", "disabled")
COLUMNS = (
    "name", "email", "state", "district", "role", "account_status", "verifier", "approver",
    "training_date",
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class RegistryError(ValueError):
    """The registry file cannot be read (names the file, line and field)."""


@dataclass(frozen=True)
class Coordinator:
    """One account of the registry."""

    name: str
    email: str
    state: str
    district: str | None
    role: str
    account_status: str
    verifier: str | None
    approver: str | None
    training_date: date | None
    line_no: int = 0


@dataclass(frozen=True)
class AuditRow:
    """An account that may not receive alerts, and why (reasons joined by '; ')."""

    email: str
    state: str
    role: str
    account_status: str
    reasons: str


def load_registry(path: Path) -> list[Coordinator]:
    """Read the registry CSV; a malformed training date names the line."""
    if not path.exists():
        raise RegistryError(f"{path}: coordinator registry not found (set MSIX_COORDINATORS)")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RegistryError(f"{path}: missing columns {', '.join(missing)}")
        return [_coordinator(path, line_no, row) for line_no, row in enumerate(reader, start=2)]


def _coordinator(path: Path, line_no: int, row: dict[str, str]) -> Coordinator:
    def value(name: str) -> str | None:
        text = (row.get(name) or "").strip()
        return text or None

    training = value("training_date")
    try:
        training_date = date.fromisoformat(training) if training else None
    except ValueError:
        raise RegistryError(
            f"{path}, line {line_no}, field training_date: not a YYYY-MM-DD date"
        ) from None
    return Coordinator(
        name=value("name") or "",
        email=(value("email") or "").lower(),
        state=(value("state") or "").upper(),
        district=value("district"),
        role=value("role") or "",
        account_status=(value("account_status") or "").lower(),
        verifier=value("verifier"),
        approver=value("approver"),
        training_date=training_date,
        line_no=line_no,
    )


def shortfalls(account: Coordinator, as_of: date) -> list[str]:
    """Every reason the account may not receive alerts on `as_of` (empty: it may)."""
    reasons = []
    if account.account_status != "approved":
        reasons.append(f"account status is {account.account_status or 'missing'}, not approved")
    if account.account_status == "approved" and not (account.verifier and account.approver):
        reasons.append("approved without a recorded verifier and approver")
    if account.training_date is None:
        reasons.append("no cybersecurity and privacy training on record")
    elif account.training_date > as_of:
        reasons.append("training date is after the run date")
    elif account.training_date <= _one_year_before(as_of):
        reasons.append(f"training expired (last on {account.training_date.isoformat()})")
    if account.state not in STATES:
        reasons.append("state is not a USPS state code")
    if account.role not in ROLES:
        reasons.append("role is not one of " + ", ".join(ROLES))
    if not _EMAIL.match(account.email):
        reasons.append("e-mail address is not valid")
    return reasons


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def recipients(accounts: list[Coordinator], as_of: date) -> list[Coordinator]:
    """The accounts that receive alerts on `as_of`."""
    return [a for a in accounts if not shortfalls(a, as_of)]


def audit(accounts: list[Coordinator], as_of: date) -> list[AuditRow]:
    """The accounts that fall short on `as_of`, with their reasons."""
    rows = []
    for account in accounts:
        reasons = shortfalls(account, as_of)
        if reasons:
            rows.append(
                AuditRow(
                    account.email,
                    account.state,
                    account.role,
                    account.account_status,
                    "; ".join(reasons),
                )  # fmt: skip
            )
    return rows
