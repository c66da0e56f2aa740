"""Great Expectations (1.x) suites from `expectations/*.json`, validated on pandas frames.

Each JSON file names a suite, the relation it checks, the SQL that selects the frame (with
`{relation}`; the raw tables' suites take `{latest_submission}`, each state's latest
submission, LATEST_SUBMISSION_SQL) and its expectations as
`{"type": "expect_...", "kwargs": {...}}`. Frames are read from DuckDB through Arrow (GE's SQL
datasource does not work on DuckDB), holding only the columns the checks read: row checks see
every row up to `MAX_ROWS` and a uniform sample above; uniqueness checks see the rows whose key
is repeated, found by DuckDB on every row. All batches run in one ephemeral GE context per run,
and Data Docs are rebuilt once into a local folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from msix.db import relation_exists
from msix.paths import EXPECTATIONS_DIR

MAX_ROWS = 200_000  # row-check frames larger than this are sampled (codes and shares of missing)

# Data Docs show a failed check's unexpected values; for these columns they would be PII.
# Besides these, every column whose name contains "name" (see `is_personal`).
PERSONAL_COLUMNS = frozenset({"birth_date", "birth_city", "suffix"})
SHOWN = "SUMMARY"
# Counts and percentages only: no unexpected values in results or Data Docs.
HIDDEN = {"result_format": "SUMMARY", "exclude_unexpected_values": True}


def is_personal(column: str) -> bool:
    """True when a column's values identify a person (names, birth date, birth city)."""
    return "name" in column.lower() or column.lower() in PERSONAL_COLUMNS


@dataclass(frozen=True)
class SuiteSpec:
    """One suite file: name, relation, frame SQL and expectation configurations."""

    name: str
    relation: str
    sql: str
    description: str
    expectations: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def frame_sql(self) -> str:
        latest = LATEST_SUBMISSION_SQL.format(relation=self.relation)
        return self.sql.format(relation=self.relation, latest_submission=latest)


# `{latest_submission}` in a suite's SQL: the rows of each state's latest submission, by a semi
# join with each state's latest stamp (it skips the older row groups, where a window over every
# row read them all).
LATEST_SUBMISSION_SQL = (
    "select r.* from {relation} as r"
    " semi join (select state, max(stamp) as stamp from {relation} group by state) as latest"
    " on r.state is not distinct from latest.state and r.stamp = latest.stamp"
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result on one frame (no values from the rows)."""

    suite: str
    expectation: str
    column: str
    success: bool
    unexpected_percent: float | None


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[SuiteSpec]:
    """Every `*.json` suite of the folder, in name order."""
    specs = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        specs.append(
            SuiteSpec(
                name=data["name"],
                relation=data["relation"],
                sql=data.get("sql", "select * from {relation}"),
                description=data.get("description", ""),
                expectations=tuple(data["expectations"]),
            )
        )
    return specs


# Exact checks: a sample could miss a duplicate, so they are counted in DuckDB on every row.
KEY_CHECKS = frozenset(
    {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
)


def expectation_columns(config: dict[str, Any]) -> list[str]:
    """The columns one expectation reads (`column`, `column_list`, `column_A`/`column_B`)."""
    kwargs = config["kwargs"]
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_list" in kwargs:
        return list(kwargs["column_list"])
    return [kwargs[k] for k in ("column_A", "column_B") if k in kwargs]


def _columns(expectations: tuple[dict[str, Any], ...]) -> list[str]:
    """The columns a set of expectations reads, in first-use order, each once."""
    return list(dict.fromkeys(c for e in expectations for c in expectation_columns(e)))


@dataclass(frozen=True)
class Batch:
    """One GE validation: some of a suite's expectations and the frame they run on.

    `rows` counts the suite's whole frame in DuckDB, so percentages of the key checks (run on
    the duplicated keys only) are shares of every row.
    """

    name: str
    spec: SuiteSpec
    expectations: tuple[dict[str, Any], ...]
    frame: pd.DataFrame
    rows: int
    exact_keys: bool = False

    @property
    def hides_values(self) -> bool:
        """True when the batch reads a personal column: its results must not show values."""
        return any(is_personal(c) for c in _columns(self.expectations))


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _to_pandas(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's rows through Arrow (dates as datetime64, like the frames GE expects; decimals
    as float64, see `float_decimals`)."""
    table = con.sql(sql).to_arrow_table()
    return table.cast(float_decimals(table.schema)).to_pandas(date_as_object=False)


def float_decimals(schema: pa.Schema) -> pa.Schema:
    """`schema` with its decimals of at most 15 digits as float64.

    GE's between check calls a Python function on each value of a column of Decimal objects
    (0.4 s of CPU for the 200,000 credits of raw_courses) and is vectorised on float64. The
    outcome is the same: a double tells apart any two numbers of 15 significant digits, so such
    a decimal and its nearest double compare alike with a bound that is a decimal of at most 15
    digits held exactly by a double, as every bound of the suites is (0, 10, 0.25; a test checks).
    """
    return pa.schema(
        [
            f.with_type(pa.float64())
            if pa.types.is_decimal(f.type) and f.type.precision <= 15
            else f
            for f in schema
        ]
    )


def read_batches(
    con: duckdb.DuckDBPyConnection, specs: list[SuiteSpec], max_rows: int = MAX_ROWS
) -> list[Batch]:
    """The batches of each suite whose relation exists.

    Row checks get only the columns they read, every row up to `max_rows` and a uniform
    sample above (they check codes and shares of missing values). Uniqueness checks get the
    rows whose key occurs more than once in the whole frame, found in DuckDB: the same pass or
    fail as on every row, on a frame as small as the duplicates.
    """
    batches = []
    for spec in specs:
        if not relation_exists(con, *spec.relation.split(".", 1)):
            continue
        frame_sql = spec.frame_sql()
        rows = con.execute(f"select count(*) from ({frame_sql})").fetchall()[0][0]
        row_checks = tuple(e for e in spec.expectations if e["type"] not in KEY_CHECKS)
        key_checks = tuple(e for e in spec.expectations if e["type"] in KEY_CHECKS)
        if row_checks:
            sample = f" using sample reservoir({max_rows} rows)" if rows > max_rows else ""
            columns = ", ".join(_quote(c) for c in _columns(row_checks))
            frame = _to_pandas(con, f"select {columns} from ({frame_sql}){sample}")
            batches.append(Batch(spec.name, spec, row_checks, frame, rows))
        if key_checks:
            columns = ", ".join(_quote(c) for c in _columns(key_checks))
            repeated = " or ".join(
                f"count(*) over (partition by {', '.join(_quote(c) for c in expectation_columns(e))}) > 1"
                for e in key_checks
            )
            frame = _to_pandas(con, f"select {columns} from ({frame_sql}) qualify {repeated}")
            batches.append(Batch(f"{spec.name}_keys", spec, key_checks, frame, rows, True))
    return batches


def _expectation(config: dict[str, Any]) -> Any:
    import great_expectations as gx

    class_name = "".join(part.capitalize() for part in config["type"].split("_"))
    return getattr(gx.expectations, class_name)(**config["kwargs"])


def _quiet_context(docs_dir: Path) -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name="local",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def validate(batches: list[Batch], docs_dir: Path) -> list[ExpectationOutcome]:
    """Run every batch in one ephemeral GE context; build Data Docs once; one outcome per check.

    Imports Great Expectations when it is not yet (seconds): quality.run calls this in a
    background thread while the rules run.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _quiet_context(docs_dir)
    source = context.data_sources.add_pandas("warehouse_frames")
    outcomes: list[ExpectationOutcome] = []
    for batch in batches:
        definition = source.add_dataframe_asset(name=batch.name)
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=batch.name,
                expectations=[_expectation(c) for c in batch.expectations],
                meta={"description": batch.spec.description, "relation": batch.spec.relation},
            )
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=batch.name,
                data=definition.add_batch_definition_whole_dataframe("all"),
                suite=suite,
            )
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{batch.name}_checkpoint",
                validation_definitions=[validation],
                result_format=HIDDEN if batch.hides_values else SHOWN,
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": batch.frame})
        for run_result in result.run_results.values():
            outcomes.extend(_outcomes(batch, run_result))
    context.build_data_docs()  # once for all suites: rendering is the slow part
    return outcomes


def _outcomes(batch: Batch, run_result: Any) -> list[ExpectationOutcome]:
    outcomes = []
    for item in run_result.results:
        config = item.expectation_config
        result = item.result or {}
        percent = result.get("unexpected_percent")
        if batch.exact_keys and result.get("unexpected_count") is not None:
            # the frame held the duplicated keys only: the share is of the whole frame's rows
            percent = 100.0 * result["unexpected_count"] / batch.rows if batch.rows else 0.0
        outcomes.append(
            ExpectationOutcome(
                suite=batch.spec.name,
                expectation=config.type,
                column=",".join(expectation_columns({"kwargs": config.kwargs})),
                success=bool(item.success),
                unexpected_percent=None if percent is None else float(percent),
            )
        )
    return outcomes


def outcomes_frame(outcomes: list[ExpectationOutcome]) -> pd.DataFrame:
    return pd.DataFrame(
        [o.__dict__ for o in outcomes],
        columns=["suite", "expectation", "column", "success", "unexpected_percent"],
    )
