"""Run dbt in-process against the warehouse file.

dbt-duckdb resolves relative paths from the working directory, so every invocation runs with
the dbt project as its working directory and the warehouse path passed through MSIX_WAREHOUSE
(read by `dbt_project/profiles.yml`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from msix import paths
from msix.logs import get_logger

log = get_logger("dbt")


class DbtFailure(RuntimeError):
    """dbt finished with failed models or tests; the message names them."""


@dataclass(frozen=True)
class NodeResult:
    name: str
    status: str
    seconds: float
    message: str


@contextmanager
def _in_project(warehouse: Path) -> Iterator[None]:
    previous_dir = Path.cwd()
    previous_env = os.environ.get("MSIX_WAREHOUSE")
    os.environ["MSIX_WAREHOUSE"] = str(warehouse)
    os.chdir(paths.DBT_PROJECT_DIR)
    try:
        yield
    finally:
        os.chdir(previous_dir)
        if previous_env is None:
            os.environ.pop("MSIX_WAREHOUSE", None)
        else:
            os.environ["MSIX_WAREHOUSE"] = previous_env


PARSE_CACHE_NAME = "partial_parse.msgpack"


def _parse_cache(warehouse: Path, vars_: dict[str, object] | None) -> Path:
    """dbt's parse cache for one warehouse and set of vars, shared by runs whose artifacts go
    to per-run target paths (the scheduled runs of one warehouse).

    dbt reuses it only when project files, profile (the warehouse path) and vars match, else it
    parses in full, so seeding a new run's target path with it is safe.
    """
    import hashlib
    import json

    identity = json.dumps([str(warehouse), vars_ or {}], sort_keys=True)
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return paths.DBT_PROJECT_DIR / "target" / "parse_cache" / key / PARSE_CACHE_NAME


def _copy_if_newer(source: Path, target: Path) -> None:
    """Copy `source` over `target` atomically when it is newer (concurrent runs never see half)."""
    if not source.is_file():
        return
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.copy2(source, partial)
    os.replace(partial, target)


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in a class-level cache after a run.

    Without this, the next step in the same process (`msix run`, `dag.test()`) cannot open the
    warehouse file ("Unique file handle conflict ... already attached").
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


def run_dbt(
    command: Sequence[str],
    warehouse: Path,
    *,
    target_path: Path | None = None,
    vars_: dict[str, object] | None = None,
) -> list[NodeResult]:
    """Run one dbt command (e.g. `["build", "--select", "staging"]`) and return per-node results.

    Raises DbtFailure naming every node that errored or failed.
    """
    from dbt.cli.main import dbtRunner  # heavy import, kept out of module import time

    args = [
        *command,
        "--project-dir",
        str(paths.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(paths.DBT_PROJECT_DIR),
    ]
    if target_path is not None:
        target_path.mkdir(parents=True, exist_ok=True)
        _copy_if_newer(_parse_cache(warehouse, vars_), target_path / PARSE_CACHE_NAME)
        args += ["--target-path", str(target_path)]
    if vars_:
        import json

        args += ["--vars", json.dumps(vars_)]
    with _in_project(warehouse):
        try:
            outcome = dbtRunner().invoke(args)
        finally:
            _release_warehouse()
    if target_path is not None:
        _copy_if_newer(target_path / PARSE_CACHE_NAME, _parse_cache(warehouse, vars_))
    results: list[NodeResult] = []
    if outcome.result is not None and hasattr(outcome.result, "results"):
        for r in outcome.result.results:
            results.append(
                NodeResult(
                    name=getattr(r.node, "name", str(r.node)),
                    status=str(r.status),
                    seconds=float(getattr(r, "execution_time", 0.0) or 0.0),
                    message=str(getattr(r, "message", "") or ""),
                )
            )
    for r in results:
        log.info("dbt %s %s in %.2fs", r.status, r.name, r.seconds)
    failed = [r for r in results if r.status in {"error", "fail", "runtime error"}]
    if failed or not outcome.success:
        names = ", ".join(f"{r.name} ({r.status})" for r in failed) or str(outcome.exception)
        raise DbtFailure(f"dbt {' '.join(command)} failed: {names}")
    return results
