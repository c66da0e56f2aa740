"""Ground truth: which records are one child, the children, their true moves and credits.

Built from the true world (`population`) and, for credits, from the course rows the states
finally hold (after plants, deltas and retractions), so a warehouse that consolidates
correctly reproduces `credits.csv` exactly. Formats are documented in docs/generator.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from generator import calendar as cal
from generator.population import Children
from generator.records import World, district_ids
from generator.submissions import credits_text
from generator.tables import SURNAMES
from generator.text import arrow
from generator.variants import true_first_names


def child_ids(n: int) -> pd.Series:
    """`C0000001`, … : the truth's child identifiers (index + 1, zero-padded)."""
    return "C" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(7)


def records_truth(world: World, ids: pd.Series) -> pd.DataFrame:
    """One row per state record: child_id, state, state_student_id, retracted (Y/N)."""
    r = world.records
    return pd.DataFrame(
        {
            "child_id": ids.to_numpy()[r["child"].to_numpy()],
            "state": r["state"].astype("str"),
            "state_student_id": r["state_student_id"].astype("str"),
            "retracted": np.where(r["retract_day"].to_numpy() >= 0, "Y", "N"),
        }
    )


def children_truth(kids: Children, world: World, ids: pd.Series) -> pd.DataFrame:
    """One row per child: true identity, twin group and whether secondary at the last stay."""
    stays = world.stays
    last = np.append(stays.child[1:] != stays.child[:-1], True)
    secondary = np.zeros(kids.count, dtype=bool)
    secondary[stays.child[last]] = stays.grade[last] >= 9
    twin = kids.twin_group >= 0
    group = pd.Series(np.where(twin, "T" + ids.to_numpy()[np.maximum(kids.twin_group, 0)], ""))
    surnames = np.array((*SURNAMES, ""), dtype=object)
    return pd.DataFrame(
        {
            "child_id": ids,
            "sex": np.where(kids.sex == 0, "F", "M"),
            "birth_date": cal.iso(kids.birth),
            "multiple_birth": np.where(twin, "Y", "N"),
            "twin_group": group,
            "is_secondary": np.where(secondary, "Y", "N"),
            "first_name": true_first_names(kids),
            "last_name_1": surnames[kids.last1],
            "last_name_2": surnames[np.where(kids.last2 >= 0, kids.last2, len(SURNAMES))],
            "home_state": np.array(world.states, dtype=object)[kids.home],
            "states": _states_per_child(world, kids.count),
        }
    )


def _states_per_child(world: World, n: int) -> np.ndarray:
    """The child's true states, `|`-joined in first-visit order."""
    stays = world.stays
    code = np.array(world.states, dtype=object)[stays.state]
    frame = pd.DataFrame({"child": stays.child, "state": code}).drop_duplicates()
    counts = np.bincount(frame["child"].to_numpy(), minlength=n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    lists = pa.ListArray.from_arrays(offsets, arrow(frame["state"]))
    return pc.binary_join(lists, pa.scalar("|", pa.large_string())).to_numpy(zero_copy_only=False)


def moves_truth(world: World, ids: pd.Series) -> pd.DataFrame:
    """Every true move between consecutive stays (interstate and intrastate district changes)."""
    s = world.stays
    nxt = np.flatnonzero(np.append(s.child[1:] == s.child[:-1], False))
    to = nxt + 1
    code = np.array(world.states, dtype=object)
    districts = district_ids(world.states, s.state, s.district).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "child_id": ids.to_numpy()[s.child[nxt]],
            "from_state": code[s.state[nxt]],
            "to_state": code[s.state[to]],
            "departure_date": cal.iso(s.withdrawn[nxt]),
            "arrival_date": cal.iso(s.qad[to]),
            "is_interstate": np.where(s.state[nxt] != s.state[to], "Y", "N"),
            "enrollment_date": cal.iso(s.enrolled[to]),
            "from_district_id": districts[nxt],
            "to_district_id": districts[to],
        }
    )


def credits_truth(
    kids: Children, world: World, ids: pd.Series, secondary: pd.Series
) -> pd.DataFrame:
    """Per secondary child: credits granted over current course rows, and courses in progress."""
    courses = world.courses
    retracted = world.records["retract_day"].to_numpy() >= 0
    current = courses[~retracted[courses["rec"].to_numpy()]]
    child = world.records["child"].to_numpy()[current["rec"].to_numpy()]
    granted = np.zeros(kids.count, dtype=np.int64)
    np.add.at(granted, child, np.maximum(current["credits_granted"].to_numpy(), 0))
    in_progress = np.zeros(kids.count, dtype=np.int64)
    np.add.at(in_progress, child, (current["in_progress"].to_numpy() == "Y").astype(np.int64))
    keep = (secondary == "Y").to_numpy()
    return pd.DataFrame(
        {
            "child_id": ids[keep].to_numpy(),
            "credits_granted_total": credits_text(granted[keep]).to_numpy(),
            "credits_in_progress": pd.Series(in_progress[keep]).astype(str).to_numpy(),
        }
    )
