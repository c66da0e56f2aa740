"""Submission file names (../shared/spec/state-files.md §1): what a name says, and why it is refused.

`<landing>/<ST>/<ST>_<STAMP>.xml` or `<landing>/<ST>/<ST>_<STAMP>_<type>.csv`. A name that does
not match is not loaded: it is reported and left in place. Names are shown in messages through
`printable`, so a hostile name (control characters, traversal-like dots, very long) cannot
forge log lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from loaders.contract import RECORD_TYPES, STATES

STAMP_FORMAT = "%Y%m%dT%H%M%S"
_NAME = re.compile(
    r"(?P<state>[A-Z]{2})_(?P<stamp>\d{8}T\d{6})"
    r"(?:_(?P<type>" + "|".join(RECORD_TYPES) + r"))?\.(?P<ext>csv|xml)"
)
MAX_SHOWN = 80


@dataclass(frozen=True)
class SubmissionFile:
    """A landing file whose name follows the contract."""

    path: Path
    state: str
    stamp: datetime
    record_type: str  # a CSV record type, or "xml" for a whole XML submission

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_xml(self) -> bool:
        return self.record_type == "xml"


class BadName(ValueError):
    """A landing file whose name or place breaks §1; the message says why, never the body."""


def printable(name: str) -> str:
    """A file name safe to print: control characters escaped, cut to a readable length."""
    shown = name.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 3] + "..."


def parse_path(path: Path, landing: Path) -> SubmissionFile:
    """Read state, stamp and type from a landing path, or raise `BadName` with the reason."""
    try:
        relative = path.relative_to(landing)
    except ValueError:
        raise BadName("file is outside the landing folder") from None
    if len(relative.parts) != 2:
        raise BadName("file is not directly inside a state folder (<landing>/<ST>/)")
    folder = relative.parts[0]
    match = _NAME.fullmatch(path.name)
    if match is None:
        raise BadName("name does not match <ST>_<YYYYMMDDThhmmss>[_<type>].csv|xml")
    state, ext, record_type = match["state"], match["ext"], match["type"]
    if state not in STATES:
        raise BadName(f"{state} is not a state code")
    if folder != state:
        raise BadName(f"state folder {printable(folder)} does not match the name's state {state}")
    if ext == "csv" and record_type is None:
        raise BadName("a CSV name needs a record type (_students, _moves, ...)")
    if ext == "xml" and record_type is not None:
        raise BadName("an XML name carries no record type")
    try:
        stamp = datetime.strptime(match["stamp"], STAMP_FORMAT)
    except ValueError:
        raise BadName("the stamp is not a real date and time") from None
    return SubmissionFile(path, state, stamp, record_type or "xml")


def candidate_paths(landing: Path, states: list[str] | None = None) -> list[Path]:
    """Every regular file under the landing folder (symlinks are not followed), sorted.

    With `states`, only the folders of those states are scanned.
    """
    roots = [landing / s.upper() for s in states] if states is not None else [landing]
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.is_symlink() or not path.is_file():
                continue
            found.append(path)
    return sorted(found)
