"""Scoring: candidate pairs from the blocking rules, Splink match probabilities from the
committed model, then the rules applied after scoring:

* same state: two different IDs of one state are normally two children (a state's IDs are unique
  within the state), so a same-state pair loses SAME_STATE_WEIGHT bits of match weight. States
  do send duplicate records now and then; a duplicate that agrees on everything still clears the
  upper threshold, anything less goes to the worklist;
* suspected twins never link automatically. With the multiple-birth flag on either record:
  any difference of normalised first names except a nickname (translations such as Mary/María
  do not count) or a full first/middle swap. Without the flag: different first names on the
  same birth date (twins share birth date and parents), unless they are nickname or translation
  forms of one name, typo-like (same sex, and Jaro-Winkler >= 0.9 or one edit in names of four
  letters or more), one first name is the other's middle name, or one is part of a compound
  name. Such pairs go to the worklist at most, and clustering keeps them apart;
* the echoed national ID is evidence inside the model (its own comparison); two records echoing
  different IDs are flagged `echo_conflict`, never forced apart or together by it.

Pairs at or above `upper` become links (`category = 'link'`); pairs between `lower` and `upper`
(and suspected twins above `lower`) go to review (`category = 'review'`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from identity import model
from identity.sql import run, scalar

SAME_STATE_WEIGHT = 6.0

COMPARISON_FIELDS = (
    "first_name",
    "surname",
    "birth_date",
    "sex",
    "birth_place",
    "parents",
    "echoed_msix_id",
)


def scoring_settings(trained: dict[str, Any], dirty_only: bool) -> dict[str, Any]:
    """The committed model with the current blocking rules; with `dirty_only`, only pairs that
    involve at least one new or changed record are generated."""
    rules = [
        f"({rule}) and (l.is_dirty or r.is_dirty)" if dirty_only else rule
        for rule in model.BLOCKING_RULES
    ]
    return {
        **trained,
        "blocking_rules_to_generate_predictions": rules,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
    }


SCORED_COLUMNS = (
    "key_l varchar, key_r varchar, match_probability double, model_probability double, "
    "match_weight double, same_state boolean, twin_suspect boolean, echo_conflict boolean, "
    "agreeing_fields varchar, disagreeing_fields varchar, category varchar"
)
_EQUALITY = re.compile(r"^l\.(\w+) = r\.(\w+)$")


def no_pairs(con: duckdb.DuckDBPyConnection, target: str = "scored_pairs") -> int:
    """An empty `target` with the columns `score_pairs` writes: a run with no new or changed
    record has no pair to score, and Splink need not be started for that."""
    run(con, f"create or replace table {target} ({SCORED_COLUMNS})")
    return 0


def blocking_columns(rule: str) -> list[str] | None:
    """The columns of a blocking rule made only of `l.c = r.c` terms joined by `and`; None for
    any other rule (its pairs cannot be narrowed down by key)."""
    columns = []
    for term in " ".join(rule.split()).split(" and "):
        found = _EQUALITY.match(term.strip())
        if not found or found.group(1) != found.group(2):
            return None
        columns.append(found.group(1))
    return columns


NEIGHBOURHOOD = "__neighbourhood"
"""The temp table `dirty_neighbourhood` leaves: the keys (`unique_id`) of the records it took."""


def dirty_neighbourhood(
    con: duckdb.DuckDBPyConnection, features: str, target: str, rows: str | None = None
) -> bool:
    """Create `target`: the dirty records of `features` plus every record sharing the keys of a
    blocking rule with one of them. Every pair an incremental run scores has both records in it,
    so scoring `target` instead of all records gives the same pairs at the cost of the delta.
    `rows`: where the full rows of those records are taken from, a relation that reads their
    keys from NEIGHBOURHOOD; by default `features` itself. Returns False (and creates nothing)
    when a blocking rule is not a plain key equality."""
    keys = [blocking_columns(rule) for rule in model.BLOCKING_RULES]
    if any(columns is None for columns in keys):
        return False
    needed = sorted({c for columns in keys for c in columns or []})
    near = " union ".join(
        f"select f.unique_id from {features} as f semi join dirty as d on "
        + " and ".join(f"f.{c} = d.{c}" for c in columns or [])
        for columns in keys
    )
    run(
        con,
        f"""
        create or replace temp table {NEIGHBOURHOOD} as
        with dirty as (select distinct {", ".join(needed)} from {features} where is_dirty),
        near as ({near})
        select unique_id from {features} where is_dirty
        union
        select unique_id from near
        """,
    )
    source = (
        rows
        or f"(select * from {features} where unique_id in (select unique_id from {NEIGHBOURHOOD}))"
    )
    run(con, f"create or replace table {target} as select * from {source}")
    return True


def tf_columns(trained: dict[str, Any]) -> list[str]:
    """The columns the model adjusts for term frequency (names), in model order."""
    columns: list[str] = []
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and column not in columns:
                columns.append(column)
    return columns


def _register_term_frequencies(
    con: duckdb.DuckDBPyConnection,
    db_api: DuckDBAPI,
    linker: Linker,
    trained: dict[str, Any],
    source: str,
) -> None:
    """Give Splink the term frequencies of `source` (all records) with Splink's own formula, so
    scoring a subset of the records weighs common names exactly as scoring all of them."""
    prefix = trained.get("term_frequency_adjustment_column_prefix", "tf_")
    for column in tf_columns(trained):
        table = f"__identity_tf_{column}"
        run(
            con,
            f"""
            create or replace table {table} as
            select
                {column},
                cast(count(*) as float8) / (select count({column}) as total from {source})
                    as {prefix}{column}
            from {source}
            where {column} is not null
            group by {column}
            """,
        )
        linker.table_management.register_term_frequency_lookup(db_api.register(table), column)


def _field_lists_sql() -> tuple[str, str]:
    """SQL for the lists of fields that count for (positive weight) and against the match."""
    agree = ", ".join(f"case when p.mw_{f} > 0 then '{f}' end" for f in COMPARISON_FIELDS)
    disagree = ", ".join(f"case when p.mw_{f} < 0 then '{f}' end" for f in COMPARISON_FIELDS)
    return (
        f"array_to_string(list_filter([{agree}], lambda x: x is not null), ',')",
        f"array_to_string(list_filter([{disagree}], lambda x: x is not null), ',')",
    )


def score_pairs(
    con: duckdb.DuckDBPyConnection,
    trained: dict[str, Any],
    *,
    lower: float,
    upper: float,
    dirty_only: bool,
    features: str = "identity_features",
    target: str = "scored_pairs",
    term_frequencies_from: str | None = None,
) -> int:
    """Score candidate pairs of `features` into `target`; returns the number of kept pairs.

    `term_frequencies_from`: the relation whose name frequencies count (when `features` is a
    subset of the records); default `features` itself."""
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(features)
    linker = Linker(frame, scoring_settings(trained, dirty_only), log_level=logging.WARNING)
    if term_frequencies_from:
        _register_term_frequencies(con, db_api, linker, trained, term_frequencies_from)
    # Keep everything that could still reach `lower` before the same-state penalty is applied.
    predictions = linker.inference.predict(threshold_match_probability=lower / 1000)
    agree_sql, disagree_sql = _field_lists_sql()
    run(
        con,
        f"""
        create or replace table {target} as
        with adjusted as (
            select
                p.*,
                p.match_weight - case when l.state = r.state then {SAME_STATE_WEIGHT} else 0 end
                    as weight,
                l.state = r.state as same_state,
                l.fn is not null and r.fn is not null
                    and l.fn <> r.fn
                    and not list_has_any(l.fn_nick_names, r.fn_nick_names)
                    and not coalesce(l.fn = r.mn and r.fn = l.mn, false)
                    as first_names_differ,
                not list_has_any(l.fn_names, r.fn_names) as not_translations,
                l.fn = r.mn or r.fn = l.mn
                    or list_has_all(string_split(r.fn, ' '), string_split(l.fn, ' '))
                    or list_has_all(string_split(l.fn, ' '), string_split(r.fn, ' '))
                    as first_names_swapped_or_compound,
                l.is_multiple_birth or r.is_multiple_birth as multiple_birth,
                l.dob = r.dob as same_dob,
                l.sex = r.sex and (
                    jaro_winkler_similarity(l.fn, r.fn) >= 0.9
                    or (damerau_levenshtein(l.fn, r.fn) <= 1 and least(len(l.fn), len(r.fn)) >= 4)
                ) as first_name_typo,
                l.echo_id <> r.echo_id as echo_conflict,
                {agree_sql} as agreeing_fields,
                {disagree_sql} as disagreeing_fields
            from {predictions.physical_name} as p
            join {features} as l on l.unique_id = p.unique_id_l
            join {features} as r on r.unique_id = p.unique_id_r
        ),
        flagged as (
            select
                *,
                1.0 / (1.0 + pow(2.0, -weight)) as probability,
                first_names_differ and (
                    multiple_birth
                    or (
                        same_dob
                        and not_translations
                        and not coalesce(first_name_typo, false)
                        and not coalesce(first_names_swapped_or_compound, false)
                    )
                ) as twin_suspect
            from adjusted
        )
        select
            unique_id_l as key_l,
            unique_id_r as key_r,
            probability as match_probability,
            match_probability as model_probability,
            weight as match_weight,
            same_state,
            coalesce(twin_suspect, false) as twin_suspect,
            coalesce(echo_conflict, false) as echo_conflict,
            agreeing_fields,
            disagreeing_fields,
            case when probability >= {upper} and not coalesce(twin_suspect, false) then 'link'
                 else 'review' end as category
        from flagged
        where probability >= {lower} or (coalesce(twin_suspect, false) and match_probability >= {lower})
        """,
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    return int(scalar(con, f"select count(*) from {target}"))
