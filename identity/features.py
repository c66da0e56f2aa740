"""Normalisation: turn the latest student records into the comparison features the matcher uses.

Everything runs as one bulk DuckDB statement (1M records in seconds). The rules, in words:

* names: accents stripped, upper case, apostrophes and dots dropped, every other non-letter
  (hyphen, comma, digit) becomes a space, runs of spaces collapse; empty means unknown;
* surnames: `last_name_1` and `last_name_2` are pooled into a sorted set of tokens without
  particles (DE, LA, DEL, ...), so "Garcia-Lopez", "Lopez Garcia", "GARCIA" + "LOPEZ" and
  "García López" all compare in every arrangement; `sn_joined` keeps all letters for
  "De la Cruz" versus "Delacruz";
* first names: `fn_names` is the name plus every formal name the nickname table maps it to, so
  "Pancho" and "Francisco" share an entry; `fn_nick_names` the same with true nicknames only,
  not translations such as Mary/María or Michael/Miguel (twins may carry those: the twin rule
  uses this one); `given_tokens` pools first and middle name tokens for first/middle swaps;
* parents: one set of parent name tokens (first names expanded through the nickname table,
  surnames split like the child's) so parent order and surname arrangement do not matter.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from identity.sql import run, scalar

NICKNAMES_CSV: Path = Path(__file__).resolve().parent / "model" / "nicknames.csv"

# Words that join surnames and are dropped or kept inconsistently by states.
SURNAME_PARTICLES: tuple[str, ...] = (
    "DE",
    "DEL",
    "LA",
    "LAS",
    "LOS",
    "Y",
    "E",
    "VAN",
    "VON",
    "DA",
    "DOS",
    "DI",
    "MC",
    "ST",
)

# Columns the identity layer needs from intermediate.int_student_records_latest.
INPUT_COLUMNS: tuple[str, ...] = (
    "state",
    "state_student_id",
    "stamp",
    "is_deleted",
    "msix_id",
    "first_name",
    "middle_name",
    "last_name_1",
    "last_name_2",
    "suffix",
    "sex",
    "birth_date",
    "multiple_birth",
    "birth_city",
    "birth_state",
    "birth_country",
    "parent1_first_name",
    "parent1_last_name",
    "parent2_first_name",
    "parent2_last_name",
)


def norm_sql(expr: str) -> str:
    """SQL that normalises one name expression (see module docstring); NULL when nothing is left."""
    upper = f"upper(strip_accents(coalesce({expr}, '')))"
    dropped = f"replace(replace(replace({upper}, chr(39), ''), '`', ''), '.', '')"
    cleaned = f"trim(regexp_replace({dropped}, '[^A-Z]+', ' ', 'g'))"
    return f"nullif({cleaned}, '')"


def _tokens_sql(expr: str) -> str:
    """Tokens of an already normalised name (empty list for NULL)."""
    return f"coalesce(string_split({expr}, ' '), [])"


def _surname_set_sql(a: str, b: str) -> str:
    """Sorted distinct surname tokens of two normalised surnames, particles removed."""
    particles = ", ".join(f"'{p}'" for p in SURNAME_PARTICLES)
    return (
        f"list_sort(list_distinct(list_filter(list_concat({_tokens_sql(a)}, {_tokens_sql(b)}), "
        f"lambda t: t <> '' and t not in ({particles}))))"
    )


def load_nicknames(con: duckdb.DuckDBPyConnection, table: str = "nicknames") -> None:
    """Load the nickname table (nickname -> formal name, both normalised) into `table`."""
    run(
        con,
        f"create or replace temp table {table} as "
        f"select distinct {norm_sql('nickname')} as nickname, {norm_sql('name')} as name, "
        f"coalesce(kind, 'nickname') = 'nickname' as is_nickname "
        f"from read_csv(?, header = true, all_varchar = true)",
        [str(NICKNAMES_CSV)],
    )


def build_features(
    con: duckdb.DuckDBPyConnection, source: str, target: str = "identity_features"
) -> int:
    """Create `target` (one row per record) from the relation `source`; returns its row count.

    `source` has the columns of INPUT_COLUMNS. `unique_id` is `state:state_student_id`.
    """
    load_nicknames(con)
    run(
        con,
        f"""
        create or replace table {target} as
        with nickname_forms as (
            select
                nickname,
                list_sort(list_distinct(list(name))) as formal,
                list_sort(list_distinct(list(name) filter (where is_nickname))) as nick_formal
            from nicknames
            group by nickname
        ),
        normalised as (
            select
                state || ':' || state_student_id as unique_id,
                state,
                state_student_id,
                stamp,
                coalesce(is_deleted, false) as is_deleted,
                nullif(regexp_replace(coalesce(msix_id, ''), '[^0-9]', '', 'g'), '') as echo_id,
                {norm_sql("first_name")} as fn,
                {norm_sql("middle_name")} as mn,
                {norm_sql("last_name_1")} as ln1,
                {norm_sql("last_name_2")} as ln2,
                upper(trim(sex)) as sex,
                birth_date as dob,
                multiple_birth,
                {norm_sql("birth_city")} as birth_city,
                upper(trim(birth_country)) as birth_country,
                {norm_sql("parent1_first_name")} as p1_fn,
                {norm_sql("parent1_last_name")} as p1_ln,
                {norm_sql("parent2_first_name")} as p2_fn,
                {norm_sql("parent2_last_name")} as p2_ln
            from {source}
        ),
        with_sets as (
            select
                *,
                {_surname_set_sql("ln1", "ln2")} as sn_tokens,
                nullif(replace(coalesce(ln1, '') || coalesce(ln2, ''), ' ', ''), '') as sn_joined,
                list_concat({_tokens_sql("fn")}, {_tokens_sql("mn")}) as given_tokens,
                list_concat(
                    {_surname_set_sql("p1_ln", "null")}, {_surname_set_sql("p2_ln", "null")}
                ) as parent_last
            from normalised
        ),
        select
            w.* exclude (parent_last),
            nullif(array_to_string(w.sn_tokens, ' '), '') as sn_key,
            w.sn_tokens[1] as sn_first,
            w.sn_tokens[-1] as sn_last,
            strftime(w.dob, '%m%d') as dob_md,
            case when w.fn is null then null
                 else list_sort(list_distinct(list_concat([w.fn], coalesce(f.formal, []))))
            end as fn_names,
            case when w.fn is null then null
                 else list_sort(list_distinct(list_concat([w.fn], coalesce(f.nick_formal, []))))
            end as fn_nick_names,
            coalesce(f.formal[1], w.fn) as fn_canon,
            case when w.dob is null then null else strftime(w.dob, '%Y%m%d') end as dob_text,
            year(w.dob) as birth_year,
            month(w.dob) as birth_month,
            day(w.dob) as birth_day,
            least(month(w.dob), day(w.dob)) * 100 + greatest(month(w.dob), day(w.dob))
                as dob_md_sorted,
            nullif(list_sort(list_distinct(list_concat(
                case when w.p1_fn is null then [] else coalesce(n1.formal, [w.p1_fn]) end,
                case when w.p2_fn is null then [] else coalesce(n2.formal, [w.p2_fn]) end,
                w.parent_last
            ))), []) as parent_tokens,
            w.multiple_birth is true as is_multiple_birth
        from with_sets as w
        left join nickname_forms as f on f.nickname = w.fn
        left join nickname_forms as n1 on n1.nickname = w.p1_fn
        left join nickname_forms as n2 on n2.nickname = w.p2_fn
        """,
    )
    return int(scalar(con, f"select count(*) from {target}"))
