"""How each state records a child's identity: the hard cases of matching, applied per record.

Every state record of a child gets its own draw: surnames swapped, only one of them or
hyphenated; accents and case dropped; a nickname; first and middle swapped; a one-character
typo. The child's true identity lives in `population.Children`; these are its recordings.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from generator.population import Children
from generator.tables import (
    ALT_NICKNAMES,
    BIRTH_PLACES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    NICKNAMES,
    SUFFIXES,
    SURNAMES,
)

# Per-record probabilities of each recording habit.
P_NICKNAME = 0.10
P_SWAP_FIRST_MIDDLE = 0.04
P_TYPO = 0.03
P_STRIP_ACCENTS = 0.35
P_UPPER = 0.20
# Two-surname children: as given, swapped, only the first, hyphenated, both in last_name_1.
SURNAME_STYLES = np.array([0.50, 0.12, 0.18, 0.12, 0.08])
# Systems that store names upper-case without accents, whatever the clerk typed.
UPPER_ASCII_STATES = frozenset({"WA"})

TYPO_LETTERS = np.array(list("abcdefghilmnoprstuvz"), dtype=object)


def strip_accents(text: str) -> str:
    """`García` -> `Garcia`, `Muñoz` -> `Munoz`: what a system without accents keeps."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def true_first_names(kids: Children) -> np.ndarray:
    """Each child's true first name."""
    f = np.array(FIRST_NAMES_F, dtype=object)
    m = np.array(FIRST_NAMES_M, dtype=object)
    return np.where(kids.sex == 0, f[kids.first % len(f)], m[kids.first % len(m)])


def _pick(table: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    arr = np.array((*table, ""), dtype=object)
    return arr[np.where(index >= 0, index, len(table))]


def _given_names(kids: Children, child: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.array(FIRST_NAMES_F, dtype=object)
    m = np.array(FIRST_NAMES_M, dtype=object)
    female = kids.sex[child] == 0
    first = np.where(female, f[kids.first[child] % len(f)], m[kids.first[child] % len(m)])
    mid = kids.middle[child]
    middle = np.where(
        mid < 0,
        "",
        np.where(female, f[np.maximum(mid, 0) % len(f)], m[np.maximum(mid, 0) % len(m)]),
    )
    return first, middle


def recorded_identity(
    rng: np.random.Generator, kids: Children, child: np.ndarray, states: np.ndarray
) -> pd.DataFrame:
    """Student columns (as text) for each state record: one row per (child, state) recording."""
    n = len(child)
    u = rng.random((8, n))
    first, middle = _given_names(kids, child)
    nick = pd.Series(first).map(NICKNAMES).to_numpy(dtype=object)
    alt = pd.Series(first).map(ALT_NICKNAMES).to_numpy(dtype=object)
    nick = np.where(pd.notna(alt) & (u[7] < 0.5), alt, nick)
    use_nick = pd.notna(nick) & (u[0] < P_NICKNAME)
    first = np.where(use_nick, nick, first)
    swap = (middle != "") & (u[1] < P_SWAP_FIRST_MIDDLE)
    first, middle = np.where(swap, middle, first), np.where(swap, first, middle)

    l1 = _pick(SURNAMES, kids.last1[child])
    l2 = _pick(SURNAMES, kids.last2[child])
    style = np.searchsorted(np.cumsum(SURNAME_STYLES), u[2] * SURNAME_STYLES.sum(), side="right")
    style = np.where(l2 == "", 0, style)
    last1 = np.select(
        [style == 1, style == 3, style == 4], [l2, l1 + "-" + l2, l1 + " " + l2], default=l1
    )
    last2 = np.where((style == 0), l2, np.where(style == 1, l1, ""))

    place = np.array(BIRTH_PLACES, dtype=object)[kids.birth_place[child]]
    twin = kids.twin_group[child] >= 0
    multiple = np.where(u[3] < 0.15, "", np.where(twin, "Y", "N"))
    frame = pd.DataFrame(
        {
            "first_name": first,
            "middle_name": middle,
            "last_name_1": last1,
            "last_name_2": last2,
            "suffix": _pick(SUFFIXES, kids.suffix[child]),
            "multiple_birth": multiple,
            "birth_city": np.where(u[4] < 0.2, "", place[:, 1]),
            "birth_state": np.where(u[4] < 0.3, "", place[:, 2]),
            "birth_country": np.where(u[4] < 0.1, "", place[:, 0]),
            "parent1_first_name": _pick(FIRST_NAMES_F, kids.mother_first[child]),
            "parent1_last_name": _pick(SURNAMES, kids.mother_last[child]),
            "parent2_first_name": _pick(FIRST_NAMES_M, kids.father_first[child]),
            "parent2_last_name": np.where(kids.father_first[child] >= 0, l1, ""),
        }
    )
    _apply_typos(rng, frame, u[5] < P_TYPO)
    legacy = np.isin(states, list(UPPER_ASCII_STATES))
    strip = (u[6] < P_STRIP_ACCENTS) | legacy
    upper = (u[6] > 1 - P_UPPER) | legacy
    for column in frame.columns:
        if column in ("multiple_birth", "birth_country", "suffix"):
            continue
        values = frame[column]
        uniques = pd.unique(values)
        ascii_map = {v: strip_accents(v) for v in uniques}
        values = values.where(~strip, values.map(ascii_map))
        frame[column] = values.where(~upper, values.str.upper()).astype("str")
    return frame


def _apply_typos(rng: np.random.Generator, frame: pd.DataFrame, chosen: np.ndarray) -> None:
    """One-character edits (substitute, drop, transpose) in first or last name of chosen rows."""
    rows = np.flatnonzero(chosen)
    kinds = rng.integers(0, 3, len(rows))
    where = rng.random(len(rows))
    letters = TYPO_LETTERS[rng.integers(0, len(TYPO_LETTERS), len(rows))]
    columns = np.where(rng.random(len(rows)) < 0.5, "first_name", "last_name_1")
    for column in ("first_name", "last_name_1"):
        mine = columns == column
        values = frame[column].to_numpy(dtype=object).copy()
        for row, kind, pos, letter in zip(
            rows[mine], kinds[mine], where[mine], letters[mine], strict=True
        ):
            values[row] = typo(values[row], int(kind), float(pos), str(letter))
        frame[column] = values


def typo(text: str, kind: int, where: float, letter: str) -> str:
    """One edit of `text`: 0 substitute, 1 drop, 2 transpose a character (never the first)."""
    if len(text) < 4:
        return text
    i = 1 + int(where * (len(text) - 2))
    if kind == 0:
        replacement = letter if text[i].lower() != letter else "x"
        return text[:i] + replacement + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
