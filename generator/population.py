"""The true world: children (with twins) and their stays in schools along the migrant streams.

All draws are vectorized over children; the journey is a short loop over stay positions (at most
`MAX_STAYS`), each step vectorized over all children. A *stay* is one enrollment at one school
after one qualifying arrival; consecutive stays are the true moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator import calendar as cal
from generator.tables import (
    BIRTH_PLACE_WEIGHTS,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    HOME_WEIGHTS,
    STREAMS,
    SURNAMES,
)

MAX_STAYS = 7
DISTRICTS_PER_STATE = 12
TWIN_SHARE = 0.025  # share of children who are a twin (both members counted)
TWINS_MOVING_TOGETHER = 0.85
# Grade at the first stay, KG (0) to 12: tilted so ~40% are secondary at their last enrollment.
GRADE_WEIGHTS = np.array([6, 7, 7, 7, 7, 7, 7, 8, 8, 9, 9, 9, 8], dtype=float)


@dataclass
class Children:
    """One entry per child (arrays of equal length)."""

    sex: np.ndarray  # 0 = F, 1 = M
    first: np.ndarray  # index into FIRST_NAMES_F / FIRST_NAMES_M by sex
    middle: np.ndarray  # same table, -1 = none
    last1: np.ndarray  # index into SURNAMES
    last2: np.ndarray  # index into SURNAMES, -1 = none
    suffix: np.ndarray  # index into SUFFIXES, -1 = none
    birth: np.ndarray  # day number
    birth_place: np.ndarray  # index into BIRTH_PLACES
    mother_first: np.ndarray  # index into FIRST_NAMES_F
    mother_last: np.ndarray  # index into SURNAMES
    father_first: np.ndarray  # index into FIRST_NAMES_M, -1 = not recorded
    twin_group: np.ndarray  # -1 = not a twin, else the leader's child index
    home: np.ndarray  # index into the run's state list

    @property
    def count(self) -> int:
        return len(self.sex)


@dataclass
class Stays:
    """One entry per stay, ordered by child then position."""

    child: np.ndarray
    position: np.ndarray
    state: np.ndarray  # index into the run's state list
    district: np.ndarray  # 0..DISTRICTS_PER_STATE-1
    enrollment_type: np.ndarray  # "01" / "02" / "03"
    qad: np.ndarray
    enrolled: np.ndarray
    withdrawn: np.ndarray  # -1 = still enrolled at the end of the data
    grade: np.ndarray  # 0 = KG .. 12


def draw_children(rng: np.random.Generator, n: int, states: list[str]) -> Children:
    """Draw `n` children; about TWIN_SHARE of them come as twin pairs sharing birth and parents."""
    sex = rng.integers(0, 2, n)
    n_names = np.where(sex == 0, len(FIRST_NAMES_F), len(FIRST_NAMES_M))
    first = (rng.random(n) * n_names).astype(np.int64)
    middle = (first + 1 + (rng.random(n) * (n_names - 1)).astype(np.int64)) % n_names
    middle = np.where(rng.random(n) < 0.55, middle, -1)
    last1 = rng.integers(0, len(SURNAMES), n)
    last2 = np.where(rng.random(n) < 0.75, rng.integers(0, len(SURNAMES), n), -1)
    suffix = np.where((sex == 1) & (rng.random(n) < 0.04), rng.integers(0, 4, n), -1)
    weights = np.array(BIRTH_PLACE_WEIGHTS) / sum(BIRTH_PLACE_WEIGHTS)
    birth_place = rng.choice(len(weights), n, p=weights)
    mother_first = rng.integers(0, len(FIRST_NAMES_F), n)
    mother_last = np.where(last2 >= 0, last2, rng.integers(0, len(SURNAMES), n))
    father_first = np.where(rng.random(n) < 0.85, rng.integers(0, len(FIRST_NAMES_M), n), -1)
    home = _draw_homes(rng, n, states)
    twin_group = np.full(n, -1, dtype=np.int64)
    leaders = _twin_leaders(rng, n)
    followers = leaders + 1
    for column in (last1, last2, suffix, birth_place, mother_first, mother_last, father_first):
        column[followers] = column[leaders]
    home[followers] = home[leaders]
    twin_group[leaders] = leaders
    twin_group[followers] = leaders
    # Twins never share a first name: shift the follower's name when it collides.
    same_sex = sex[followers] == sex[leaders]
    clash = same_sex & (first[followers] == first[leaders])
    first[followers[clash]] = (first[leaders[clash]] + 1) % n_names[followers[clash]]
    return Children(
        sex=sex,
        first=first,
        middle=middle,
        last1=last1,
        last2=last2,
        suffix=suffix,
        birth=np.zeros(n, dtype=np.int64),  # filled by draw_stays from the grade
        birth_place=birth_place,
        mother_first=mother_first,
        mother_last=mother_last,
        father_first=father_first,
        twin_group=twin_group,
        home=home,
    )


def _twin_leaders(rng: np.random.Generator, n: int) -> np.ndarray:
    """Even child indices that lead a twin pair (their follower is the next index)."""
    pairs = int(round(n * TWIN_SHARE / 2))
    if pairs == 0 or n < 4:
        return np.zeros(0, dtype=np.int64)
    slots = rng.choice(n // 2, size=min(pairs, n // 2), replace=False)
    return np.sort(slots * 2)


def _draw_homes(rng: np.random.Generator, n: int, states: list[str]) -> np.ndarray:
    """Home-base state per child: TX, FL or CA when in the run, otherwise any run state."""
    homes = [s for s in HOME_WEIGHTS if s in states]
    if not homes:
        return rng.integers(0, len(states), n)
    w = np.array([HOME_WEIGHTS[s] for s in homes])
    picks = rng.choice(len(homes), n, p=w / w.sum())
    return np.array([states.index(s) for s in homes])[picks]


def destinations(states: list[str]) -> list[np.ndarray]:
    """Per run state (by index): the run states its children go to along the streams."""
    out = []
    for home in states:
        dests = [states.index(d) for d in STREAMS.get(home, ()) if d in states]
        if not dests:
            dests = [i for i, s in enumerate(states) if s != home]
        out.append(np.array(dests or [states.index(home)], dtype=np.int64))
    return out


def kindergarten_year(birth: np.ndarray) -> np.ndarray:
    """The fall a child starts KG: born 2 Sep of Y to 1 Sep of Y+1 -> fall of Y+6."""
    y, m, d = cal.year_month_day(birth)
    after_cutoff = (m > 9) | ((m == 9) & (d >= 2))
    return np.where(after_cutoff, y, y - 1) + 6


def draw_stays(rng: np.random.Generator, kids: Children, states: list[str]) -> Stays:
    """Walk every child along the streams: home base, destinations, back home, intrastate moves."""
    n = kids.count
    draws = rng.random((8, n, MAX_STAYS))  # one matrix of uniforms per decision
    grade0 = rng.choice(13, n, p=GRADE_WEIGHTS / GRADE_WEIGHTS.sum())
    birth_offset = rng.integers(0, 365, n)
    together = kids.twin_group >= 0
    followers = np.flatnonzero(together & (kids.twin_group != np.arange(n)))
    moving = followers[rng.random(len(followers)) < TWINS_MOVING_TOGETHER]
    draws[:, moving, :] = draws[:, moving - 1, :]
    grade0[followers] = grade0[followers - 1]
    birth_offset[followers] = birth_offset[followers - 1]

    dests = destinations(states)
    n_dest = np.array([len(d) for d in dests])
    dest_table = np.full((len(states), n_dest.max()), -1)
    for i, d in enumerate(dests):
        dest_table[i, : len(d)] = d
    main_dest = dest_table[kids.home, (draws[0, :, 0] * n_dest[kids.home]).astype(np.int64)]

    first_qad = cal.day(cal.HISTORY_START)
    last_qad = cal.day(cal.LAST_STAMP) - 21
    qad = first_qad + (draws[1, :, 0] * (last_qad - 30 - first_qad)).astype(np.int64)
    at_home = draws[2, :, 0] < 0.72
    state = np.where(at_home, kids.home, main_dest)
    district = (draws[3, :, 0] * DISTRICTS_PER_STATE).astype(np.int64)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("state", "district", "qad", "type")}
    cols |= {"enrolled": [], "withdrawn": [], "alive": []}
    alive = np.ones(n, dtype=bool)
    for k in range(MAX_STAYS):
        u = draws[:, :, k]
        enrolled = qad + (u[4] * 6).astype(np.int64)
        _, month, _ = cal.year_month_day(qad)
        summer = ~at_home & (month >= 5) & (month <= 7)
        duration = np.where(at_home, 90 + u[5] * 180, 35 + u[5] * 105).astype(np.int64)
        duration = np.where(summer, np.minimum(duration, 70), duration)
        etype = np.where(summer, "03", np.where(u[6] < 0.06, "02", "01"))
        withdrawn = enrolled + duration
        alive = alive & (qad <= last_qad)
        for key, value in (("state", state), ("district", district), ("qad", qad)):
            cols[key].append(value.copy())
        cols["type"].append(etype)
        cols["enrolled"].append(enrolled)
        cols["withdrawn"].append(withdrawn)
        cols["alive"].append(alive.copy())
        # Next stay: where to, and when.
        qad = withdrawn + 2 + (u[7] * 20).astype(np.int64)
        intrastate = u[2] < 0.14
        other_dest = dest_table[kids.home, (u[3] * n_dest[kids.home]).astype(np.int64)]
        go_home = ~at_home & (u[0] < 0.7)
        new_state = np.where(at_home, np.where(u[1] < 0.88, main_dest, other_dest), other_dest)
        new_state = np.where(go_home, kids.home, new_state)
        new_state = np.where(intrastate, state, new_state)
        shift = 1 + (u[3] * (DISTRICTS_PER_STATE - 1)).astype(np.int64)
        district = np.where(
            new_state == state,
            (district + shift) % DISTRICTS_PER_STATE,
            (u[1] * DISTRICTS_PER_STATE).astype(np.int64),
        )
        at_home = np.where(intrastate, at_home, new_state == kids.home)
        state = new_state

    alive_m = np.stack(cols["alive"], axis=1)
    child, position = np.nonzero(alive_m)

    def take(key: str) -> np.ndarray:
        return np.stack(cols[key], axis=1)[child, position]

    enrolled = take("enrolled")
    withdrawn = take("withdrawn")
    is_last = np.append(child[1:] != child[:-1], True)
    withdrawn = np.where(is_last, -1, withdrawn)
    sy = cal.school_year_start(enrolled)
    sy0 = sy[np.append(True, child[1:] != child[:-1])]
    span = sy[np.append(child[1:] != child[:-1], True)] - sy0
    grade0 = np.minimum(grade0, 12 - span)  # nobody ages past grade 12 within the data
    grade0[followers] = grade0[followers - 1]
    kids.birth[:] = cal.from_ymd(sy0 - 6 - grade0, np.full(n, 9), np.full(n, 2)) + birth_offset
    kids.birth[followers] = kids.birth[followers - 1]
    grade = np.clip(sy - kindergarten_year(kids.birth)[child], 0, 12)
    return Stays(
        child=child,
        position=position,
        state=take("state"),
        district=take("district"),
        enrollment_type=take("type"),
        qad=take("qad"),
        enrolled=enrolled,
        withdrawn=withdrawn,
        grade=grade,
    )
