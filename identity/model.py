"""The Splink model: comparisons, blocking rules, and the versioned model files in identity/model/.

Comparisons are written as plain Splink level dictionaries so every rule is visible SQL over the
columns of `identity.features`. Names get term-frequency adjustments (a match on GARCIA is worth
less than a match on a rare surname).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MODEL_DIR: Path = Path(__file__).resolve().parent / "model"
MODEL_PREFIX = "model_v"

# Candidate pairs: each rule is tight (birth date, or first name + surname + most of the birth
# date) so that blocks stay small at a million records; together they tolerate one broken field
# at a time (names with a typo, a missing or reordered surname, a birth date with one wrong part).
BLOCKING_RULES: tuple[str, ...] = (
    "l.dob = r.dob and l.fn_canon = r.fn_canon",
    "l.dob = r.dob and l.sn_first = r.sn_first",
    "l.dob = r.dob and l.sn_last = r.sn_last",
    # same names, birth date with one part wrong: day, month, year, or day and month swapped
    "l.fn_canon = r.fn_canon and l.sn_first = r.sn_first and l.birth_year = r.birth_year "
    "and l.birth_month = r.birth_month",
    "l.fn_canon = r.fn_canon and l.sn_first = r.sn_first and l.birth_year = r.birth_year "
    "and l.birth_day = r.birth_day",
    "l.fn_canon = r.fn_canon and l.sn_last = r.sn_last and l.dob_md = r.dob_md",
    "l.fn_canon = r.fn_canon and l.sn_first = r.sn_first and l.birth_year = r.birth_year "
    "and l.dob_md_sorted = r.dob_md_sorted",
    "l.echo_id = r.echo_id",
)


def _null(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _level(
    sql: str, label: str, tf_column: str | None = None, m: float | None = None
) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if tf_column:
        level["tf_adjustment_column"] = tf_column
        level["tf_adjustment_weight"] = 1.0
    return level


def _else(m: float | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": "ELSE", "label_for_charts": "else"}
    if m is not None:
        level["m_probability"] = m
    return level


def comparisons() -> list[dict[str, Any]]:
    """The comparison of every matching field, strongest level first.

    Birth date carries prior m values (share of true matches at each level: most records agree,
    a few per cent have swapped day/month or a one-digit typo): training blocks on birth date,
    so EM cannot estimate them.
    """
    return [
        {
            "output_column_name": "first_name",
            "comparison_levels": [
                _null("fn"),
                _level('"fn_l" = "fn_r"', "exact", "fn"),
                _level('list_has_any("fn_names_l", "fn_names_r")', "nickname"),
                _level(
                    'list_contains("given_tokens_r", "given_tokens_l"[1]) '
                    'OR list_contains("given_tokens_l", "given_tokens_r"[1])',
                    "first/middle swap or compound",
                ),
                _level('jaro_winkler_similarity("fn_l", "fn_r") >= 0.92', "jw>=0.92"),
                _level('jaro_winkler_similarity("fn_l", "fn_r") >= 0.80', "jw>=0.80"),
                _else(),
            ],
        },
        {
            "output_column_name": "surname",
            "comparison_levels": [
                _null("sn_key"),
                _level('"sn_key_l" = "sn_key_r"', "same surnames", "sn_key"),
                _level(
                    'list_has_all("sn_tokens_l", "sn_tokens_r") '
                    'OR list_has_all("sn_tokens_r", "sn_tokens_l")',
                    "one surname missing",
                ),
                _level('jaro_winkler_similarity("sn_joined_l", "sn_joined_r") >= 0.92', "jw>=0.92"),
                _level('list_has_any("sn_tokens_l", "sn_tokens_r")', "one surname shared"),
                _else(),
            ],
        },
        {
            "output_column_name": "birth_date",
            "comparison_levels": [
                _null("dob"),
                _level('"dob_l" = "dob_r"', "exact", m=0.90),
                _level(
                    'year("dob_l") = year("dob_r") AND month("dob_l") = day("dob_r") '
                    'AND day("dob_l") = month("dob_r")',
                    "day/month swapped",
                    m=0.025,
                ),
                _level(
                    'damerau_levenshtein("dob_text_l", "dob_text_r") <= 1', "one-digit typo", m=0.04
                ),
                _level(
                    'abs(date_diff(\'day\', "dob_l", "dob_r")) <= 31 OR "dob_md_l" = "dob_md_r"',
                    "month or year off",
                    m=0.02,
                ),
                _else(m=0.015),
            ],
        },
        {
            "output_column_name": "sex",
            "comparison_levels": [_null("sex"), _level('"sex_l" = "sex_r"', "exact"), _else()],
        },
        {
            "output_column_name": "birth_place",
            "comparison_levels": [
                {
                    "sql_condition": '("birth_city_l" IS NULL AND "birth_country_l" IS NULL) '
                    'OR ("birth_city_r" IS NULL AND "birth_country_r" IS NULL)',
                    "label_for_charts": "null",
                    "is_null_level": True,
                },
                _level('"birth_city_l" = "birth_city_r"', "same city"),
                _level(
                    'jaro_winkler_similarity("birth_city_l", "birth_city_r") >= 0.9', "similar city"
                ),
                _level('"birth_country_l" = "birth_country_r"', "same country"),
                _else(),
            ],
        },
        {
            "output_column_name": "parents",
            "comparison_levels": [
                _null("parent_tokens"),
                _level('"parent_tokens_l" = "parent_tokens_r"', "same names"),
                _level(
                    'len(list_intersect("parent_tokens_l", "parent_tokens_r")) >= 2', "2+ shared"
                ),
                _level(
                    'len(list_intersect("parent_tokens_l", "parent_tokens_r")) >= 1', "1 shared"
                ),
                _else(),
            ],
        },
        {
            "output_column_name": "echoed_msix_id",
            "comparison_levels": [
                _null("echo_id"),
                _level('"echo_id_l" = "echo_id_r"', "same national ID"),
                _else(),
            ],
        },
    ]


def settings(blocking_rules: tuple[str, ...] = BLOCKING_RULES) -> dict[str, Any]:
    """A fresh (untrained) Splink settings dictionary for deduplicating `identity.features`."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": list(blocking_rules),
        "probability_two_random_records_match": 1e-5,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "max_iterations": 20,
    }


def model_paths(model_dir: Path = MODEL_DIR) -> list[Path]:
    """Committed model files, oldest version first."""
    found = []
    for path in model_dir.glob(f"{MODEL_PREFIX}*.json"):
        match = re.fullmatch(rf"{MODEL_PREFIX}(\d+)\.json", path.name)
        if match:
            found.append((int(match.group(1)), path))
    return [p for _, p in sorted(found)]


def latest_model_path(model_dir: Path = MODEL_DIR) -> Path:
    """The newest committed model; a clear error when none has been trained."""
    paths = model_paths(model_dir)
    if not paths:
        raise FileNotFoundError(f"no trained identity model in {model_dir}; run `msix train` first")
    return paths[-1]


def next_model_path(model_dir: Path = MODEL_DIR) -> Path:
    """Where the next trained version goes (model_v1.json, model_v2.json, ...)."""
    paths = model_paths(model_dir)
    version = int(paths[-1].stem.removeprefix(MODEL_PREFIX)) + 1 if paths else 1
    return model_dir / f"{MODEL_PREFIX}{version}.json"


def load_model(path: Path) -> dict[str, Any]:
    """A trained settings dictionary from its JSON file."""
    return json.loads(path.read_text())


def model_version(path: Path) -> str:
    """The version label of a model file, e.g. `v3`."""
    return path.stem.removeprefix("model_")
