"""Coordinators' decisions: read, validate and turn them into clustering constraints.

The decisions folder (`<warehouse dir>/decisions/*.csv`, or MSIX_DECISIONS) is the source of
truth; every run reads all of it, so every later run honours every decision. `msix decide`
appends to `decisions/msix-decide.csv`. Columns (header required, extra columns ignored):

    decision          same | different | merge | split
    state_l, state_student_id_l, state_r, state_student_id_r   the record pair (same/different);
                      for split, the _l record is the one that gets an ID of its own
    msix_id_l, msix_id_r   the two IDs to merge (merge); the ID to split from (split, msix_id_l)
    decided_by        who (account name or e-mail)
    decided_at        when (ISO date or timestamp)
    reason            why

A bad row is rejected with its file and line, never guessed at; the other rows still count.
For one record pair the latest decision wins.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from identity.cluster import pair_key

DECISIONS = ("same", "different", "merge", "split")
COLUMNS = (
    "decision",
    "state_l",
    "state_student_id_l",
    "state_r",
    "state_student_id_r",
    "msix_id_l",
    "msix_id_r",
    "decided_by",
    "decided_at",
    "reason",
)
CLI_FILE = "msix-decide.csv"


@dataclass(frozen=True)
class Decision:
    """One coordinator decision."""

    decision: str
    key_l: str | None
    key_r: str | None
    msix_id_l: str | None
    msix_id_r: str | None
    decided_by: str
    decided_at: datetime
    reason: str
    source: str

    @property
    def decision_id(self) -> str:
        """Stable ID from the decision's content (the same row read twice is one decision)."""
        text = "|".join(
            str(v or "")
            for v in (
                self.decision,
                self.key_l,
                self.key_r,
                self.msix_id_l,
                self.msix_id_r,
                self.decided_by,
                self.decided_at.isoformat(),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class DecisionSet:
    """All valid decisions plus the rejected rows (file:line: reason, no values)."""

    decisions: list[Decision] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def decisions_dir(warehouse: Path) -> Path:
    """Where coordinators' decision files live."""
    import os

    override = os.environ.get("MSIX_DECISIONS")
    return Path(override).expanduser().resolve() if override else warehouse.parent / "decisions"


def _key(state: str, ssid: str) -> str | None:
    state, ssid = state.strip().upper(), ssid.strip()
    return f"{state}:{ssid}" if state and ssid else None


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_row(row: dict[str, str], source: str) -> Decision | str:
    """A Decision, or the reason the row is rejected (naming the field, never its value)."""
    get = {c: (row.get(c) or "").strip() for c in COLUMNS}
    kind = get["decision"].lower()
    if kind not in DECISIONS:
        return f"decision must be one of {', '.join(DECISIONS)}"
    when = _parse_time(get["decided_at"])
    if when is None:
        return "decided_at is not an ISO date or timestamp"
    if not get["decided_by"]:
        return "decided_by is required"
    if not get["reason"]:
        return "reason is required"
    key_l = _key(get["state_l"], get["state_student_id_l"])
    key_r = _key(get["state_r"], get["state_student_id_r"])
    id_l, id_r = get["msix_id_l"] or None, get["msix_id_r"] or None
    if kind in ("same", "different") and not (key_l and key_r):
        return f"{kind} needs state_l, state_student_id_l, state_r, state_student_id_r"
    if kind == "merge" and not (id_l and id_r):
        return "merge needs msix_id_l and msix_id_r"
    if kind == "split" and not (key_l and id_l):
        return "split needs the record (state_l, state_student_id_l) and msix_id_l"
    for name, value in (("msix_id_l", id_l), ("msix_id_r", id_r)):
        if value is not None and not (len(value) == 12 and value.isdigit()):
            return f"{name} must be 12 digits"
    return Decision(kind, key_l, key_r, id_l, id_r, get["decided_by"], when, get["reason"], source)


def read_decisions(folder: Path) -> DecisionSet:
    """Every decision in every CSV file of `folder` (missing folder: none)."""
    result = DecisionSet()
    if not folder.is_dir():
        return result
    for path in sorted(folder.glob("*.csv")):
        try:
            _read_file(path, result)
        except (UnicodeDecodeError, csv.Error) as exc:
            # a file that is not UTF-8 CSV: its rows read so far still count, the rest is named
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "not valid CSV"
            result.rejected.append(f"{path.name}: {reason} (rows from there on ignored)")
    result.decisions.sort(key=lambda d: (d.decided_at, d.decision_id))
    return result


def _read_file(path: Path, result: DecisionSet) -> None:
    """Add one CSV file's decisions and rejected rows to `result`."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"decision", "decided_by", "decided_at", "reason"} - set(reader.fieldnames or [])
        if missing:
            result.rejected.append(f"{path.name}: missing columns {', '.join(sorted(missing))}")
            return
        for row in reader:
            line_no = reader.line_num
            parsed = parse_row(row, f"{path.name}:{line_no}")
            if isinstance(parsed, Decision):
                result.decisions.append(parsed)
            else:
                result.rejected.append(f"{path.name}:{line_no}: {parsed}")


def append_decision(folder: Path, row: dict[str, str]) -> Path:
    """Append one decision row to the CLI's file (header written when the file is new)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CLI_FILE
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        if new:
            writer.writeheader()
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return path


@dataclass
class Constraints:
    """What the decisions mean for clustering and ID assignment."""

    must_links: list[tuple[str, str]] = field(default_factory=list)
    cannot_links: list[tuple[str, str]] = field(default_factory=list)
    split_records: dict[str, str] = field(default_factory=dict)  # record -> ID it left
    touched: set[str] = field(default_factory=set)  # records whose clusters must be re-formed


def constraints_from(
    decisions: Iterable[Decision],
    members_of: dict[str, list[str]],
    anchors: dict[str, str],
    resolve: dict[str, str],
) -> Constraints:
    """Turn decisions (oldest first) into pair constraints; for one pair the latest wins.

    Split rows naming the same ID with the same decided_by and decided_at are one split: those
    records get one new ID together.

    `members_of`: active ID -> its records last run; `anchors`: ID -> anchor key;
    `resolve`: any issued ID -> the active ID it now means.
    """
    latest: dict[tuple[str, str], bool] = {}  # pair -> must-link?
    groups: dict[tuple[str, datetime, str], list[str]] = {}
    result = Constraints()
    for d in decisions:
        if d.decision in ("same", "different") and d.key_l and d.key_r:
            latest[pair_key(d.key_l, d.key_r)] = d.decision == "same"
            if d.decision == "different":
                result.touched.update((d.key_l, d.key_r))
        elif d.decision == "merge" and d.msix_id_l and d.msix_id_r:
            a, b = anchors.get(d.msix_id_l), anchors.get(d.msix_id_r)
            if a and b:
                latest[pair_key(a, b)] = True
        elif d.decision == "split" and d.key_l and d.msix_id_l:
            active = resolve.get(d.msix_id_l, d.msix_id_l)
            groups.setdefault((active, d.decided_at, d.decided_by), []).append(d.key_l)
    for (active, _, _), records in groups.items():
        # Records split off together get one new ID together, apart from the rest.
        for key in records:
            result.split_records[key] = active
            result.touched.add(key)
            for other in members_of.get(active, []):
                if other not in records:
                    latest[pair_key(key, other)] = False
        for a, b in zip(records, records[1:], strict=False):
            latest[pair_key(a, b)] = True
    for pair, same in sorted(latest.items()):
        (result.must_links if same else result.cannot_links).append(pair)
    return result
