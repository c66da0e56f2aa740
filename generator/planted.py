"""Data-quality problems planted on purpose, each listed in `truth/planted_issues.csv`.

Every plant edits the recorded rows of a `World` (never the true stays) and returns the state
records it touched with a PII-free detail. Plants never overlap on one row, and every rule gets at
least `MIN_PER_RULE` plants when the run has 500 children or more (when candidates exist).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from generator import calendar as cal
from generator.records import World

RULES: tuple[str, ...] = (
    "missing_qad",
    "missing_withdrawal",
    "conflicting_birth_date",
    "conflicting_sex",
    "eligibility_expiration_mismatch",
    "overlapping_enrollment",
    "withdrawal_before_enrollment",
    "credits_granted_above_attempted",
    "grade_implausible_for_age",
    "qad_in_future",
    "lost_child",
    "late_submission",
    "missing_course_history",
)
MIN_PER_RULE = 3
RATE = 0.002  # plants per child for most rules
CONFLICT_RATE = 0.015  # of multi-state records: birth dates recorded differently (day/month swap)


class Planter:
    """Chooses rows for plants without reusing a row, and collects the planted list."""

    def __init__(self, rng: np.random.Generator, world: World, children: int) -> None:
        self.rng = rng
        self.world = world
        self.children = children
        self.rows: list[pd.DataFrame] = []
        self.used_enrollment = np.zeros(len(world.enrollments), dtype=bool)
        self.used_record = np.zeros(len(world.records), dtype=bool)
        self.used_record[world.records["dup_of"].to_numpy() >= 0] = True
        self.used_move = np.zeros(len(world.moves), dtype=bool)

    def free_enrollments(self) -> np.ndarray:
        """Enrollment rows not planted yet, of state records without a plant."""
        recs = self.world.enrollments["rec"].to_numpy()
        return ~self.used_enrollment & ~self.used_record[recs]

    def count(self, rate: float = RATE) -> int:
        floor = MIN_PER_RULE if self.children >= 500 else 1
        return max(floor, int(self.children * rate))

    def choose(self, candidates: np.ndarray, k: int) -> np.ndarray:
        """Up to k of the candidate positions, at random, in ascending order."""
        pool = np.flatnonzero(candidates)
        if len(pool) == 0:
            return pool
        return np.sort(self.rng.choice(pool, size=min(k, len(pool)), replace=False))

    def note(self, rule: str, recs: np.ndarray, detail: str | np.ndarray) -> None:
        self.used_record[recs] = True
        self.rows.append(pd.DataFrame({"rule": rule, "rec": recs, "detail": detail}))

    def result(self) -> pd.DataFrame:
        """rule, state, state_student_id, detail of every plant."""
        planted = pd.concat(self.rows, ignore_index=True)
        records = self.world.records
        return pd.DataFrame(
            {
                "rule": planted["rule"],
                "state": records["state"].to_numpy()[planted["rec"]],
                "state_student_id": records["state_student_id"].to_numpy()[planted["rec"]],
                "detail": planted["detail"],
            }
        )


def plant_all(rng: np.random.Generator, world: World, children: int) -> pd.DataFrame:
    """Apply every plant to `world`; the planted list, one row per plant."""
    planter = Planter(rng, world, children)
    steps: tuple[Callable[[Planter], None], ...] = (
        plant_missing_course_history,
        plant_lost_child,
        plant_missing_withdrawal,
        plant_overlapping_enrollment,
        plant_withdrawal_before_enrollment,
        plant_grade_implausible,
        plant_missing_qad,
        plant_qad_in_future,
        plant_expiration_mismatch,
        plant_credits_above_attempted,
        plant_conflicting_birth_date,
        plant_conflicting_sex,
        plant_late_submission,
    )
    for step in steps:
        step(planter)
    return planter.result()


def _next_stay_info(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Per stay: whether the same child has a later stay, and that stay's index."""
    child = world.stays.child
    has_next = np.append(child[1:] == child[:-1], False)
    return has_next, np.minimum(np.arange(len(child)) + 1, len(child) - 1)


def _original(world: World) -> np.ndarray:
    """Mask of enrollment rows of true stays (not the copies held by duplicate records)."""
    return np.arange(len(world.enrollments)) < len(world.stays.child)


def plant_missing_course_history(p: Planter) -> None:
    """A secondary student who withdrew, with every course row of that state record dropped."""
    w = p.world
    stays = w.stays
    closed_secondary = (stays.withdrawn >= 0) & (stays.grade >= 9) & (stays.enrollment_type != "03")
    recs = p.choose(
        np.isin(np.arange(len(w.records)), w.stay_rec[closed_secondary]) & ~p.used_record, p.count()
    )
    w.courses = w.courses[~w.courses["rec"].isin(recs)].reset_index(drop=True)
    p.used_enrollment |= np.isin(w.enrollments["rec"].to_numpy(), recs)
    p.used_record[recs] = True
    p.note("missing_course_history", recs, "secondary student withdrew; no course rows sent")


def plant_lost_child(p: Planter) -> None:
    """A child's last enrollment closes long before the end of the data, with no arrival after."""
    w = p.world
    stays = w.stays
    has_next, _ = _next_stay_info(w)
    last = cal.day(cal.LAST_STAMP)
    candidates = ~has_next & (stays.enrolled < last - 150)
    candidates &= p.free_enrollments()[: len(stays.child)]
    candidates &= ~w.records["twin"].to_numpy()[w.stay_rec]
    chosen = p.choose(candidates, p.count())
    span = last - 75 - stays.enrolled[chosen] - 30
    left = stays.enrolled[chosen] + 30 + (p.rng.random(len(chosen)) * span).astype(np.int64)
    enr = w.enrollments
    enr.loc[chosen, "withdrawal_date"] = left
    enr.loc[chosen, "wd_vis"] = left
    stays.withdrawn[chosen] = left  # true: the child really left and was not seen again
    p.used_enrollment[chosen] = True
    p.note("lost_child", w.stay_rec[chosen], "withdrew; no enrollment anywhere afterwards")


def plant_missing_withdrawal(p: Planter) -> None:
    """An enrollment with no withdrawal date although the child enrolled in another state later."""
    w = p.world
    has_next, nxt = _next_stay_info(w)
    candidates = _original(w).copy()
    candidates[: len(has_next)] &= has_next & (w.stays.state[nxt] != w.stays.state)
    candidates &= p.free_enrollments()
    chosen = p.choose(candidates, p.count(0.01))
    w.enrollments.loc[chosen, "withdrawal_date"] = -1
    w.enrollments.loc[chosen, "wd_vis"] = -1
    p.used_enrollment[chosen] = True
    p.note(
        "missing_withdrawal",
        w.stay_rec[chosen],
        "no withdrawal date; enrolled in another state later",
    )


def plant_overlapping_enrollment(p: Planter) -> None:
    """A withdrawal recorded 8-30 days after the child's enrollment in another state."""
    w = p.world
    stays = w.stays
    has_next, nxt = _next_stay_info(w)
    candidates = _original(w).copy()
    candidates[: len(has_next)] &= has_next & (stays.state[nxt] != stays.state)
    candidates &= p.free_enrollments()
    chosen = p.choose(candidates, p.count())
    days = 8 + p.rng.integers(0, 23, len(chosen))
    w.enrollments.loc[chosen, "withdrawal_date"] = stays.enrolled[nxt[chosen]] + days
    p.used_enrollment[chosen] = True
    p.note(
        "overlapping_enrollment",
        w.stay_rec[chosen],
        [f"withdrawal recorded {d} days after enrolling in the next state" for d in days],
    )


def plant_withdrawal_before_enrollment(p: Planter) -> None:
    """A withdrawal date earlier than the enrollment date of the same row.

    Only on short stays, with the recorded departure less than 60 days before the child's next
    arrival, so the plant never also looks like a lost child.
    """
    w = p.world
    stays = w.stays
    has_next, nxt = _next_stay_info(w)
    span = stays.qad[nxt] - stays.enrolled  # days from enrollment to the next arrival
    candidates = _original(w) & p.free_enrollments()
    candidates[: len(span)] &= has_next & (span < 58)
    chosen = p.choose(candidates, p.count())
    room = 59 - span[chosen]  # the recorded departure stays within 59 days of the next arrival
    before = 1 + (p.rng.random(len(chosen)) * (room - 1)).astype(np.int64)
    enr = w.enrollments
    enr.loc[chosen, "withdrawal_date"] = enr.loc[chosen, "enrollment_date"].to_numpy() - before
    p.used_enrollment[chosen] = True
    p.note("withdrawal_before_enrollment", w.stay_rec[chosen], "withdrawal date before enrollment")


def plant_grade_implausible(p: Planter) -> None:
    """A high-school-age child recorded in kindergarten or first grade."""
    w = p.world
    candidates = _original(w).copy()
    candidates[: len(w.stays.grade)] &= w.stays.grade >= 10
    candidates &= p.free_enrollments()
    chosen = p.choose(candidates, p.count())
    codes = np.where(p.rng.random(len(chosen)) < 0.5, "KG", "01")
    w.enrollments.loc[chosen, "grade_level"] = codes
    p.used_enrollment[chosen] = True
    p.note(
        "grade_implausible_for_age",
        w.stay_rec[chosen],
        [f"grade {c} recorded for a high-school-age child" for c in codes],
    )


def _free_moves(p: Planter) -> np.ndarray:
    """Moves rows not planted yet, of state records without a plant (duplicates count as used)."""
    recs = p.world.moves["rec"].to_numpy()
    return ~p.used_move & ~p.used_record[recs]


def plant_missing_qad(p: Planter) -> None:
    """An extra moves row without a QAD (the loader quarantines it; the real COE stays)."""
    w = p.world
    chosen = p.choose(_free_moves(p), p.count())
    extra = w.moves.iloc[chosen].copy()
    extra["qad"] = -1
    extra["lqm_date"] = -1
    extra["eligibility_expiration_date"] = -1
    w.moves = pd.concat([w.moves, extra], ignore_index=True)
    p.used_move = np.append(p.used_move, np.ones(len(extra), dtype=bool))
    p.used_move[chosen] = True
    p.note("missing_qad", extra["rec"].to_numpy(), "moves row without qad")


def plant_qad_in_future(p: Planter) -> None:
    """A QAD typed later than the date of every submission that carries it.

    Only on a child's first COE, so no earlier departure is left without an arrival.
    """
    w = p.world
    first_stay = w.stays.position[w.moves["stay"].to_numpy()] == 0  # no departure before it
    chosen = p.choose(_free_moves(p) & first_stay, p.count())
    future = cal.day(cal.LAST_STAMP) + 30 + p.rng.integers(0, 270, len(chosen))
    moves = w.moves
    moves.loc[chosen, "qad"] = future
    fills = moves.loc[chosen, "eligibility_expiration_date"].to_numpy() >= 0
    moves.loc[chosen, "eligibility_expiration_date"] = np.where(
        fills, cal.eligibility_end(future), -1
    )
    p.used_move[chosen] = True
    p.note("qad_in_future", moves.loc[chosen, "rec"].to_numpy(), "qad after the submission date")


def plant_expiration_mismatch(p: Planter) -> None:
    """An eligibility expiration date that is not QAD + 3 years - 1 day."""
    w = p.world
    moves = w.moves
    chosen = p.choose(_free_moves(p) & (moves["qad"].to_numpy() >= 0), p.count())
    qad = moves.loc[chosen, "qad"].to_numpy()
    off = np.where(
        p.rng.random(len(chosen)) < 0.5, cal.add_years(qad, 2) - 1, cal.add_years(qad, 3)
    )
    moves.loc[chosen, "eligibility_expiration_date"] = off
    p.used_move[chosen] = True
    p.note(
        "eligibility_expiration_mismatch",
        moves.loc[chosen, "rec"].to_numpy(),
        "expiration date not qad + 3 years - 1 day",
    )


def plant_credits_above_attempted(p: Planter) -> None:
    """A course granting more credit than was attempted."""
    w = p.world
    courses = w.courses
    candidates = (courses["credits_granted"].to_numpy() >= 0) & ~p.used_record[courses["rec"]]
    chosen = p.choose(candidates, p.count())
    courses.loc[chosen, "credits_granted"] = courses.loc[chosen, "credits_attempted"] + 50
    p.note(
        "credits_granted_above_attempted",
        courses.loc[chosen, "rec"].to_numpy(),
        "credits granted exceed credits attempted",
    )


def _multi_state_later_records(p: Planter) -> np.ndarray:
    """Records of non-twin children held by two or more states, other than their first record."""
    records = p.world.records
    real = records["dup_of"].to_numpy() < 0
    child = records["child"].to_numpy()
    first = np.append(True, child[1:] != child[:-1])
    return real & ~first & ~p.used_record & ~records["twin"].to_numpy()


def plant_conflicting_birth_date(p: Planter) -> None:
    """A birth date recorded with day and month swapped (or a year off) by one state."""
    w = p.world
    chosen = p.choose(_multi_state_later_records(p), p.count(CONFLICT_RATE * 0.3))
    birth = w.students.loc[chosen, "birth"].to_numpy()
    y, m, d = cal.year_month_day(birth)
    swappable = (d <= 12) & (d != m)
    w.students.loc[chosen, "birth"] = np.where(swappable, cal.from_ymd(y, d, m), birth + 365)
    p.note(
        "conflicting_birth_date",
        chosen,
        np.where(swappable, "day and month swapped", "year differs"),
    )


def plant_conflicting_sex(p: Planter) -> None:
    """The other sex recorded by one state."""
    w = p.world
    chosen = p.choose(_multi_state_later_records(p), p.count())
    sex = w.students.loc[chosen, "sex"].to_numpy()
    w.students.loc[chosen, "sex"] = np.where(sex == "F", "M", "F")
    p.note("conflicting_sex", chosen, "sex differs from the child's other records")


def plant_late_submission(p: Planter) -> None:
    """A new COE first submitted 30-60 days after its QAD (more than 10 working days)."""
    w = p.world
    stays = w.stays
    records = w.records
    first_stay = records["first_stay"].to_numpy()
    go_live = np.array([cal.state_stamps(i)[0] for i in range(len(w.states))])
    qad = stays.qad[first_stay]
    candidates = (records["dup_of"].to_numpy() < 0) & (qad > go_live[records["state_idx"]] + 1)
    candidates &= qad < cal.day(cal.LAST_STAMP) - 90
    chosen = p.choose(candidates & ~p.used_record, p.count())
    hold = np.full(len(records), -1, dtype=np.int64)
    hold[chosen] = qad[chosen] + 30 + p.rng.integers(0, 31, len(chosen))
    for frame in (w.moves, w.enrollments, w.courses, w.assessments):
        h = hold[frame["rec"].to_numpy()]
        frame["vis"] = np.maximum(frame["vis"].to_numpy(), h)
    p.used_record[chosen] = True
    p.note("late_submission", chosen, "new COE first submitted more than 10 working days after qad")
