"""Great Expectations (1.x) suites from `expectations/*.json`, validated on pandas frames.

Each JSON file names a suite, the relation it checks, the SQL that selects the frame (with
`{relation}`; for raw tables each state's latest submission) and its expectations as
`{"type": "expect_...", "kwargs": {...}}`. Frames are read from DuckDB by the caller (GE's
SQL datasource does not work on DuckDB). Data Docs are rebuilt into a local folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from msix.db import relation_exists
from msix.paths import EXPECTATIONS_DIR

MAX_ROWS = 200_000  # frames larger than this are sampled; the suites check shares, not every row


@dataclass(frozen=True)
class SuiteSpec:
    """One suite file: name, relation, frame SQL and expectation configurations."""

    name: str
    relation: str
    sql: str
    description: str
    expectations: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def frame_sql(self) -> str:
        return self.sql.format(relation=self.relation)


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


def read_frames(con: duckdb.DuckDBPyConnection, specs: list[SuiteSpec]) -> dict[str, pd.DataFrame]:
    """The frame of each suite whose relation exists (sampled above MAX_ROWS)."""
    frames = {}
    for spec in specs:
        if not relation_exists(con, *spec.relation.split(".", 1)):
            continue
        sql = f"select * from ({spec.frame_sql()}) using sample reservoir({MAX_ROWS} rows)"
        frames[spec.name] = con.execute(sql).df()
    return frames


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


def validate(
    specs: list[SuiteSpec], frames: dict[str, pd.DataFrame], docs_dir: Path
) -> list[ExpectationOutcome]:
    """Run each suite that has a frame; build Data Docs into `docs_dir`; one outcome per check."""
    import great_expectations as gx

    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _quiet_context(docs_dir)
    source = context.data_sources.add_pandas("warehouse_frames")
    outcomes: list[ExpectationOutcome] = []
    for spec in specs:
        frame = frames.get(spec.name)
        if frame is None:
            continue
        batch = source.add_dataframe_asset(name=spec.name).add_batch_definition_whole_dataframe(
            "all"
        )
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=spec.name,
                expectations=[_expectation(c) for c in spec.expectations],
                meta={"description": spec.description, "relation": spec.relation},
            )
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{spec.name}_checkpoint",
                validation_definitions=[definition],
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        for run_result in result.run_results.values():
            outcomes.extend(_outcomes(spec.name, run_result))
    context.build_data_docs()  # once for all suites: rendering is the slow part
    return outcomes


def _outcomes(suite: str, run_result: Any) -> list[ExpectationOutcome]:
    outcomes = []
    for item in run_result.results:
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or ",".join(
            kwargs.get("column_list") or [kwargs.get("column_A", ""), kwargs.get("column_B", "")]
        )
        percent = (item.result or {}).get("unexpected_percent")
        outcomes.append(
            ExpectationOutcome(
                suite=suite,
                expectation=config.type,
                column=str(column),
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
