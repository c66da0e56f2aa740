"""A fixed history of identity runs (deltas, changed and removed records, echoes and every kind of
decision, weeks without change) and canonical snapshots of the identity tables after each run.

Used to prove that the scoped incremental run gives exactly what clustering every record gives:
`expected_history.json` holds the snapshots the whole-registry implementation produced for this
history (before runs were scoped), and the tests replay the history through the current code.
Snapshots hold keys, IDs, timestamps and counts only (no names or birth dates).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from identity.decisions import COLUMNS
from identity.resolve import IdentityReport
from identity.testdata import make_records, write_input

TABLES = ("xwalk", "national_ids", "near_matches", "decisions", "id_events", "runs")
EXPECTED = Path(__file__).resolve().parent / "expected_history.json"
Resolver = Callable[[Path, dt.datetime], IdentityReport]


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def snapshot(warehouse: Path) -> dict[str, list[list[Any]]]:
    """Every identity table as sorted rows of plain values."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result = {}
        for table in TABLES:
            cursor = con.execute(f"select * from identity.{table}")
            rows = [[_cell(v) for v in row] for row in cursor.fetchall()]
            result[table] = sorted(rows, key=lambda r: json.dumps(r, default=str))
        return result
    finally:
        con.close()


def digest(rows: list[list[Any]]) -> str:
    """A short content hash of one table's snapshot."""
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()[:16]


def _ids(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute("select record_key, msix_id from identity.xwalk").fetchall())
    finally:
        con.close()


def _first_undecided_pair(warehouse: Path) -> tuple[str, str, str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(
            "select state_l, state_student_id_l, state_r, state_student_id_r "
            "from identity.near_matches where status = 'undecided' order by pair_id limit 1"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return row


def _retired_ids(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select msix_id from identity.national_ids where status = 'retired' order by msix_id"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _write_decisions(warehouse: Path, rows: list[dict[str, str]]) -> None:
    folder = warehouse.parent / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    frame.to_csv(folder / "coordinators.csv", index=False)


def _key(records: pd.DataFrame, i: int) -> str:
    return f"{records.at[i, 'state']}:{records.at[i, 'state_student_id']}"


def _pair(key_l: str, key_r: str) -> dict[str, str]:
    (sl, il), (sr, ir) = key_l.split(":", 1), key_r.split(":", 1)
    return {"state_l": sl, "state_student_id_l": il, "state_r": sr, "state_student_id_r": ir}


def _clusters(ids: dict[str, str]) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for key, msix_id in sorted(ids.items()):
        members.setdefault(msix_id, []).append(key)
    return members


def replay(warehouse: Path, resolver: Resolver) -> list[dict[str, Any]]:
    """Run the history into `warehouse`; per run: its report counts and the table snapshots."""
    records, _ = make_records(120, seed=7)
    records = records.drop(columns=["child_id"]).reset_index(drop=True)
    who = {"decided_by": "coord@example.org", "decided_at": "2026-03-14T09:00:00"}
    decisions: list[dict[str, str]] = []
    result: list[dict[str, Any]] = []

    def step(day: dt.datetime, frame: pd.DataFrame) -> dict[str, str]:
        write_input(warehouse, frame)
        report = resolver(warehouse, day)
        result.append({"counts": report.counts(), "tables": snapshot(warehouse)})
        return _ids(warehouse)

    # 1. first run without the last 15 records
    ids = step(dt.datetime(2026, 3, 1), records.iloc[:-15])
    # 2. the 15 arrive; one record gets a first-name typo, one echoes another child's ID
    records.at[3, "first_name"] = f"{records.at[3, 'first_name']}x"
    records.at[10, "msix_id"] = ids[_key(records, 20)]
    ids = step(dt.datetime(2026, 3, 8), records)
    # 3. decisions: split, merge, same, different
    clusters = _clusters(ids)
    ordered = sorted(clusters.values())
    big = [m for m in ordered if len(m) >= 3][0]
    pair = [m for m in ordered if len(m) == 2][0]
    merge_l, merge_r, same_l, same_r = (m[0] for m in ordered[5:9])
    decisions += [
        {"decision": "split", **_pair(big[-1], big[-1]), "msix_id_l": ids[big[-1]], **who},
        {"decision": "merge", "msix_id_l": ids[merge_l], "msix_id_r": ids[merge_r], **who},
        {"decision": "same", **_pair(same_l, same_r), **who},
        {"decision": "different", **_pair(pair[0], pair[1]), **who},
    ]
    for row in decisions:
        row["reason"] = "history"
        if row["decision"] == "split":
            row["state_r"] = row["state_student_id_r"] = ""
    _write_decisions(warehouse, decisions)
    ids = step(dt.datetime(2026, 3, 15), records)
    # 4. a week without change
    step(dt.datetime(2026, 3, 22), records)
    # 5. a record leaves the input, one changes surname, a worklist pair is decided "different"
    sl, il, sr, ir = _first_undecided_pair(warehouse)
    decisions.append(
        {
            "decision": "different",
            **_pair(f"{sl}:{il}", f"{sr}:{ir}"),
            "decided_by": "coord@example.org",
            "decided_at": "2026-03-28T10:00:00",
            "reason": "history",
        }
    )
    _write_decisions(warehouse, decisions)
    records.at[70, "last_name_1"] = "Zyxwvut"
    records = records.drop(index=60).reset_index(drop=True)
    ids = step(dt.datetime(2026, 3, 29), records)
    # 6. a week without change
    step(dt.datetime(2026, 4, 5), records)
    # 7. a record echoes an ID retired by the merge; one new record
    records.at[80, "msix_id"] = _retired_ids(warehouse)[0]
    extra = records.iloc[[5]].copy()
    extra["state_student_id"] = "ZZ-NEW-1"
    records = pd.concat([records, extra], ignore_index=True)
    step(dt.datetime(2026, 4, 12), records)
    # 8. every decision withdrawn (decided worklist rows become undecided)
    _write_decisions(warehouse, [])
    step(dt.datetime(2026, 4, 19), records)
    # 9, 10. two weeks without change and nothing pending
    step(dt.datetime(2026, 4, 26), records)
    step(dt.datetime(2026, 5, 3), records)
    # 11. a week with one changed record again
    records.at[90, "birth_city"] = "Zyxwvut"
    step(dt.datetime(2026, 5, 10), records)
    return result


def condensed(result: list[dict[str, Any]]) -> dict[str, Any]:
    """Per run its counts and a digest of each table; the last run's tables in full (to show
    which rows differ when a digest does not match)."""
    return {
        "runs": [
            {"counts": r["counts"], "digests": {t: digest(rows) for t, rows in r["tables"].items()}}
            for r in result
        ],
        "final_tables": result[-1]["tables"],
    }


def write_expected(result: list[dict[str, Any]]) -> None:
    """Store the condensed snapshots of a trusted implementation as the expectation."""
    EXPECTED.write_text(json.dumps(condensed(result), default=str, separators=(",", ":")) + "\n")


def read_expected() -> dict[str, Any]:
    """The stored expectation (see `condensed`)."""
    return json.loads(EXPECTED.read_text())
