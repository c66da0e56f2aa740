"""From the true world to what each state holds: state records and their child record rows.

A *state record* is one `(state, state_student_id)`: a child as one state knows it. Frames keep
dates as int64 day numbers (-1 = empty) until writing, so planted problems can edit them; every
child row carries `rec` (its state record) and `vis` (the day the state learns of the row, which
decides the first submission that carries it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from generator import calendar as cal
from generator.population import Children, Stays
from generator.tables import (
    ASSESSMENT_AREAS,
    ASSESSMENT_PROGRAMS,
    COURSE_SLOTS,
    DEFAULT_TOWNS,
    FIPS,
    INTERPRETATIONS,
    LETTER_GRADES,
    SCHOOL_KINDS,
    SUMMER_COURSES,
    TOWNS,
)
from generator.variants import recorded_identity

# States whose systems fill eligibility_expiration_date (others leave it to be derived).
FILLS_EXPIRATION = frozenset({"CA", "MI", "NC", "OH", "NY", "GA", "OR"})
# state -> (prefix, digits) of its student IDs.
ID_FORMATS: dict[str, tuple[str, int]] = {
    "TX": ("TX", 9), "FL": ("", 10), "CA": ("", 10), "MI": ("M", 8), "NC": ("", 10),
    "WA": ("W", 9), "OH": ("OH", 8),
}  # fmt: skip
GRADE_CODES = np.array(["KG", *(f"{g:02d}" for g in range(1, 13))], dtype=object)
P_DUPLICATE_RECORD = 0.008  # a state opens a second record for a child, later retracted (D)


@dataclass
class World:
    """Everything the states hold, before submissions are cut."""

    states: list[str]
    records: pd.DataFrame  # rec index: child, state, state_student_id, dup_of, retract_day
    students: pd.DataFrame  # per rec: student columns (sex text, birth as day number)
    moves: pd.DataFrame
    enrollments: pd.DataFrame
    courses: pd.DataFrame
    assessments: pd.DataFrame
    stays: Stays
    stay_rec: np.ndarray  # the state record of each stay


def build_world(rng: np.random.Generator, kids: Children, stays: Stays, states: list[str]) -> World:
    """State records of every child and all their rows as the states recorded them."""
    key = stays.child * len(states) + stays.state
    uniq, first_stay, stay_rec = np.unique(key, return_index=True, return_inverse=True)
    rec_child = uniq // len(states)
    rec_state = uniq % len(states)
    dups = _pick_duplicates(rng, stays, first_stay)
    all_child = np.concatenate([rec_child, rec_child[dups]])
    all_state = np.concatenate([rec_state, rec_state[dups]])
    state_codes = np.array(states, dtype=object)[all_state]
    records = pd.DataFrame(
        {
            "child": all_child,
            "state_idx": all_state,
            "state": state_codes,
            "state_student_id": _student_ids(rng, all_state, states),
            "dup_of": np.concatenate([np.full(len(uniq), -1), dups]),
        }
    )
    first_day = stays.enrolled[first_stay]
    retract = np.full(len(records), -1, dtype=np.int64)
    retract[len(uniq) :] = first_day[dups] + 28 + rng.integers(0, 40, len(dups))
    records["retract_day"] = retract
    records["first_stay"] = np.concatenate([first_stay, first_stay[dups]])
    records["twin"] = kids.twin_group[all_child] >= 0
    students = recorded_identity(rng, kids, all_child, state_codes)
    students.insert(0, "sex", np.where(kids.sex[all_child] == 0, "F", "M"))
    students.insert(1, "birth", kids.birth[all_child])
    enrollments = _enrollments(rng, stays, stay_rec, states)
    dup_enr = enrollments.iloc[first_stay[dups]].copy()
    dup_enr["rec"] = np.arange(len(uniq), len(records))
    dup_enr["withdrawal_date"] = -1
    dup_enr["wd_vis"] = -1
    return World(
        states=states,
        records=records,
        students=students,
        moves=_moves(rng, stays, stay_rec, states),
        enrollments=pd.concat([enrollments, dup_enr], ignore_index=True),
        courses=_courses(rng, stays, stay_rec, states),
        assessments=_assessments(rng, stays, stay_rec, states),
        stays=stays,
        stay_rec=stay_rec,
    )


def _pick_duplicates(rng: np.random.Generator, stays: Stays, first_stay: np.ndarray) -> np.ndarray:
    """Records that get a duplicate: first enrolled early enough for a retraction to follow."""
    early = stays.enrolled[first_stay] < cal.day(cal.LAST_STAMP) - 80
    chosen = early & (rng.random(len(first_stay)) < P_DUPLICATE_RECORD)
    if not chosen.any() and early.any() and len(first_stay) >= 500:
        chosen[np.flatnonzero(early)[0]] = True
    return np.flatnonzero(chosen)


def _student_ids(rng: np.random.Generator, state_idx: np.ndarray, states: list[str]) -> np.ndarray:
    """Unique state student IDs in each state's own format."""
    out = np.empty(len(state_idx), dtype=object)
    for i, st in enumerate(states):
        rows = np.flatnonzero(state_idx == i)
        prefix, width = ID_FORMATS.get(st, ("", 10))
        span = 9 * 10 ** (width - 1)
        offset = int(rng.integers(0, span))
        numbers = 10 ** (width - 1) + (offset + np.arange(len(rows)) * 1_000_003) % span
        numbers = rng.permutation(numbers)
        out[rows] = prefix + pd.Series(numbers).astype(str).to_numpy(dtype=object)
    return out


def district_ids(states: list[str], state_idx: np.ndarray, district: np.ndarray) -> pd.Series:
    """7-digit NCES-like district IDs: the state's FIPS code and a stable 5-digit number."""
    fips = np.array([FIPS[s] for s in states], dtype=object)[state_idx]
    number = (fips.astype(np.int64) * 331 + district * 17) % 90_000 + 10_000
    return pd.Series(fips + pd.Series(number).astype(str).to_numpy(dtype=object), dtype="str")


def _towns(states: list[str], state_idx: np.ndarray, index: np.ndarray) -> np.ndarray:
    table = [TOWNS.get(s, DEFAULT_TOWNS) for s in states]
    width = max(len(t) for t in table)
    grid = np.array([[t[i % len(t)] for i in range(width)] for t in table], dtype=object)
    return grid[state_idx, index % width]


def _enrollments(
    rng: np.random.Generator, stays: Stays, stay_rec: np.ndarray, states: list[str]
) -> pd.DataFrame:
    n = len(stays.child)
    u = rng.random((6, n))
    district = district_ids(states, stays.state, stays.district).to_numpy(dtype=object)
    band = np.select([stays.grade >= 9, stays.grade >= 6], [2, 1], default=0)
    summer = stays.enrollment_type == "03"
    school = _enrollment_school(stays, states)
    town = _towns(states, stays.state, stays.district)
    kind = np.array(SCHOOL_KINDS, dtype=object)[band]
    name = np.where(summer, town + " Migrant Summer Program", town + " " + kind)
    lep = u[0] < 0.45
    return pd.DataFrame(
        {
            "rec": stay_rec,
            "stay": np.arange(n),
            "vis": stays.enrolled,
            "school_id": school,
            "district_id": np.where(u[1] < 0.05, "", district),
            "school_name": name,
            "enrollment_type": stays.enrollment_type,
            "enrollment_date": stays.enrolled,
            "withdrawal_date": stays.withdrawn,
            "wd_vis": stays.withdrawn,
            "grade_level": GRADE_CODES[stays.grade],
            "residency_date": np.where(u[2] < 0.3, -1, stays.qad),
            "lep": np.where(lep, "Y", "N"),
            "iep": np.where(u[3] < 0.12, "Y", "N"),
            "pfs": np.where(u[4] < 0.3, "Y", np.where(u[4] < 0.4, "", "N")),
            "medical_alert": np.select([u[5] < 0.03, u[5] < 0.08], ["C", "A"], default="N"),
            "immunization": np.where(u[5] > 0.9, "", "Y"),
        }
    )


def _moves(
    rng: np.random.Generator, stays: Stays, stay_rec: np.ndarray, states: list[str]
) -> pd.DataFrame:
    """One COE move per stay: arriving in the stay's state (or district) on its QAD."""
    n = len(stays.child)
    u = rng.random((3, n))
    code = np.array(states, dtype=object)
    prev = np.maximum(np.arange(n) - 1, 0)
    first = stays.position == 0
    from_country = np.where(first & (u[0] < 0.45), np.where(u[1] < 0.8, "MX", "GT"), "US")
    from_state = np.where(
        from_country == "US", code[np.where(first, stays.state, stays.state[prev])], ""
    )
    from_city = np.where(
        from_country == "US",
        _towns(states, np.where(first, stays.state, stays.state[prev]), stays.district[prev] + 3),
        np.where(from_country == "MX", "Morelia", "Huehuetenango"),
    )
    fills = np.isin(code[stays.state], list(FILLS_EXPIRATION))
    return pd.DataFrame(
        {
            "rec": stay_rec,
            "stay": np.arange(n),
            "vis": stays.qad,
            "qad": stays.qad,
            "lqm_date": np.where(u[2] < 0.5, stays.qad, stays.qad - (u[2] * 12).astype(np.int64)),
            "move_from_city": np.where(u[1] > 0.9, "", from_city),
            "move_from_state": from_state,
            "move_from_country": from_country,
            "move_to_city": _towns(states, stays.state, stays.district),
            "move_to_state": code[stays.state],
            "eligibility_expiration_date": np.where(fills, cal.eligibility_end(stays.qad), -1),
        }
    )


def _semester(days: np.ndarray) -> np.ndarray:
    """Semester number: 2*year for fall (Aug-Dec), 2*(year-1)+1 for spring (Jan-Jul)."""
    y, m, _ = cal.year_month_day(days)
    return np.where(m >= 8, 2 * y, 2 * (y - 1) + 1)


def _courses(
    rng: np.random.Generator, stays: Stays, stay_rec: np.ndarray, states: list[str]
) -> pd.DataFrame:
    """Secondary course history: each term a secondary stay touches, a schedule of courses.

    Terms before the stay's last are complete; the last is complete only when the stay ended
    after the term (June or July). A mid-term mover gets partial credit or an in-progress course
    with a grade to date; a stay still open has its current term in progress.
    """
    end_day = np.where(stays.withdrawn >= 0, stays.withdrawn, cal.day(cal.LAST_STAMP))
    secondary = stays.grade >= 9
    summer = stays.enrollment_type == "03"
    first_term = _semester(stays.enrolled)
    last_term = _semester(end_day)
    first_term = np.maximum(first_term, last_term - 2)
    n_terms = np.where(summer, 1, last_term - first_term + 1) * secondary
    n_courses = np.where(summer, 1 + (stays.district % 2), 4 + stays.child % 3)
    per_stay = n_terms * n_courses
    stay = np.repeat(np.arange(len(per_stay)), per_stay)
    start = np.repeat(np.cumsum(per_stay) - per_stay, per_stay)
    within = np.arange(len(stay)) - start
    term = first_term[stay] + within // n_courses[stay]
    slot = within % n_courses[stay]
    n = len(stay)
    u = rng.random((6, n))
    is_summer = summer[stay]
    _, end_month, _ = cal.year_month_day(end_day[stay])
    complete = (term < last_term[stay]) | (
        (stays.withdrawn[stay] >= 0) & ((end_month == 6) | (end_month == 7))
    )
    complete |= is_summer & (stays.withdrawn[stay] >= 0)
    choice = (stays.child[stay] * 7 + stays.grade[stay] + term) % 5
    titles = np.empty(n, dtype=object)
    subjects = np.empty(n, dtype=object)
    ctypes = np.empty(n, dtype=object)
    for s, options in enumerate(COURSE_SLOTS):
        mine = (slot == s) & ~is_summer
        pick = np.array(options, dtype=object)[choice[mine] % len(options)]
        titles[mine], subjects[mine], ctypes[mine] = pick[:, 0], pick[:, 1], pick[:, 2]
    summer_pick = np.array(SUMMER_COURSES, dtype=object)[(slot[is_summer] + choice[is_summer]) % 3]
    titles[is_summer] = summer_pick[:, 0]
    subjects[is_summer] = summer_pick[:, 1]
    ctypes[is_summer] = summer_pick[:, 2]

    attempted = np.where(u[0] < 0.2, 100, 50)
    failed = u[1] < 0.05
    partial = ~complete & (u[2] < 0.5)
    in_progress = ~complete & ~partial
    granted = np.select(
        [complete & failed, complete, partial], [0, attempted, attempted // 2], default=-1
    )
    grade_idx = (u[3] * len(LETTER_GRADES)).astype(np.int64)
    numeric = np.isin(np.array(states, dtype=object)[stays.state[stay]], ["TX", "OH"])
    letter = np.array(LETTER_GRADES, dtype=object)[grade_idx]
    number = pd.Series(97 - grade_idx * 3).astype(str).to_numpy(dtype=object)
    mark = np.where(numeric, number, letter)
    final = np.where(
        in_progress, "", np.where(failed & complete, np.where(numeric, "55", "F"), mark)
    )
    sy = term // 2
    term_type = np.where(is_summer, "SUMR", np.where(term % 2 == 0, "SEM1", "SEM2"))
    hours = np.where(in_progress, 20 + (u[4] * 160).astype(np.int64), -1)
    vis = _course_known(stays, stay, term, is_summer, complete, u[4])
    enrollment_school = _enrollment_school(stays, states)
    frame = pd.DataFrame(
        {
            "rec": stay_rec[stay],
            "stay": stay,
            "vis": vis,
            "school_id": enrollment_school[stay],
            "school_year": pd.Series(sy).astype(str) + "-" + pd.Series(sy + 1).astype(str),
            "term_type": term_type,
            "course_title": titles,
            "subject_area": subjects,
            "course_type": np.where(u[5] < 0.1, "", ctypes),
            "course_section": pd.Series(1 + slot).astype(str).str.zfill(2),
            "credits_attempted": attempted,
            "credits_granted": granted,
            "clock_hours": hours,
            "grade_to_date": np.where(in_progress, mark, ""),
            "final_grade": final,
            "in_progress": np.where(in_progress, "Y", "N"),
        }
    )
    key = ["rec", "school_id", "school_year", "term_type", "course_title", "course_section"]
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)


def _course_known(
    stays: Stays,
    stay: np.ndarray,
    term: np.ndarray,
    is_summer: np.ndarray,
    complete: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """The day the state learns of each course row (it is sent in the next submission).

    A finished term's final grade is known 2-15 days after the term ends (or when the child
    leaves before that) and sent at the next stamp, within the 30 days of 34 CFR 200.85; a
    mid-term leaver's row when the child leaves; a course in progress in a stay still open
    20 days into its term.
    """
    year = term // 2 + 1  # the spring year of the school year
    ones = np.ones(len(term), dtype=np.int64)
    month = np.where(is_summer, 8, np.where(term % 2 == 0, 1, 6))
    term_end = cal.from_ymd(year, month, 15 * ones)
    term_start = np.where(
        term % 2 == 0,
        cal.from_ymd(year - 1, 8 * ones, 20 * ones),
        cal.from_ymd(year, ones, 16 * ones),
    )
    left = stays.withdrawn[stay]
    lag = 2 + (u * 14).astype(np.int64)  # + up to 14 days to the next stamp: within 30
    finished = np.where(left >= 0, np.minimum(left, term_end + lag), term_end + lag)
    ongoing = np.where(left >= 0, left, np.maximum(term_start, stays.enrolled[stay]) + 20)
    known = np.where(complete, finished, ongoing)
    return np.minimum(known, cal.day(cal.LAST_STAMP) - 1)


def _enrollment_school(stays: Stays, states: list[str]) -> np.ndarray:
    district = district_ids(states, stays.state, stays.district)
    band = np.select([stays.grade >= 9, stays.grade >= 6], [2, 1], default=0)
    summer = stays.enrollment_type == "03"
    kind_no = np.where(summer, 90, 10 + band * 10 + (stays.district % 3))
    suffix = pd.Series(kind_no + 100_000).astype(str).str[1:].to_numpy(dtype=object)
    return (district.to_numpy(dtype=object) + suffix).astype(object)


def _assessments(
    rng: np.random.Generator, stays: Stays, stay_rec: np.ndarray, states: list[str]
) -> pd.DataFrame:
    """State tests for about half the stays: one or two content areas in a month of the stay."""
    n_stays = len(stays.child)
    u0 = rng.random(n_stays)
    per_stay = np.where(u0 < 0.3, 1, np.where(u0 < 0.5, 2, 0))
    stay = np.repeat(np.arange(n_stays), per_stay)
    start = np.repeat(np.cumsum(per_stay) - per_stay, per_stay)
    within = np.arange(len(stay)) - start
    u = rng.random((3, len(stay)))
    code = np.array(states, dtype=object)[stays.state[stay]]
    program = pd.Series(code).map(ASSESSMENT_PROGRAMS)
    program = program.where(program.notna(), pd.Series(code) + " State Assessment").astype("str")
    area_idx = (stays.child[stay] + within) % len(ASSESSMENT_AREAS)
    area = np.array(ASSESSMENT_AREAS, dtype=object)[area_idx]
    lep_test = (within == 1) & (u[0] < 0.4)
    area = np.where(lep_test, "English proficiency", area)
    title = np.where(
        lep_test, "WIDA ACCESS for ELLs", (program + " " + pd.Series(area).str.title()).to_numpy()
    )
    end_day = np.where(stays.withdrawn[stay] >= 0, stays.withdrawn[stay], cal.day(cal.LAST_STAMP))
    taken = stays.enrolled[stay] + (u[1] * (end_day - stays.enrolled[stay])).astype(np.int64)
    y, m, _ = cal.year_month_day(taken)
    month = pd.Series(y).astype(str) + "-" + pd.Series(m).astype(str).str.zfill(2)
    interp = np.array(INTERPRETATIONS, dtype=object)[(u[2] * 4).astype(np.int64)]
    score = 300 + ((3 - (u[2] * 4).astype(np.int64)) * 100 + (u[1] * 99).astype(np.int64))
    frame = pd.DataFrame(
        {
            "rec": stay_rec[stay],
            "stay": stay,
            "vis": np.maximum(taken, stays.enrolled[stay]),
            "assessment_title": title,
            "content_area": area,
            "assessment_type": np.where(
                lep_test, "English language proficiency", "state summative"
            ),
            "administration_date": month,
            "score": pd.Series(score).astype(str),
            "interpretation": interp,
        }
    )
    key = ["rec", "assessment_title", "administration_date"]
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)
