"""`generate`: write synthetic state submissions and their ground truth (`msix generate`).

Layout: `<out>/landing/<ST>/` holds the submissions (input contract), `<out>/truth/` the truth
files (docs/generator.md). Both folders are replaced on every run. Same seed, same bytes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from generator.formats import csv_bytes, write_state
from generator.planted import plant_all
from generator.population import draw_children, draw_stays
from generator.records import build_world
from generator.submissions import cut_submissions
from generator.truth import (
    child_ids,
    children_truth,
    credits_truth,
    moves_truth,
    records_truth,
)
from loaders.contract import STATES
from loaders.layouts import load_layout
from msix.paths import LAYOUTS_DIR

DEFAULT_STATES: tuple[str, ...] = ("TX", "FL", "CA", "MI", "NC", "WA", "OH")
XML_STATES = frozenset({"TX", "FL"})


def resolve_states(states: list[str] | None) -> list[str]:
    """The run's states: the given ones (upper-cased, de-duplicated, checked) or the defaults."""
    if not states:
        return list(DEFAULT_STATES)
    chosen = list(dict.fromkeys(s.strip().upper() for s in states))
    unknown = [s for s in chosen if s not in STATES]
    if unknown:
        raise ValueError(f"unknown state code(s): {', '.join(unknown)}")
    return chosen


def generate(out: Path, children: int, seed: int, states: list[str] | None = None) -> str:
    """Write submissions and truth for `children` children; a one-line summary (counts only)."""
    if children < 1:
        raise ValueError("children must be at least 1")
    run_states = resolve_states(states)
    out = Path(out)
    rng = np.random.default_rng(seed)
    kids = draw_children(rng, children, run_states)
    stays = draw_stays(rng, kids, run_states)
    world = build_world(rng, kids, stays, run_states)
    planted = plant_all(rng, world, children)

    landing, truth_dir = out / "landing", out / "truth"
    for folder in (landing, truth_dir):
        if folder.exists():
            shutil.rmtree(folder)
    truth_dir.mkdir(parents=True)
    layouts = {st: load_layout(st, LAYOUTS_DIR) for st in run_states}
    log = []
    n_files = 0
    for cut in cut_submissions(rng, world):
        xml = cut.state in XML_STATES
        for sub, paths in write_state(landing / cut.state, cut, layouts[cut.state], xml):
            arrival = sub.arrival_day * 86400
            for path in paths:
                os.utime(path, (arrival, arrival))
            n_files += len(paths)
            log.append(
                {
                    "state": sub.state,
                    "stamp": sub.stamp,
                    "kind": sub.kind,
                    "arrival_day": sub.arrival_day,
                    "students": str(len(range(*cut.rows("students", sub.k).indices(10**12)))),
                    "files": "|".join(p.name for p in paths),
                }
            )

    ids = child_ids(children)
    kids_truth = children_truth(kids, world, ids)
    tables = {
        "records": records_truth(world, ids),
        "children": kids_truth,
        "moves": moves_truth(world, ids),
        "credits": credits_truth(kids, world, ids, kids_truth["is_secondary"]),
        "planted_issues": planted,
        "submissions": _submission_log(log),
    }
    for name, table in tables.items():
        (truth_dir / f"{name}.csv").write_bytes(csv_bytes(table.astype("str")))
    twins = int((kids.twin_group >= 0).sum())
    return (
        f"generated {children} children ({twins} twins) in {len(run_states)} states "
        f"({', '.join(run_states)}): {len(world.records)} state records, {n_files} files, "
        f"{len(tables['moves'])} true moves, {len(planted)} planted issues -> {out}"
    )


def _submission_log(log: list[dict[str, object]]) -> pd.DataFrame:
    """truth/submissions.csv: every submission with its kind and arrival order per state."""
    frame = pd.DataFrame(log)
    frame["arrival_order"] = (
        frame.groupby("state")["arrival_day"].rank(method="first").astype(int).astype(str)
    )
    return frame.drop(columns=["arrival_day"])[
        ["state", "stamp", "kind", "arrival_order", "students", "files"]
    ]
