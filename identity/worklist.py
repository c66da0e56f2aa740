"""Read the near-match worklist from the warehouse (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msix.db import session


def worklist_rows(warehouse: Path, state: str, limit: int = 50) -> list[dict[str, Any]]:
    """Undecided near matches with a record of `state` on either side, strongest first."""
    with session(warehouse, read_only=True) as con:
        frame = con.execute(
            "select * from identity.near_matches where status = 'undecided' "
            "and (state_l = ? or state_r = ?) order by match_probability desc, pair_id limit ?",
            [state.upper(), state.upper(), limit],
        ).df()
    return frame.to_dict("records")


def pair_records(warehouse: Path, pair_id: str) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """The two records ((state, state_student_id) each) of a worklist pair, or None."""
    with session(warehouse, read_only=True) as con:
        rows = con.execute(
            "select state_l, state_student_id_l, state_r, state_student_id_r "
            "from identity.near_matches where pair_id = ?",
            [pair_id],
        ).fetchall()
    if not rows:
        return None
    a, b, c, d = rows[0]
    return (a, b), (c, d)
