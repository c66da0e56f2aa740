"""The pipeline step: give every (state, state_student_id) a national ID.

`resolve(settings)` reads `intermediate.int_student_records_latest`, scores candidate pairs with
the committed model, clusters under the coordinators' decisions, assigns IDs against the
registry and writes `identity.*`. Incremental by default: only records whose input changed (a
new stamp alone is no change) are normalised (identity/feature_cache.py) and hashed, only pairs
that involve a new or changed record (or a record whose cluster a decision re-opened) are
scored, and only the affected part of the registry (identity/scope.py) is re-clustered and
rewritten, row by row, so a run costs what changed; every other record keeps its ID and its
rows untouched. A run whose inputs are those of a settled last run only records itself
(identity/fingerprint.py). `full=True` renormalises and rescores everything, still keeping
every ID already issued.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from identity import feature_cache, fingerprint, model, store
from identity.cluster import build_clusters, pair_key
from identity.decisions import (
    Constraints,
    Decision,
    DecisionSet,
    constraints_from,
    decisions_dir,
    read_decisions,
)
from identity.registry import Assignment, assign_ids
from identity.scope import (
    FEATURES,
    IssuedIds,
    Scope,
    active_ids_of,
    affected,
    members_of,
    register_keys,
    registry_of,
)
from identity.score import (
    NEIGHBOURHOOD,
    blocking_columns,
    dirty_neighbourhood,
    no_pairs,
    score_pairs,
    tf_columns,
)
from identity.sql import MissingInput, run, scalar
from msix.db import relation_exists
from msix.logs import get_logger
from msix.settings import Settings

log = get_logger("identity.resolve")

INPUT_SCHEMA = "intermediate"
INPUT_RELATION = "int_student_records_latest"
WH = "wh"  # the warehouse, attached to the in-memory working database
LOADED = "loaded_features"  # every record's features (feature_cache.load)
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


# Cached records whose crosswalk hash is checked against a fresh one on every incremental run.
HASH_CHECK_ROWS = 2048
RETIRED = (
    f"(select msix_id, resolved_to from {WH}.identity.national_ids where resolved_to <> msix_id)"
)


def _record_hash_sql() -> str:
    """The record hash: md5 of the normalised fields (HASHED_COLUMNS)."""
    hashed = " || '|' || ".join(f"coalesce(cast({c} as varchar), '')" for c in HASHED_COLUMNS)
    return f"md5({hashed})"


def _working_columns(trained: dict[str, Any]) -> list[str] | None:
    """The columns an incremental run needs of every record: key, state, echoed ID, the blocking
    keys and the term-frequency columns (Splink gets the full rows of the dirty records'
    neighbourhood only). None when a blocking rule is not a plain key equality: the run then
    scores, and so keeps, the full rows of every record."""
    keys = [blocking_columns(rule) for rule in model.BLOCKING_RULES]
    columns = ["unique_id", "state", "state_student_id", "echo_id"]
    for column in [c for k in keys for c in k or []] + tf_columns(trained):
        if column not in columns:
            columns.append(column)
    return None if any(k is None for k in keys) else columns


def _mark_dirty(
    con: duckdb.DuckDBPyConnection, touched_ids: set[str], columns: list[str] | None, full: bool
) -> tuple[int, int]:
    """Create the working features (`columns` of every record of the view LOADED, all of them
    when None) with echoed IDs retired by a merge compared as the ID they now mean, plus
    `record_hash`, `is_dirty` and `is_new`; returns (dirty records, records the crosswalk does
    not know yet).

    Dirty: new, changed since the last run (hash of the normalised fields), or in a cluster a
    decision re-opens; with `full`, everything.

    Only the records normalised this run and those echoing a retired ID are hashed (the others
    get a null `record_hash`: the one their crosswalk row holds). Any other record has the
    features (identity.record_features) and echo it had when its crosswalk hash was written,
    since every run writes the hash of each record it finds dirty. Unless the cache and the
    crosswalk hold the same records and a sample of cached records hashes to what the
    crosswalk holds (`_hashes_to_redo`), the run hashes every record, as a full run does."""
    con.register("__touched_ids", pd.DataFrame({"msix_id": sorted(touched_ids)}, dtype="string"))
    try:
        everything = full or columns is None or _hashes_to_redo(con)
        _features_table(con, columns, full=full, rehash_all=everything)
    finally:
        con.unregister("__touched_ids")
    dirty, new = con.execute(
        f"select count(*) filter (where is_dirty), count(*) filter (where is_new) from {FEATURES}"
    ).fetchall()[0]
    return int(dirty), int(new)


def _hashes_to_redo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the cache and the crosswalk do not hold the same records (each run leaves both
    with the records of its input), or a sample of cached records (echoing no retired ID) does
    not hash to what their crosswalk rows hold."""
    keys = "count(*), bit_xor(hash({0})), sum(hash({0})::hugeint)"
    cache = f"{WH}.identity.{feature_cache.TABLE}"
    held = con.execute(f"select {keys.format('unique_id')} from {cache}").fetchall()
    known = con.execute(f"select {keys.format('record_key')} from {WH}.identity.xwalk").fetchall()
    if held != known:
        return True
    return bool(
        scalar(
            con,
            f"""
            select count(*) from {feature_cache.cached_rows(WH, HASH_CHECK_ROWS)} as f
            join {WH}.identity.xwalk as p on p.record_key = f.unique_id
            where (f.echo_id is null or f.echo_id not in (select msix_id from {RETIRED}))
                and p.record_hash is distinct from {_record_hash_sql()}
            """,
            [feature_cache.normalisation_digest()],
        )
    )


def _features_table(
    con: duckdb.DuckDBPyConnection, columns: list[str] | None, *, full: bool, rehash_all: bool
) -> None:
    """`identity_features` for `_mark_dirty`. `rehash_all`: hash every record; else only those
    normalised this run or echoing a retired ID (temp table `rehashed`), and every other record
    has a null `record_hash`, meaning the one its crosswalk row holds."""
    cached = "from_cache" + (
        "" if rehash_all else f" and echo_id in (select msix_id from {RETIRED})"
    )
    echo = "coalesce(r.resolved_to, f.echo_id)"  # a retired echoed ID as the ID it now means
    run(
        con,
        f"""
        create or replace temp table rehashed as
        with rows as (
            select * from {LOADED} where not from_cache
            union all
            select * from {LOADED} where {cached}
        )
        select unique_id, {_record_hash_sql()} as record_hash
        from (
            select f.* exclude (from_cache) replace ({echo} as echo_id)
            from rows as f
            left join {RETIRED} as r on r.msix_id = f.echo_id
        ) as f
        """,
    )
    # new: hashed and unknown to the crosswalk (every other record has a row there); dirty:
    # hashed and new or changed, or carrying an ID a decision re-opens
    run(
        con,
        f"""
        create or replace temp table new_keys as
        select unique_id from rehashed
        anti join {WH}.identity.xwalk as p on p.record_key = rehashed.unique_id
        """,
    )
    run(
        con,
        f"""
        create or replace temp table dirty_keys as
        select h.unique_id from rehashed as h
        join {WH}.identity.xwalk as p on p.record_key = h.unique_id
        where p.record_hash is distinct from h.record_hash
        union
        select unique_id from new_keys
        union
        select record_key from {WH}.identity.xwalk
        where msix_id in (select msix_id from __touched_ids)
        """,
    )
    selected = (
        f"f.* exclude (from_cache) replace ({echo} as echo_id)"
        if columns is None
        else ", ".join(f"{echo} as echo_id" if c == "echo_id" else f"f.{c}" for c in columns)
    )
    run(
        con,
        f"""
        create or replace table {FEATURES} as
        select
            {selected},
            h.record_hash,
            {"true" if full else "false"} or f.unique_id in (select unique_id from dirty_keys)
                as is_dirty,
            f.unique_id in (select unique_id from new_keys) as is_new
        from {LOADED if columns is None else LOADED + feature_cache.UNSTAMPED} as f
        left join {RETIRED} as r on r.msix_id = f.echo_id
        left join rehashed as h on h.unique_id = f.unique_id
        """,
    )


def _constraints(con: duckdb.DuckDBPyConnection, decisions: list[Decision]) -> Constraints:
    """The decisions as clustering constraints, looking up only the IDs and clusters they name."""
    named = {i for d in decisions for i in (d.msix_id_l, d.msix_id_r) if i}
    active, anchors = registry_of(con, WH, named)
    split_ids = {
        active.get(d.msix_id_l, d.msix_id_l)
        for d in decisions
        if d.decision == "split" and d.msix_id_l
    }
    return constraints_from(decisions, members_of(con, WH, split_ids), anchors, active)


def _decision_keys(constraints: Constraints) -> set[str]:
    """Every record a constraint names: their clusters are always re-formed (cheaply, they are
    few), so a decision, old or new, is honoured exactly as clustering everything would."""
    pairs = [*constraints.must_links, *constraints.cannot_links]
    return {k for pair in pairs for k in pair} | set(constraints.split_records)


def _score(
    con: duckdb.DuckDBPyConnection,
    trained: dict[str, Any],
    settings: Settings,
    *,
    full: bool,
    dirty: int,
) -> int:
    """Score this run's candidate pairs into `scored_pairs`: every pair on a full run; on an
    incremental run only pairs with a dirty record, drawn from the records that share a
    blocking key with one (name frequencies still from all records); none without dirty records."""
    bounds = {"lower": settings.match_lower, "upper": settings.match_upper}
    if full:
        return score_pairs(con, trained, **bounds, dirty_only=False)
    if dirty == 0:
        return no_pairs(con)
    # the neighbourhood's full rows: the features with this run's echo, hash and dirty flag
    rows = f"""(
        select l.* exclude (from_cache) replace (f.echo_id as echo_id),
            f.record_hash, f.is_dirty, f.is_new
        from (select * from {LOADED} where unique_id in (select unique_id from {NEIGHBOURHOOD})) as l
        join {FEATURES} as f on f.unique_id = l.unique_id
    )"""
    if dirty_neighbourhood(con, FEATURES, "scoring_features", rows):
        return score_pairs(
            con,
            trained,
            **bounds,
            dirty_only=True,
            features="scoring_features",
            term_frequencies_from=FEATURES,
        )
    return score_pairs(con, trained, **bounds, dirty_only=True)


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
        fingerprint.ensure_table(con, WH)
        found = _known_records_only(con, read_decisions(decisions_dir(settings.warehouse)))
        for rejected in found.rejected:
            report.notes_.append(f"decision rejected: {rejected}")
        known = int(scalar(con, f"select count(*) from {WH}.identity.xwalk"))
        inputs, records = fingerprint.compute(
            con, f"{WH}.{INPUT_SCHEMA}.{INPUT_RELATION}", found.decisions, version, HASHED_COLUMNS
        )
        full = full or known == 0
        unchanged = not full and fingerprint.settled(con, WH, inputs)
        if unchanged:
            run(con, "begin transaction")
            counts = {"records": records, **dict.fromkeys(_CHANGE_COUNTS, 0)}
        else:
            context = _Run(run_at, version, trained, settings, full, known, inputs)
            counts = _resolve_changes(con, context, found)
        counts.update(_table_counts(con), decisions=len(found.decisions))
        counts["decisions_rejected"] = len(found.rejected)
        _append_run(con, run_at, "full" if full else "incremental", version, counts)
        run(con, "commit")
        report.counts_.update(counts)
        mode = "full" if full else "no-change" if unchanged else "incremental"
        report.notes_.append(f"model {version}, {mode} run")
        log.info("identity (%s): %s", mode, ", ".join(f"{k}={v}" for k, v in counts.items()))
    finally:
        con.close()
    return report


def _known_records_only(con: duckdb.DuckDBPyConnection, found: DecisionSet) -> DecisionSet:
    """Reject the decisions that name a record neither in the input nor in the crosswalk (a
    typo in a key): honoured, such a key would become a cluster of its own and get a new ID on
    every run. The rejection names the file and line, not the key."""
    keys = {k for d in found.decisions for k in (d.key_l, d.key_r) if k}
    if not keys:
        return found
    register_keys(con, "__named_keys", keys)
    known = {
        key
        for (key,) in con.execute(
            f"""
            select record_key from __named_keys
            where record_key in (
                select state || ':' || state_student_id from {WH}.{INPUT_SCHEMA}.{INPUT_RELATION}
            )
            or record_key in (select record_key from {WH}.identity.xwalk)
            """
        ).fetchall()
    }
    kept = DecisionSet(rejected=list(found.rejected))
    for d in found.decisions:
        if all(k in known for k in (d.key_l, d.key_r) if k):
            kept.decisions.append(d)
        else:
            kept.rejected.append(f"{d.source}: names a record that is not in the input")
    return kept


_CHANGE_COUNTS = (
    "normalised", "dirty", "affected", "pairs_scored", "links", "links_refused", "ids_issued", "ids_retired",
)  # fmt: skip


@dataclass(frozen=True)
class _Run:
    """What a run works with besides the connection and the decisions."""

    run_at: datetime
    version: str
    trained: dict[str, Any]
    settings: Settings
    full: bool
    known: int  # crosswalk rows before the run
    inputs: str  # the fingerprint of the run's inputs


def _resolve_changes(
    con: duckdb.DuckDBPyConnection, ctx: _Run, found: DecisionSet
) -> dict[str, int]:
    """Score, cluster and assign the affected part of the registry, then open the run's
    transaction and write what changes (the caller commits); returns the run's counts."""
    run_at, version, full = ctx.run_at, ctx.version, ctx.full
    records, normalised = feature_cache.load(
        con, WH, f"{WH}.{INPUT_SCHEMA}.{INPUT_RELATION}", LOADED, full=full
    )
    constraints = _constraints(con, found.decisions)
    touched_ids = set(active_ids_of(con, WH, constraints.touched).values())
    columns = None if full else _working_columns(ctx.trained)
    dirty, new = _mark_dirty(con, touched_ids, columns, full)
    pairs = _score(con, ctx.trained, ctx.settings, full=full, dirty=dirty)

    records_left = ctx.known > records - new
    scope = affected(con, WH, _decision_keys(constraints), records_left=records_left)
    components, links, refused = _cluster(con, scope.prev_ids, constraints)
    claims = {k: v for k, v in scope.prev_ids.items() if constraints.split_records.get(k) != v}
    assignment = assign_ids(
        components, claims, scope.anchors, IssuedIds(con, WH, (c[0] for c in components))
    )

    _register_assignment(con, assignment, constraints)
    _build_xwalk(con, run_at, version)
    _build_near_matches(con, found.decisions, run_at)
    previous_decisions = store.read_table(con, WH, "decisions")
    decisions = _decisions_frame(found.decisions, previous_decisions, run_at)
    events = _new_events(
        set(previous_decisions["decision_id"]),
        assignment,
        constraints,
        found.decisions,
        scope,
        run_at,
    )
    settled = not (
        constraints.touched or records_left or assignment.merged or _unknown_decision_keys(con)
    )

    run(con, "begin transaction")
    _write_registry(con, assignment, run_at)
    _write_changes(con, "xwalk", "record_key", "new_xwalk", "affected_keys")
    _write_echo_updates(con, version)
    _write_changes(con, "near_matches", "pair_id", "new_near_matches", "affected_pairs")
    if not _same_rows(previous_decisions, decisions):
        store.replace_table(con, WH, "decisions", decisions)
    if len(events):
        _append(con, "id_events", events)
    feature_cache.store(con, WH)
    fingerprint.record(con, WH, ctx.inputs if settled else None, records)
    return {
        "records": records,
        "normalised": normalised,
        "dirty": dirty,
        "affected": scope.records,
        "pairs_scored": pairs,
        "links": links,
        "links_refused": refused,
        "ids_issued": len(assignment.new_ids),
        "ids_retired": len(assignment.merged),
    }


def _unknown_decision_keys(con: duckdb.DuckDBPyConnection) -> int:
    """Records named by a decision that the input does not hold."""
    return int(
        scalar(
            con,
            f"select count(*) from __decision_keys "
            f"where record_key not in (select unique_id from {FEATURES})",
        )
    )


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts read from the identity tables as this run leaves them."""
    queries = {
        "near_matches": "select count(*) from {db}.identity.near_matches where status = 'undecided'",
        "ids_active": "select count(*) from {db}.identity.national_ids where status = 'active'",
        "echo_conflicts": "select count(*) from {db}.identity.xwalk where echo_status = 'conflict'",
    }
    return {name: int(scalar(con, sql.format(db=WH))) for name, sql in queries.items()}


def _append_run(
    con: duckdb.DuckDBPyConnection,
    run_at: datetime,
    mode: str,
    version: str,
    counts: dict[str, int],
) -> None:
    """This run's row in `identity.runs`."""
    keys = (
        "records",
        "dirty",
        "pairs_scored",
        "links",
        "near_matches",
        "ids_issued",
        "ids_retired",
    )
    row = {"run_at": run_at, "mode": mode, "model_version": version}
    _append(con, "runs", pd.DataFrame([{**row, **{k: counts[k] for k in keys}}]))


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
    """Cluster the affected records: decisions, their unchanged clusters, then this run's scored
    links (all of which lie inside the affected part).

    Returns (components, number of links, number of links refused by a constraint)."""
    scored = con.execute(
        "select key_l, key_r, match_probability, category = 'link', twin_suspect from scored_pairs"
    ).fetchall()
    links = [(a, b, p) for a, b, p, is_link, _ in scored if is_link]
    twins = [(a, b) for a, b, _, _, twin in scored if twin]
    keys = con.execute(
        f"select unique_id, is_dirty from {FEATURES} "
        "where unique_id in (select record_key from affected_keys)"
    ).fetchall()
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
    con: duckdb.DuckDBPyConnection, assignment: Assignment, constraints: Constraints
) -> None:
    """This run's result as small tables for the SQL that builds the crosswalk and worklist:
    the affected records' IDs, and the registry rows this run adds or changes."""
    merged = pd.DataFrame(
        {"retired": list(assignment.merged), "survivor": list(assignment.merged.values())},
        dtype="string",
    )
    tables = {
        "assigned": pd.DataFrame(
            {
                "record_key": list(assignment.record_ids),
                "msix_id": list(assignment.record_ids.values()),
            },
            dtype="string",
        ),
        "split_keys": pd.DataFrame({"record_key": list(constraints.split_records)}, dtype="string"),
        "decided_keys": pd.DataFrame(
            {"record_key": sorted({k for pair in constraints.must_links for k in pair})},
            dtype="string",
        ),
        "anchor_keys": pd.DataFrame(
            {"record_key": list(assignment.new_ids.values())}, dtype="string"
        ),
        "new_ids": pd.DataFrame(
            {"msix_id": list(assignment.new_ids), "anchor_key": list(assignment.new_ids.values())},
            dtype="string",
        ),
        "merged": merged,
    }
    for name, frame in tables.items():
        con.register("__frame", frame)
        run(con, f"create or replace temp table {name} as select * from __frame")
        con.unregister("__frame")
    # IDs whose meaning changes this run: new ones, and every ID that resolved to a retired one.
    run(
        con,
        f"""
        create or replace temp table registry_changes as
        select msix_id, msix_id as resolved_to from new_ids
        union all
        select n.msix_id, m.survivor as resolved_to
        from {WH}.identity.national_ids as n
        join merged as m on m.retired = n.resolved_to
        """,
    )


def _build_xwalk(con: duckdb.DuckDBPyConnection, run_at: datetime, version: str) -> None:
    """`new_xwalk`: one row per affected record with its ID, how and since when it has it, and
    whether the ID the state echoed agrees (`agrees`), names another child (`conflict`) or is
    unknown. `echo_updates`: the echo status of untouched records whose echoed ID was issued or
    retired this run."""
    registry = f"""
        select n.msix_id, coalesce(c.resolved_to, n.resolved_to) as resolved_to
        from {WH}.identity.national_ids as n
        left join registry_changes as c using (msix_id)
        union all
        select msix_id, resolved_to from registry_changes
        where msix_id not in (select msix_id from {WH}.identity.national_ids)
    """
    run(
        con,
        f"""
        create or replace temp table new_xwalk as
        with previous as (
            select * from {WH}.identity.xwalk
            where record_key in (select record_key from affected_keys)
        ),
        registry as ({registry})
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
            coalesce(f.record_hash, p.record_hash) as record_hash,
            f.echo_id as echoed_msix_id,
            {_echo_status_sql("f.echo_id", "a.msix_id")} as echo_status,
            ? as model_version,
            case when f.is_dirty or p.scored_at is null then ?::timestamp else p.scored_at end
                as scored_at
        from {FEATURES} as f
        join assigned as a on a.record_key = f.unique_id
        left join previous as p on p.record_key = f.unique_id
        left join registry as r on r.msix_id = f.echo_id
        """,
        [run_at, version, run_at],
    )
    run(
        con,
        f"""
        create or replace temp table echo_updates as
        with registry as ({registry}),
        recomputed as (
            select
                x.record_key,
                x.echo_status,
                {_echo_status_sql("x.echoed_msix_id", "x.msix_id")} as new_status
            from {WH}.identity.xwalk as x
            left join registry as r on r.msix_id = x.echoed_msix_id
            where x.echoed_msix_id in (select msix_id from registry_changes)
                and x.record_key not in (select record_key from affected_keys)
        )
        select record_key, new_status as echo_status from recomputed
        where new_status is distinct from echo_status
        """,
    )


def _echo_status_sql(echo: str, msix_id: str) -> str:
    """The echo status of a record echoing `echo` and carrying `msix_id` (registry as `r`)."""
    return f"""case
                when {echo} is null then null
                when coalesce(r.resolved_to, {echo}) = {msix_id} then 'agrees'
                when r.msix_id is not null then 'conflict'
                else 'unknown_id'
            end"""


def _build_near_matches(
    con: duckdb.DuckDBPyConnection, decisions: list[Decision], run_at: datetime
) -> None:
    """`new_near_matches`, the worklist rows of `affected_pairs`: candidate pairs that were not
    linked and still carry two different IDs. Pairs scored this run replace their earlier rows
    (first_seen kept); earlier pairs not rescored stay while their records still have different
    IDs. Decided pairs stay, marked `decided`, as history.

    Affected pairs: those scored this run, those with a record in scope, those whose decided
    status changes, and those with a record gone from input and crosswalk (its ID becomes
    unknown). Every other row would come out as it is."""
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
        create or replace temp table affected_pairs as
        with old as (
            select
                pair_id, status, msix_id_l, msix_id_r,
                state_l || ':' || state_student_id_l as key_l,
                state_r || ':' || state_student_id_r as key_r
            from {WH}.identity.near_matches
        ),
        decided as (
            select substr(sha256(key_l || '|' || key_r), 1, 16) as pair_id from __decided
        ),
        gone as (
            select key from (
                select key_l as key from old where msix_id_l is not null
                union select key_r from old where msix_id_r is not null
            ) as k
            where key not in (select unique_id from {FEATURES})
                and key not in (select record_key from assigned)
        )
        select pair_id from old
        where key_l in (select record_key from affected_keys)
            or key_r in (select record_key from affected_keys)
            or (status = 'decided') <> (pair_id in (select pair_id from decided))
            or key_l in (select key from gone)
            or key_r in (select key from gone)
        union
        select substr(sha256(least(key_l, key_r) || '|' || greatest(key_l, key_r)), 1, 16)
        from scored_pairs
        """,
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
        old as (
            select * from {WH}.identity.near_matches
            where pair_id in (select pair_id from affected_pairs)
        ),
        kept as (
            select
                pair_id, state_l, state_student_id_l, state_r, state_student_id_r,
                match_probability, agreeing_fields, disagreeing_fields,
                twin_suspect, same_state, echo_conflict, last_scored
            from old
            where pair_id not in (select pair_id from fresh)
        ),
        pairs as (
            select
                *,
                state_l || ':' || state_student_id_l as key_l,
                state_r || ':' || state_student_id_r as key_r
            from (select * from fresh union all by name select * from kept) as u
        ),
        endpoint_ids as (
            select record_key, msix_id from assigned
            union all
            select record_key, msix_id from {WH}.identity.xwalk
            where record_key not in (select record_key from assigned)
                and (
                    record_key in (select key_l from pairs)
                    or record_key in (select key_r from pairs)
                )
        ),
        with_ids as (
            select
                p.* exclude (key_l, key_r),
                coalesce(old.first_seen, ?::timestamp) as first_seen,
                al.msix_id as msix_id_l,
                ar.msix_id as msix_id_r,
                case when d.key_l is null then 'undecided' else 'decided' end as status
            from pairs as p
            left join old using (pair_id)
            left join endpoint_ids as al on al.record_key = p.key_l
            left join endpoint_ids as ar on ar.record_key = p.key_r
            left join __decided as d on d.key_l = p.key_l and d.key_r = p.key_r
        )
        select * from with_ids
        where msix_id_l is distinct from msix_id_r or status = 'decided'
        """,
        [run_at, run_at],
    )
    con.unregister("__decided")


def _write_changes(
    con: duckdb.DuckDBPyConnection, table: str, key: str, rows: str, scope: str
) -> None:
    """Make the rows of `table` whose `key` is in `scope` equal to `rows`: delete the rows that
    differ or are gone, insert the new or changed ones; identical rows are not touched."""
    cols = ", ".join(store.columns(table))
    target = f"{WH}.{store.SCHEMA}.{table}"
    run(
        con,
        f"""
        create or replace temp table __changed as
        select {cols} from {rows}
        except
        select {cols} from {target} where {key} in (select {key} from {scope})
        """,
    )
    run(
        con,
        f"""
        create or replace temp table __removed as
        select {key} from {target}
        where {key} in (select {key} from {scope})
            and ({key} not in (select {key} from {rows}) or {key} in (select {key} from __changed))
        """,
    )
    if scalar(con, "select count(*) from __removed"):
        run(con, f"delete from {target} where {key} in (select {key} from __removed)")
    if scalar(con, "select count(*) from __changed"):
        run(con, f"insert into {target} ({cols}) select {cols} from __changed")


def _write_echo_updates(con: duckdb.DuckDBPyConnection, version: str) -> None:
    """Untouched crosswalk rows change only where this run issued or retired the ID their state
    echoed (echo status) or the model changed (model_version)."""
    target = f"{WH}.{store.SCHEMA}.xwalk"
    if scalar(con, "select count(*) from echo_updates"):
        run(
            con,
            f"update {target} set echo_status = u.echo_status from echo_updates as u "
            f"where {target}.record_key = u.record_key",
        )
    stale = "where model_version is distinct from ?"
    if scalar(con, f"select count(*) from {target} {stale}", [version]):
        run(con, f"update {target} set model_version = ? {stale}", [version, version])


def _write_registry(
    con: duckdb.DuckDBPyConnection, assignment: Assignment, run_at: datetime
) -> None:
    """The registry keeps every ID ever issued: add this run's new IDs, retire the merged ones
    into their survivors and point every ID that meant a retired one at its survivor."""
    target = f"{WH}.{store.SCHEMA}.national_ids"
    if assignment.new_ids:
        run(
            con,
            f"""
            insert into {target}
                (msix_id, status, merged_into, resolved_to, issued_at, retired_at, anchor_key)
            select msix_id, 'active', null, msix_id, ?::timestamp, null, anchor_key from new_ids
            """,
            [run_at],
        )
    if assignment.merged:
        run(
            con,
            f"""
            update {target} set
                status = 'retired',
                merged_into = m.survivor,
                retired_at = coalesce({target}.retired_at, ?::timestamp)
            from merged as m
            where {target}.msix_id = m.retired
            """,
            [run_at],
        )
        run(
            con,
            f"update {target} set resolved_to = c.resolved_to from registry_changes as c "
            f"where {target}.msix_id = c.msix_id and {target}.resolved_to <> c.resolved_to",
        )


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two frames hold the same rows (order and missing-value kinds aside)."""

    def rows(frame: pd.DataFrame) -> list[tuple[str, ...]]:
        return sorted(
            tuple(
                "" if pd.isna(v) else str(pd.Timestamp(v)) if isinstance(v, datetime) else str(v)
                for v in row
            )
            for row in frame.itertuples(index=False)
        )

    return list(a.columns) == list(b.columns) and rows(a) == rows(b)


def _decided_pairs(decisions: list[Decision]) -> set[tuple[str, str]]:
    return {
        pair_key(d.key_l, d.key_r)
        for d in decisions
        if d.decision in ("same", "different") and d.key_l and d.key_r
    }


def _split_key(key: str) -> tuple[str, str]:
    state, ssid = key.split(":", 1)
    return state, ssid


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
    return pd.DataFrame(rows, columns=store.columns("decisions"))


def _new_events(
    known_decisions: set[str],
    assignment: Assignment,
    constraints: Constraints,
    decisions: list[Decision],
    scope: Scope,
    run_at: datetime,
) -> pd.DataFrame:
    """This run's additions to the audit trail: new decisions, issues, merges and splits."""
    rows = []
    for d in decisions:
        if d.decision_id not in known_decisions:
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
        if scope.prev_ids.get(key) == left and now != left:
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
    return frame
