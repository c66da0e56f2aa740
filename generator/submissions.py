"""Cut what the states hold into submissions: a backfill, deltas every 14 days, one late file.

A state record goes into a submission when something about it became known since the last one
(a COE, an enrollment, a withdrawal, finished courses, a test) or when the state retracts it.
A record type is sent for a student only when it changed, and then as the complete list as of
the stamp (the contract's per-type replacement), so a type left out is left untouched.
Each state also sends one *late* file: a stale snapshot stamped between two deltas that arrives
after newer files (it must fill history, never overwrite).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from generator import calendar as cal
from generator.records import World
from loaders.contract import COLUMNS, RECORD_TYPES, column_names

CHILD_TYPES: tuple[str, ...] = RECORD_TYPES[1:]
DATE_COLUMNS = frozenset(c.name for cols in COLUMNS.values() for c in cols if c.kind == "date")
CREDIT_COLUMNS = ("credits_attempted", "credits_granted")
# States that mark a student's first submission `I` and those that leave `action` empty.
INSERT_STATES = frozenset({"FL", "CA", "WA"})
BLANK_ACTION_STATES = frozenset({"OH"})
P_LATER_COMPLETED = 0.04  # first submission lacks middle name and birth city, later ones add them


@dataclass
class Submission:
    """One submission of one state: its stamp and the index `k` of its rows in the StateCut."""

    state: str
    stamp: str
    stamp_day: int
    kind: str  # initial, delta or late
    arrival_day: float  # when it reaches the landing folder (late files after newer ones)
    k: int


@dataclass
class StateCut:
    """All submissions of one state.

    Per record type: `base` holds each distinct row once as contract text; the rows sent are
    `index` (positions in `base`) ordered by submission `k`, then state record `rec`. An
    enrollment re-sent before its withdrawal was known has the withdrawal date blanked
    (`blank_withdrawal`).
    """

    state: str
    submissions: list[Submission]
    base: dict[str, pd.DataFrame] = field(default_factory=dict)
    index: dict[str, np.ndarray] = field(default_factory=dict)
    k: dict[str, np.ndarray] = field(default_factory=dict)
    rec: dict[str, np.ndarray] = field(default_factory=dict)
    blank_withdrawal: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def rows(self, record_type: str, k: int) -> slice:
        """The positions of the rows of `record_type` sent in submission `k`."""
        lo, hi = np.searchsorted(self.k[record_type], [k, k + 1])
        return slice(int(lo), int(hi))

    def count(self, record_type: str) -> int:
        return len(self.index[record_type])

    def frame(self, record_type: str, start: int, stop: int) -> pd.DataFrame:
        """Sent rows start..stop of a record type as contract text, in file order."""
        table = self.base[record_type].iloc[self.index[record_type][start:stop]]
        table = table.reset_index(drop=True)
        if record_type == "enrollments":
            blank = self.blank_withdrawal[start:stop]
            table["withdrawal_date"] = table["withdrawal_date"].where(~blank, "")
        return table


def credits_text(hundredths: np.ndarray) -> pd.Series:
    """`50` -> `0.50`; negative (missing) -> empty."""
    h = np.asarray(hundredths, dtype=np.int64)
    whole = pd.Series(np.abs(h) // 100).astype(str)
    frac = pd.Series(np.abs(h) % 100 + 100).astype(str).str[1:]
    return (whole + "." + frac).where(h >= 0, "")


def to_text(frame: pd.DataFrame, record_type: str) -> pd.DataFrame:
    """The contract columns of a frame as text: dates ISO, credits with two places."""
    out = {}
    for column in column_names(record_type):
        if column == "action":
            continue
        if column == "birth_date":
            values = frame["birth"]
        elif column in frame:
            values = frame[column]
        else:
            out[column] = pd.Series("", index=range(len(frame)), dtype="str")
            continue
        if column in DATE_COLUMNS:
            out[column] = cal.iso(values.to_numpy())
        elif column in CREDIT_COLUMNS:
            out[column] = credits_text(values.to_numpy())
        elif column == "clock_hours":
            v = values.to_numpy()
            out[column] = pd.Series(v).astype(str).where(v >= 0, "")
        else:
            out[column] = pd.Series(values.to_numpy(), dtype="str")
    return pd.DataFrame(out)


def _stamp_index(days: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Index of the first stamp strictly after each day (clipped to the last stamp)."""
    return np.minimum(np.searchsorted(stamps, days, side="right"), len(stamps) - 1)


def _expand(
    rec: np.ndarray, k_vis: np.ndarray, change_rec: np.ndarray, change_k: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row, k) for every change (rec, k) of the row's record with k >= the row's k_vis."""
    lo = np.searchsorted(change_rec, rec, side="left")
    hi = np.searchsorted(change_rec, rec, side="right")
    counts = hi - lo
    row = np.repeat(np.arange(len(rec)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = change_k[lo[row] + np.arange(len(row)) - start]
    keep = k >= k_vis[row]
    return row[keep], k[keep]


def _changes(rec: np.ndarray, k: np.ndarray, n_stamps: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique (rec, k) pairs sorted by rec then k."""
    code = np.unique(rec.astype(np.int64) * (n_stamps + 1) + k)
    return code // (n_stamps + 1), code % (n_stamps + 1)


def cut_submissions(rng: np.random.Generator, world: World) -> Iterator[StateCut]:
    """Every state's submissions, state by state."""
    states = world.states
    records = world.records
    rec_state = records["state_idx"].to_numpy()
    students = to_text(world.students, "students")
    students["state_student_id"] = records["state_student_id"].astype("str").to_numpy()
    incomplete = rng.random(len(records)) < P_LATER_COMPLETED
    for i in range(len(states)):
        yield _state_cut(world, i, cal.state_stamps(i), students, incomplete, rec_state)


def _state_cut(
    world: World,
    i: int,
    stamps: np.ndarray,
    students: pd.DataFrame,
    incomplete: np.ndarray,
    rec_state: np.ndarray,
) -> StateCut:
    st = world.states[i]
    n = len(stamps)
    time = cal.STAMP_TIMES[i % len(cal.STAMP_TIMES)]
    frames = {
        "moves": world.moves,
        "enrollments": world.enrollments,
        "courses": world.courses,
        "assessments": world.assessments,
    }
    mine = {
        t: f[rec_state[f["rec"].to_numpy()] == i].reset_index(drop=True) for t, f in frames.items()
    }
    ks = {t: _stamp_index(f["vis"].to_numpy(), stamps) for t, f in mine.items()}
    wd_vis = mine["enrollments"]["wd_vis"].to_numpy()
    k_wd = np.where(wd_vis >= 0, _stamp_index(wd_vis, stamps), n + 1)
    changes = {}
    for t, f in mine.items():
        rec, k = f["rec"].to_numpy(), ks[t]
        if t == "enrollments":
            has_wd = k_wd <= n
            rec, k = np.concatenate([rec, rec[has_wd]]), np.concatenate([k, k_wd[has_wd]])
        changes[t] = _changes(rec, k, n)
    recs_here = np.flatnonzero(rec_state == i)
    retract = world.records["retract_day"].to_numpy()[recs_here]
    d_rec = recs_here[retract >= 0]
    d_k = _stamp_index(retract[retract >= 0], stamps)
    inc_rec, inc_k = _changes(
        np.concatenate([c[0] for c in changes.values()] + [d_rec]),
        np.concatenate([c[1] for c in changes.values()] + [d_k]),
        n,
    )
    first_k = np.full(len(world.records), n + 1)
    np.minimum.at(first_k, inc_rec, inc_k)
    is_d = np.isin(inc_rec * (n + 1) + inc_k, d_rec * (n + 1) + d_k)
    first_time = inc_k == first_k[inc_rec]

    student_rows = students.iloc[inc_rec].reset_index(drop=True)
    action = np.where(is_d, "D", np.where(first_time & (st in INSERT_STATES), "I", "U"))
    if st in BLANK_ACTION_STATES:
        action = np.where(is_d, "D", "")
    student_rows.insert(1, "action", action)
    last_k = np.full(len(world.records), -1)
    np.maximum.at(last_k, inc_rec, inc_k)
    early = incomplete[inc_rec] & first_time & (last_k[inc_rec] > inc_k) & ~is_d
    student_rows.loc[early, "middle_name"] = ""
    student_rows.loc[early, "birth_city"] = ""
    base = {"students": student_rows}
    parts = {"students": (np.arange(len(inc_k)), inc_k, inc_rec)}
    ssid = world.records["state_student_id"].to_numpy()
    for t, f in mine.items():
        base[t] = to_text(f, t)
        base[t]["state_student_id"] = ssid[f["rec"].to_numpy()]
        row, k = _expand(f["rec"].to_numpy(), ks[t], *changes[t])
        parts[t] = (row, k, f["rec"].to_numpy()[row])
    subs = [
        Submission(
            state=st,
            stamp=cal.stamp_text(int(stamps[k]), time),
            stamp_day=int(stamps[k]),
            kind="initial" if k == 0 else "delta",
            arrival_day=float(stamps[k]) + 0.1,
            k=k,
        )
        for k in range(n)
    ]
    if n >= 4:
        k_b = n // 2
        dup = world.records["dup_of"].to_numpy() >= 0
        parts = _with_late_rows(parts, k_b, n, first_k, dup)
        base["students"], parts["students"] = _late_students_upserted(student_rows, parts, n)
        day = int(stamps[k_b]) + 3
        subs.append(
            Submission(
                state=st,
                stamp=cal.stamp_text(day, "231500"),
                stamp_day=day,
                kind="late",
                arrival_day=float(stamps[min(k_b + 2, n - 1)]) + 0.5,
                k=n,
            )
        )
    e_row, e_k, _ = parts["enrollments"]
    as_of = np.where(e_k == n, n // 2, e_k)  # the late file is a snapshot as of n // 2
    blank = k_wd[e_row] > as_of
    cut = StateCut(state=st, submissions=subs, base=base)
    for t, (row, k, rec) in parts.items():
        order = np.lexsort((np.arange(len(k)), rec, k))
        cut.index[t], cut.k[t], cut.rec[t] = row[order], k[order], rec[order]
        if t == "enrollments":
            cut.blank_withdrawal = blank[order]
    return cut


Parts = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # base row, k, rec per sent row


def _late_students_upserted(
    student_rows: pd.DataFrame, parts: Parts, n: int
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Student rows with copies for the late file (action `U`, never `I`), and their parts."""
    row, ks, rec = parts["students"]
    late = ks == n
    extra = student_rows.iloc[row[late]].copy()
    extra["action"] = np.where(extra["action"] == "D", "D", "U")
    row = row.copy()
    row[late] = len(student_rows) + np.arange(int(late.sum()))
    return pd.concat([student_rows, extra], ignore_index=True), (row, ks, rec)


def _with_late_rows(parts: Parts, k_b: int, n: int, first_k: np.ndarray, dup: np.ndarray) -> Parts:
    """Add the late file's rows as submission `n`: a stale snapshot as of submission k_b.

    It holds every third student first sent by k_b and sent again after k_b, each record type
    as the complete list sent most recently by k_b: older than what later stamps say, so it fills
    history and must never win. It is stamped 3 days after k_b and arrives after k_b + 2.
    """
    _, inc_k, inc_rec = parts["students"]
    later = np.unique(inc_rec[inc_k > k_b])
    chosen = later[(first_k[later] <= k_b) & ~dup[later]][::3]
    out: Parts = {}
    for t, (row, ks, rec) in parts.items():
        keep = (ks <= k_b) & np.isin(rec, chosen)
        latest = np.full(len(dup), -1)
        np.maximum.at(latest, rec[keep], ks[keep])
        pick = np.flatnonzero(keep & (ks == latest[rec]))
        out[t] = (
            np.concatenate([row, row[pick]]),
            np.concatenate([ks, np.full(len(pick), n)]),
            np.concatenate([rec, rec[pick]]),
        )
    return out
