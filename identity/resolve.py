"""The pipeline step: give every (state, state_student_id) a national ID.

`resolve(settings)` reads `intermediate.int_student_records_latest`, scores candidate pairs with
the committed model, clusters under the coordinators' decisions, assigns IDs against the
registry and writes `identity.*`. Incremental by default: only pairs that involve a new or
changed record (or a record whose cluster a decision re-opened) are scored; unchanged records
keep their clusters. `full=True` rescores everything, still keeping every ID already issued.
"""

from __future__ import annotations

import hashlib
import os
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
from identity.sql import MissingInput, run, scalar
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
    warehouse attached as `wh`. DuckDB's memory is capped (MSIX_IDENTITY_MEMORY, default 3GB;
    it spills beyond) and its threads follow MSIX_IDENTITY_THREADS when set."""
    con = duckdb.connect()
    run(con, "set preserve_insertion_order = false")
    run(con, f"set memory_limit = '{os.environ.get('MSIX_IDENTITY_MEMORY', '3GB')}'")
    threads = os.environ.get("MSIX_IDENTITY_THREADS")
    if threads:
        run(con, f"set threads = {int(threads)}")
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    run(con, f"attach '{settings.warehouse}' as {WH}")
    return con


def _mark_dirty(con: duckdb.DuckDBPyConnection, touched_ids: set[str], full: bool) -> int:
    """Add `record_hash` and `is_dirty` to the features; returns the number of dirty records.

    Dirty: new, changed since the last run (hash of the normalised fields), or in a cluster a
    decision re-opens; with `full`, everything."""
    hashed = " || '|' || ".join(f"coalesce(cast({c} as varchar), '')" for c in HASHED_COLUMNS)
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
                or p.msix_id in (select msix_id from __touched_ids) as is_dirty
        from hashed as h
        left join {WH}.identity.xwalk as p on p.record_key = h.unique_id
        """,
    )
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
            raise MissingInput(
                f"{INPUT_SCHEMA}.{INPUT_RELATION} is missing in {settings.warehouse}: "
                "run transform_staging (dbt) before resolve_identities"
            )
        store.ensure_schema(con, WH)
        previous = store.read_previous(con, WH)
        records = build_features(con, f"{WH}.{INPUT_SCHEMA}.{INPUT_RELATION}")

        active = _active_map(previous.national_ids)
        anchors = dict(
            zip(previous.national_ids["msix_id"], previous.national_ids["anchor_key"], strict=True)
        )
        prev_ids = {
            k: active.get(v, v)
            for k, v in con.execute(
                f"select record_key, msix_id from {WH}.identity.xwalk"
            ).fetchall()
        }
        full = full or not prev_ids
        members_of: dict[str, list[str]] = {}
        for key, msix_id in prev_ids.items():
            members_of.setdefault(msix_id, []).append(key)

        found = read_decisions(decisions_dir(settings.warehouse))
        for rejected in found.rejected:
            report.notes_.append(f"decision rejected: {rejected}")
        constraints = constraints_from(found.decisions, members_of, anchors, active)
        touched_ids = {prev_ids[k] for k in constraints.touched if k in prev_ids}
        _resolve_echoes(con, active)
        dirty = _mark_dirty(con, touched_ids, full)

        pairs = score_pairs(
            con,
            trained,
            lower=settings.match_lower,
            upper=settings.match_upper,
            dirty_only=not full,
        )
        components, links, refused = _cluster(con, prev_ids, constraints)
        claims = {k: v for k, v in prev_ids.items() if constraints.split_records.get(k) != v}
        assignment = assign_ids(
            components, claims, anchors, previous.national_ids["msix_id"].tolist()
        )

        national_ids = _new_national_ids(previous.national_ids, assignment, run_at)
        _register_assignment(con, assignment, constraints, national_ids)
        _build_xwalk(con, run_at, version)
        _build_near_matches(con, found.decisions, run_at)
        decisions = _decisions_frame(found.decisions, previous.decisions, run_at)
        events = _new_events(previous, assignment, constraints, found.decisions, prev_ids, run_at)

        run(con, "begin transaction")
        store.replace_from(con, WH, "xwalk", "new_xwalk")
        store.replace_table(con, WH, "national_ids", national_ids)
        store.replace_from(con, WH, "near_matches", "new_near_matches")
        store.replace_table(con, WH, "decisions", decisions)
        store.replace_table(con, WH, "id_events", events)
        counts = {
            "records": records,
            "dirty": dirty,
            "pairs_scored": pairs,
            "links": links,
            "links_refused": refused,
            "near_matches": int(
                scalar(con, "select count(*) from new_near_matches where status = 'undecided'")
            ),
            "ids_active": int((national_ids["status"] == "active").sum()),
            "ids_issued": len(assignment.new_ids),
            "ids_retired": len(assignment.merged),
            "decisions": len(found.decisions),
            "decisions_rejected": len(found.rejected),
            "echo_conflicts": int(
                scalar(con, "select count(*) from new_xwalk where echo_status = 'conflict'")
            ),
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


def _cluster(
    con: duckdb.DuckDBPyConnection, prev_ids: dict[str, str], constraints: Constraints
) -> tuple[list[list[str]], int, int]:
    """Cluster every record: decisions, unchanged clusters, then this run's scored links.

    Returns (components, number of links, number of links refused by a constraint)."""
    scored = con.execute(
        "select key_l, key_r, match_probability, category = 'link', twin_suspect from scored_pairs"
    ).fetchall()
    links = [(a, b, p) for a, b, p, is_link, _ in scored if is_link]
    twins = [(a, b) for a, b, _, _, twin in scored if twin]
    keys = con.execute("select unique_id, is_dirty from identity_features").fetchall()
    dirty_keys = {k for k, is_dirty in keys if is_dirty}
    fixed: dict[str, list[str]] = {}
    for key, msix_id in prev_ids.items():
        if key not in dirty_keys:
            fixed.setdefault(msix_id, []).append(key)
    components, refused = build_clusters(
        (k for k, _ in keys),
        constraints.must_links,
        fixed.values(),
        links,
        list(constraints.cannot_links) + twins,
        ((a, b) for a, b, *_ in scored),
    )
    return components, len(links), refused


def _register_assignment(
    con: duckdb.DuckDBPyConnection,
    assignment: Assignment,
    constraints: Constraints,
    national_ids: pd.DataFrame,
) -> None:
    """This run's result as small tables for the SQL that builds the crosswalk and worklist."""
    tables = {
        "assigned": pd.DataFrame(
            {
                "record_key": list(assignment.record_ids),
                "msix_id": list(assignment.record_ids.values()),
            }
        ),
        "split_keys": pd.DataFrame({"record_key": list(constraints.split_records)}, dtype="string"),
        "decided_keys": pd.DataFrame(
            {"record_key": sorted({k for pair in constraints.must_links for k in pair})},
            dtype="string",
        ),
        "anchor_keys": pd.DataFrame(
            {"record_key": list(assignment.new_ids.values())}, dtype="string"
        ),
        "registry": national_ids[["msix_id", "resolved_to"]],
    }
    for name, frame in tables.items():
        con.register("__frame", frame)
        run(con, f"create or replace temp table {name} as select * from __frame")
        con.unregister("__frame")


def _build_xwalk(con: duckdb.DuckDBPyConnection, run_at: datetime, version: str) -> None:
    """`new_xwalk`: one row per record with its ID, how and since when it has it, and whether the
    ID the state echoed agrees (`agrees`), names another child (`conflict`) or is unknown."""
    run(
        con,
        f"""
        create or replace temp table new_xwalk as
        select
            f.state,
            f.state_student_id,
            a.msix_id,
            case
                when p.msix_id = a.msix_id then p.match_method
                when f.unique_id in (select record_key from split_keys) then 'split'
                when f.unique_id in (select record_key from decided_keys) then 'decision'
                when f.unique_id in (select record_key from anchor_keys) then 'new'
                when p.msix_id is not null then 'merge'
                else 'probabilistic'
            end as match_method,
            case when p.msix_id = a.msix_id then p.assigned_at else ?::timestamp end
                as assigned_at,
            f.unique_id as record_key,
            f.record_hash,
            f.echo_id as echoed_msix_id,
            case
                when f.echo_id is null then null
                when coalesce(r.resolved_to, f.echo_id) = a.msix_id then 'agrees'
                when r.msix_id is not null then 'conflict'
                else 'unknown_id'
            end as echo_status,
            ? as model_version,
            case when f.is_dirty or p.scored_at is null then ?::timestamp else p.scored_at end
                as scored_at
        from identity_features as f
        join assigned as a on a.record_key = f.unique_id
        left join {WH}.identity.xwalk as p on p.record_key = f.unique_id
        left join registry as r on r.msix_id = f.echo_id
        """,
        [run_at, version, run_at],
    )


def _build_near_matches(
    con: duckdb.DuckDBPyConnection, decisions: list[Decision], run_at: datetime
) -> None:
    """`new_near_matches`, the worklist: candidate pairs that were not linked and still carry two
    different IDs. Pairs scored this run replace their earlier rows (first_seen kept); earlier
    pairs not rescored stay while their records still have different IDs. Decided pairs stay,
    marked `decided`, as history."""
    decided = sorted(_decided_pairs(decisions))
    con.register(
        "__decided",
        pd.DataFrame(
            {"key_l": [a for a, _ in decided], "key_r": [b for _, b in decided]}, dtype="string"
        ),
    )
    run(
        con,
        f"""
        create or replace temp table new_near_matches as
        with scored as (
            select
                least(key_l, key_r) as key_l,
                greatest(key_l, key_r) as key_r,
                match_probability, agreeing_fields, disagreeing_fields,
                twin_suspect, same_state, echo_conflict
            from scored_pairs
        ),
        fresh as (
            select
                substr(sha256(s.key_l || '|' || s.key_r), 1, 16) as pair_id,
                split_part(s.key_l, ':', 1) as state_l,
                substr(s.key_l, strpos(s.key_l, ':') + 1) as state_student_id_l,
                split_part(s.key_r, ':', 1) as state_r,
                substr(s.key_r, strpos(s.key_r, ':') + 1) as state_student_id_r,
                s.match_probability, s.agreeing_fields, s.disagreeing_fields,
                s.twin_suspect, s.same_state, s.echo_conflict,
                ?::timestamp as last_scored
            from scored as s
        ),
        kept as (
            select
                pair_id, state_l, state_student_id_l, state_r, state_student_id_r,
                match_probability, agreeing_fields, disagreeing_fields,
                twin_suspect, same_state, echo_conflict, last_scored
            from {WH}.identity.near_matches
            where pair_id not in (select pair_id from fresh)
        ),
        pairs as (select * from fresh union all by name select * from kept),
        with_ids as (
            select
                p.*,
                coalesce(old.first_seen, ?::timestamp) as first_seen,
                al.msix_id as msix_id_l,
                ar.msix_id as msix_id_r,
                case when d.key_l is null then 'undecided' else 'decided' end as status
            from pairs as p
            left join {WH}.identity.near_matches as old using (pair_id)
            left join assigned as al on al.record_key = p.state_l || ':' || p.state_student_id_l
            left join assigned as ar on ar.record_key = p.state_r || ':' || p.state_student_id_r
            left join __decided as d
                on d.key_l = p.state_l || ':' || p.state_student_id_l
                and d.key_r = p.state_r || ':' || p.state_student_id_r
        )
        select * from with_ids
        where msix_id_l is distinct from msix_id_r or status = 'decided'
        order by pair_id
        """,
        [run_at, run_at],
    )
    con.unregister("__decided")


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
