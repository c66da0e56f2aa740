"""The pipeline step: give every (state, state_student_id) a national ID.

`resolve(settings)` reads `intermediate.int_student_records_latest`, scores candidate pairs with
the committed model, clusters under the coordinators' decisions, assigns IDs against the
registry and writes `identity.*`. Incremental by default: only pairs that involve a new or
changed record (or a record whose cluster a decision re-opened) are scored; unchanged records
keep their clusters. `full=True` rescores everything, still keeping every ID already issued.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from identity import model, store
from identity.cluster import build_clusters, pair_key
from identity.decisions import (
    Constraints,
    Decision,
    constraints_from,
    decisions_dir,
    read_decisions,
)
from identity.features import build_features
from identity.registry import Assignment, assign_ids, resolve_chain
from identity.score import score_pairs
from identity.sql import run, scalar
from msix.db import relation_exists
from msix.logs import get_logger
from msix.settings import Settings

log = get_logger("identity.resolve")

INPUT_SCHEMA = "intermediate"
INPUT_RELATION = "int_student_records_latest"
WH = "wh"  # the warehouse, attached to the in-memory working database
HASHED_COLUMNS = (
    "fn", "mn", "sn_key", "sn_joined", "sex", "dob", "is_multiple_birth", "birth_city",
    "birth_country", "parent_tokens", "echo_id", "is_deleted",
)  # fmt: skip


@dataclass
class IdentityReport:
    """What one resolution run did: counts and notes only (no values from student rows)."""

    counts_: dict[str, int] = field(default_factory=dict)
    notes_: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(self.counts_)

    def notes(self) -> list[str]:
        return list(self.notes_)


def _open(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory working database (Splink's scratch tables stay out of the warehouse) with the
    warehouse attached as `wh`."""
    con = duckdb.connect()
    run(con, "set preserve_insertion_order = false")
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    run(con, f"attach '{settings.warehouse}' as {WH}")
    return con


def _mark_dirty(
    con: duckdb.DuckDBPyConnection, previous: pd.DataFrame, touched_ids: set[str], full: bool
) -> int:
    """Add `record_hash` and `is_dirty` to the features; returns the number of dirty records."""
    hashed = " || '|' || ".join(f"coalesce(cast({c} as varchar), '')" for c in HASHED_COLUMNS)
    prev = previous[["record_key", "record_hash", "msix_id"]].rename(columns={"msix_id": "prev_id"})
    con.register("__prev_xwalk", prev)
    con.register("__touched_ids", pd.DataFrame({"msix_id": sorted(touched_ids)}, dtype="string"))
    run(
        con,
        f"""
        create or replace table identity_features as
        with hashed as (select f.*, md5({hashed}) as record_hash from identity_features as f)
        select
            h.*,
            {"true" if full else "false"}
                or p.record_key is null
                or p.record_hash is distinct from h.record_hash
                or p.prev_id in (select msix_id from __touched_ids) as is_dirty
        from hashed as h
        left join __prev_xwalk as p on p.record_key = h.unique_id
        """,
    )
    con.unregister("__prev_xwalk")
    con.unregister("__touched_ids")
    return int(scalar(con, "select count(*) from identity_features where is_dirty"))


def _resolve_echoes(con: duckdb.DuckDBPyConnection, active: dict[str, str]) -> None:
    """Echoed IDs that were retired by a merge are compared as the ID they now mean."""
    retired = {k: v for k, v in active.items() if k != v}
    if not retired:
        return
    con.register("__retired", pd.DataFrame({"old": list(retired), "new": list(retired.values())}))
    run(
        con,
        "update identity_features set echo_id = r.new from __retired as r "
        "where identity_features.echo_id = r.old",
    )
    con.unregister("__retired")


def _active_map(national_ids: pd.DataFrame) -> dict[str, str]:
    """Every ID ever issued -> the active ID it now means."""
    merged = dict(zip(national_ids["msix_id"], national_ids["merged_into"], strict=True))
    merged = {k: (v if isinstance(v, str) else None) for k, v in merged.items()}
    return {k: resolve_chain(merged, k) for k in merged}


def _pair_id(a: str, b: str) -> str:
    low, high = pair_key(a, b)
    return hashlib.sha256(f"{low}|{high}".encode()).hexdigest()[:16]


def _split_key(key: str) -> tuple[str, str]:
    state, ssid = key.split(":", 1)
    return state, ssid


def resolve(
    settings: Settings, run_date: datetime | None = None, *, full: bool = False
) -> IdentityReport:
    """Assign national IDs for every record of the input relation; see the module docstring."""
    run_at = (run_date or datetime.now(UTC)).replace(tzinfo=None)
    model_path = model.latest_model_path()
    trained = model.load_model(model_path)
    version = model.model_version(model_path)
    report = IdentityReport()
    con = _open(settings)
    try:
        if not relation_exists(con, INPUT_SCHEMA, INPUT_RELATION):
            raise RuntimeError(
                f"{INPUT_SCHEMA}.{INPUT_RELATION} is missing in {settings.warehouse}: "
                "run transform_staging (dbt) before resolve_identities"
            )
        store.ensure_schema(con, WH)
        previous = store.read_previous(con, WH)
        records = build_features(con, f"{WH}.{INPUT_SCHEMA}.{INPUT_RELATION}")
        full = full or previous.xwalk.empty

        active = _active_map(previous.national_ids)
        anchors = dict(
            zip(previous.national_ids["msix_id"], previous.national_ids["anchor_key"], strict=True)
        )
        prev_ids = {
            k: active.get(v, v)
            for k, v in zip(previous.xwalk["record_key"], previous.xwalk["msix_id"], strict=True)
        }
        members_of: dict[str, list[str]] = {}
        for key, msix_id in prev_ids.items():
            members_of.setdefault(msix_id, []).append(key)

        found = read_decisions(decisions_dir(settings.warehouse))
        for rejected in found.rejected:
            report.notes_.append(f"decision rejected: {rejected}")
        constraints = constraints_from(found.decisions, members_of, anchors, active)
        touched_ids = {prev_ids[k] for k in constraints.touched if k in prev_ids}
        _resolve_echoes(con, active)
        dirty = _mark_dirty(con, previous.xwalk, touched_ids, full)

        pairs = score_pairs(
            con,
            trained,
            lower=settings.match_lower,
            upper=settings.match_upper,
            dirty_only=not full,
        )
        scored = con.execute(
            "select key_l, key_r, match_probability, category, twin_suspect from scored_pairs"
        ).df()
        links = scored[scored["category"] == "link"]
        twins = scored[scored["twin_suspect"]]
        keys = con.execute("select unique_id, is_dirty from identity_features").df()
        dirty_keys = set(keys.loc[keys["is_dirty"], "unique_id"])
        fixed: dict[str, list[str]] = {}
        for key, msix_id in prev_ids.items():
            if key not in dirty_keys:
                fixed.setdefault(msix_id, []).append(key)

        components, refused = build_clusters(
            keys["unique_id"],
            constraints.must_links,
            fixed.values(),
            zip(links["key_l"], links["key_r"], links["match_probability"], strict=True),
            list(constraints.cannot_links) + list(zip(twins["key_l"], twins["key_r"], strict=True)),
            zip(scored["key_l"], scored["key_r"], strict=True),
        )
        claims = {k: v for k, v in prev_ids.items() if constraints.split_records.get(k) != v}
        assignment = assign_ids(
            components, claims, anchors, previous.national_ids["msix_id"].tolist()
        )

        xwalk = _new_xwalk(con, previous.xwalk, prev_ids, assignment, constraints, run_at, version)
        national_ids = _new_national_ids(previous.national_ids, assignment, run_at)
        near = _new_near_matches(
            con, previous.near_matches, assignment.record_ids, found.decisions, run_at
        )
        decisions = _decisions_frame(found.decisions, previous.decisions, run_at)
        events = _new_events(previous, assignment, constraints, found.decisions, prev_ids, run_at)

        run(con, "begin transaction")
        store.replace_table(con, WH, "xwalk", xwalk)
        store.replace_table(con, WH, "national_ids", national_ids)
        store.replace_table(con, WH, "near_matches", near)
        store.replace_table(con, WH, "decisions", decisions)
        store.replace_table(con, WH, "id_events", events)
        counts = {
            "records": records,
            "dirty": dirty,
            "pairs_scored": pairs,
            "links": len(links),
            "links_refused": refused,
            "near_matches": int((near["status"] == "undecided").sum()),
            "ids_active": int((national_ids["status"] == "active").sum()),
            "ids_issued": len(assignment.new_ids),
            "ids_retired": len(assignment.merged),
            "decisions": len(found.decisions),
            "decisions_rejected": len(found.rejected),
            "echo_conflicts": int((xwalk["echo_status"] == "conflict").sum()),
        }
        runs = pd.DataFrame(
            [
                {
                    "run_at": run_at,
                    "mode": "full" if full else "incremental",
                    "model_version": version,
                    **{k: counts[k] for k in ("records", "dirty", "pairs_scored", "links")},
                    "near_matches": counts["near_matches"],
                    "ids_issued": counts["ids_issued"],
                    "ids_retired": counts["ids_retired"],
                }
            ]
        )
        _append(con, "runs", runs)
        run(con, "commit")
        report.counts_.update(counts)
        report.notes_.append(f"model {version}, {'full' if full else 'incremental'} run")
        log.info("identity: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    finally:
        con.close()
    return report


def _append(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("__append_frame", frame)
    try:
        cols = ", ".join(frame.columns)
        run(
            con,
            f"insert into {WH}.{store.SCHEMA}.{name} ({cols}) select {cols} from __append_frame",
        )
    finally:
        con.unregister("__append_frame")


def _new_xwalk(
    con: duckdb.DuckDBPyConnection,
    previous: pd.DataFrame,
    prev_ids: dict[str, str],
    assignment: Assignment,
    constraints: Constraints,
    run_at: datetime,
    version: str,
) -> pd.DataFrame:
    """One row per record: its ID, how it got it, since when, and its echoed-ID status."""
    feats = con.execute(
        "select unique_id, state, state_student_id, record_hash, echo_id, is_dirty "
        "from identity_features"
    ).df()
    prev = previous.set_index("record_key")
    must = {k for pair in constraints.must_links for k in pair}
    anchors = set(assignment.new_ids.values())
    issued_or_active = set(assignment.record_ids.values()) | set(prev_ids.values())
    ids, methods, assigned, echo_status, scored_at = [], [], [], [], []
    for key, echo, is_dirty in zip(
        feats["unique_id"], feats["echo_id"], feats["is_dirty"], strict=True
    ):
        msix_id = assignment.record_ids[key]
        ids.append(msix_id)
        kept = prev_ids.get(key) == msix_id
        if kept and key in prev.index:
            methods.append(prev.at[key, "match_method"])
            assigned.append(prev.at[key, "assigned_at"])
        else:
            if key in constraints.split_records:
                methods.append("split")
            elif key in must:
                methods.append("decision")
            elif key in anchors:
                methods.append("new")
            elif key in prev_ids:
                methods.append("merge")
            else:
                methods.append("probabilistic")
            assigned.append(run_at)
        if not isinstance(echo, str):
            echo_status.append(None)
        elif echo == msix_id or assignment.merged.get(echo) == msix_id:
            echo_status.append("agrees")
        elif echo in issued_or_active:
            echo_status.append("conflict")
        else:
            echo_status.append("unknown_id")
        scored_at.append(
            run_at if is_dirty else (prev.at[key, "scored_at"] if key in prev.index else run_at)
        )
    return pd.DataFrame(
        {
            "state": feats["state"],
            "state_student_id": feats["state_student_id"],
            "msix_id": ids,
            "match_method": methods,
            "assigned_at": assigned,
            "record_key": feats["unique_id"],
            "record_hash": feats["record_hash"],
            "echoed_msix_id": feats["echo_id"],
            "echo_status": echo_status,
            "model_version": version,
            "scored_at": scored_at,
        }
    )


def _new_national_ids(
    previous: pd.DataFrame, assignment: Assignment, run_at: datetime
) -> pd.DataFrame:
    """The registry: every ID ever issued, with retirements and where each ID now resolves."""
    new = pd.DataFrame(
        {
            "msix_id": list(assignment.new_ids),
            "status": "active",
            "merged_into": None,
            "issued_at": run_at,
            "retired_at": None,
            "anchor_key": list(assignment.new_ids.values()),
        }
    )
    frame = pd.concat([previous.drop(columns=["resolved_to"]), new], ignore_index=True)
    retired = frame["msix_id"].isin(list(assignment.merged))
    frame.loc[retired, "status"] = "retired"
    frame.loc[retired, "merged_into"] = frame.loc[retired, "msix_id"].map(assignment.merged)
    frame.loc[retired & frame["retired_at"].isna(), "retired_at"] = run_at
    merged = {
        k: (v if isinstance(v, str) else None)
        for k, v in zip(frame["msix_id"], frame["merged_into"], strict=True)
    }
    frame["resolved_to"] = [resolve_chain(merged, k) for k in frame["msix_id"]]
    return frame


def _decided_pairs(decisions: list[Decision]) -> set[tuple[str, str]]:
    return {
        pair_key(d.key_l, d.key_r)
        for d in decisions
        if d.decision in ("same", "different") and d.key_l and d.key_r
    }


def _new_near_matches(
    con: duckdb.DuckDBPyConnection,
    previous: pd.DataFrame,
    record_ids: dict[str, str],
    decisions: list[Decision],
    run_at: datetime,
) -> pd.DataFrame:
    """The worklist: candidate pairs that were not linked and still carry two different IDs.

    Pairs scored this run replace their earlier rows (first_seen kept); earlier pairs not
    rescored stay while their records still have different IDs. Decided pairs stay, marked
    `decided`, as history.
    """
    scored = con.execute(
        "select key_l, key_r, match_probability, agreeing_fields, disagreeing_fields, "
        "twin_suspect, same_state, echo_conflict from scored_pairs"
    ).df()
    scored["pair_id"] = [
        _pair_id(a, b) for a, b in zip(scored["key_l"], scored["key_r"], strict=True)
    ]
    scored["last_scored"] = run_at
    first_seen = dict(zip(previous["pair_id"], previous["first_seen"], strict=True))
    scored["first_seen"] = [first_seen.get(p, run_at) for p in scored["pair_id"]]
    for side in ("l", "r"):
        parts = [_split_key(k) for k in scored[f"key_{side}"]]
        scored[f"state_{side}"] = [p[0] for p in parts]
        scored[f"state_student_id_{side}"] = [p[1] for p in parts]
    kept_previous = previous[~previous["pair_id"].isin(scored["pair_id"])]
    frame = pd.concat([kept_previous, scored.drop(columns=["key_l", "key_r"])], ignore_index=True)
    key_l = frame["state_l"] + ":" + frame["state_student_id_l"]
    key_r = frame["state_r"] + ":" + frame["state_student_id_r"]
    frame["msix_id_l"] = key_l.map(record_ids)
    frame["msix_id_r"] = key_r.map(record_ids)
    decided = _decided_pairs(decisions)
    frame["status"] = [
        "decided" if pair_key(a, b) in decided else "undecided"
        for a, b in zip(key_l, key_r, strict=True)
    ]
    keep = (frame["msix_id_l"] != frame["msix_id_r"]) | (frame["status"] == "decided")
    return frame[keep].sort_values("pair_id").reset_index(drop=True)


def _decisions_frame(
    decisions: list[Decision], previous: pd.DataFrame, run_at: datetime
) -> pd.DataFrame:
    """Every decision read this run, with when it was first loaded."""
    first = dict(zip(previous["decision_id"], previous["first_loaded_at"], strict=True))
    rows = []
    for d in decisions:
        state_l, ssid_l = _split_key(d.key_l) if d.key_l else (None, None)
        state_r, ssid_r = _split_key(d.key_r) if d.key_r else (None, None)
        rows.append(
            {
                "decision_id": d.decision_id,
                "decision": d.decision,
                "state_l": state_l,
                "state_student_id_l": ssid_l,
                "state_r": state_r,
                "state_student_id_r": ssid_r,
                "msix_id_l": d.msix_id_l,
                "msix_id_r": d.msix_id_r,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at,
                "reason": d.reason,
                "source": d.source,
                "first_loaded_at": first.get(d.decision_id, run_at),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[c.split()[0] for c in " ".join(store.TABLES["decisions"].split()).split(", ")],
    )


def _new_events(
    previous: store.PreviousState,
    assignment: Assignment,
    constraints: Constraints,
    decisions: list[Decision],
    prev_ids: dict[str, str],
    run_at: datetime,
) -> pd.DataFrame:
    """The audit trail: previous events plus this run's issues, merges, splits and decisions."""
    rows = []
    known = set(previous.decisions["decision_id"])
    for d in decisions:
        if d.decision_id not in known:
            state, ssid = _split_key(d.key_l) if d.key_l else (None, None)
            rows.append(
                ("decision", d.msix_id_l, d.msix_id_r, state, ssid, d.decision_id, d.decision)
            )
    for msix_id, anchor in sorted(assignment.new_ids.items()):
        state, ssid = _split_key(anchor)
        rows.append(("issued", msix_id, None, state, ssid, None, None))
    for retired, survivor in sorted(assignment.merged.items()):
        rows.append(("merged", retired, survivor, None, None, None, "retired into survivor"))
    for key, left in sorted(constraints.split_records.items()):
        now = assignment.record_ids.get(key)
        if prev_ids.get(key) == left and now != left:
            state, ssid = _split_key(key)
            rows.append(("split", now, left, state, ssid, None, "record split off"))
    frame = pd.DataFrame(
        rows,
        columns=[
            "event",
            "msix_id",
            "other_msix_id",
            "state",
            "state_student_id",
            "decision_id",
            "detail",
        ],
    )
    frame["event_at"] = run_at
    frame["event_id"] = [
        hashlib.sha256(f"{run_at.isoformat()}|{i}|{r}".encode()).hexdigest()[:16]
        for i, r in enumerate(rows)
    ]
    return pd.concat([previous.events, frame], ignore_index=True)
