"""Training, kept apart from scoring: estimate the model's m and u values and write a new version.

Scheduled runs never train; they score with the newest committed `identity/model/model_vN.json`.

Method (unsupervised, so it works on any state's data):
* u values from random record pairs (almost all pairs are different children);
* m values by expectation maximisation in ONE session blocked on birth date (a second session
  can fail with "m_probability 0.0 is below the minimum", and on names alone EM latches on to
  families); the birth-date comparison keeps its documented prior m values (model.py);
* the prior (probability that two random records match) from deterministic rules.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from identity import model
from msix.logs import get_logger

log = get_logger("identity.train")

EM_BLOCKING_RULE = "l.dob = r.dob"
DETERMINISTIC_RULES = [
    "l.dob = r.dob and l.fn = r.fn and l.sn_key = r.sn_key",
    "l.echo_id = r.echo_id",
]
RECALL_OF_DETERMINISTIC_RULES = 0.7
MIN_M = 0.01
MIN_U = 1e-6


def _add_training_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A view with the extra blocking columns that EM uses and no comparison reads."""
    view = f"{table}_training"
    con.execute(
        f"create or replace view {view} as select *, substr(sn_key, 1, 2) as sn_initials, "
        f"substr(fn, 1, 1) as fn_initial from {table}"
    ).fetchall()
    return view


def _floor_values(trained: dict[str, Any]) -> dict[str, Any]:
    """Keep every level finite: an m value EM drove to zero gets a small floor (a level is never
    impossible for a true match), and a level never seen among random pairs is made neutral
    (u = m) rather than infinitely strong."""
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            if m is None or m < MIN_M:
                level["m_probability"] = m = MIN_M
            u = level.get("u_probability")
            if u is None or u < MIN_U:
                level["u_probability"] = m
    return trained


def train_model(
    con: duckdb.DuckDBPyConnection, features_table: str, seed: int = 42
) -> dict[str, Any]:
    """Estimate a model on the records in `features_table`; returns the trained settings."""
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(_add_training_columns(con, features_table))
    linker = Linker(frame, model.settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        DETERMINISTIC_RULES, recall=RECALL_OF_DETERMINISTIC_RULES
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        EM_BLOCKING_RULE, estimate_without_term_frequencies=True
    )
    trained = linker.misc.save_model_to_json(out_path=None, overwrite=True)
    return _floor_values(trained)


def write_model(trained: dict[str, Any], path: Path | None = None) -> Path:
    """Write the trained settings as the next version in identity/model/ (or `path`)."""
    target = path or model.next_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(trained, indent=2, sort_keys=True) + "\n")
    log.info("wrote identity model %s", target.name)
    return target
