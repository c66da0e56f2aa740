"""`msix status`, `msix student MSIX_ID`, `msix report`: reading the warehouse.

Every command opens the warehouse read-only (`--warehouse` picks the file), prints rich tables
in a terminal and plain tab-separated text when piped (msix.output), and says plainly when a
relation it needs is not built yet.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from msix import db, output
from msix.commands.common import add_warehouse_arg, settings_from
from msix.settings import Settings
from reports import data

MAX_MERGE_HOPS = 50
_MSIX_ID = re.compile(r"^\d{12}$")
# Identity fields of a state's record, as the consolidated record shows them.
STATE_VERSION_COLUMNS = (
    "state", "state_student_id", "stamp", "is_deleted", "msix_id", "first_name", "middle_name",
    "last_name_1", "last_name_2", "suffix", "sex", "birth_date", "multiple_birth", "birth_city",
    "birth_state", "birth_country", "parent1_first_name", "parent1_last_name",
    "parent2_first_name", "parent2_last_name",
)  # fmt: skip


CONFLICT_SUFFIX = "_has_conflict"
# The child's records shown after the identity: (title, marts relation, order).
RECORD_SECTIONS = (
    ("Enrollments (date order)", "fct_enrollment", "enrollment_date, state, school_id"),
    ("Moves", "fct_move", "coalesce(arrival_date, departure_date), from_state, to_state"),
    ("Courses and credits", "fct_course", "school_year, state, term_type, course_title"),
    ("Assessments", "fct_assessment", "administration_date, assessment_title"),
)


class WarehouseMissing(Exception):
    """The warehouse file does not exist yet."""


def open_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only, or a clear error naming the missing file."""
    if not settings.warehouse.exists():
        raise WarehouseMissing(
            f"no warehouse at {settings.warehouse}: run `msix run` (or pass --warehouse)"
        )
    return db.connect(settings.warehouse, read_only=True)


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a query."""
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description or []]
    return columns, cursor.fetchall()


def not_built(relation: tuple[str, str]) -> None:
    output.print_message(f"{data.qualified(relation)}: not built yet")


# ---------------------------------------------------------------- status


def show_status(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Last runs, then files loaded and rejected, from raw.load_manifest."""
    output.print_table(
        "Last runs", ("run", "layer", "finished", "nodes", "failed"), last_runs(settings)
    )
    if not db.relation_exists(con, *data.LOAD_MANIFEST):
        not_built(data.LOAD_MANIFEST)
        return
    manifest = data.qualified(data.LOAD_MANIFEST)
    queries = (
        (
            "Files by state and status",
            "select state, status, count(*) as files, sum(rows_read) as rows_read, "
            "sum(rows_loaded) as rows_loaded, sum(rows_quarantined) as rows_quarantined, "
            f"max(loaded_at) as last_loaded_at from {manifest} group by all order by 1, 2",
        ),
        (
            "Latest files",
            "select loaded_at, state, file_name, status, rows_read, rows_loaded, "
            f"rows_quarantined from {manifest} order by loaded_at desc, file_name limit 20",
        ),
        (
            "Rejected files",
            f"select loaded_at, state, file_name, reason from {manifest} "
            "where status = 'rejected' order by loaded_at desc, file_name",
        ),
    )
    for title, sql in queries:
        output.print_table(title, *fetch(con, sql))


def last_runs(settings: Settings, limit: int = 10) -> list[tuple[str, str, str, int, int]]:
    """dbt runs recorded under artifacts/dbt/<run>/<layer>/run_results.json, newest first."""
    root = settings.artifacts_dir / "dbt"
    results = sorted(
        root.glob("*/*/run_results.json") if root.is_dir() else [],
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    rows = []
    for path in results[:limit]:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        nodes = payload.get("results", [])
        failed = sum(1 for n in nodes if n.get("status") in ("error", "fail"))
        finished = str(payload.get("metadata", {}).get("generated_at", ""))[:19]
        rows.append((path.parent.parent.name, path.parent.name, finished, len(nodes), failed))
    return rows


def pipe_safe(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command that ends quietly when its reader goes away (`msix status | head`)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
            return 0

    return run


@pipe_safe
def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    with _reading(settings) as con:
        if con is None:
            return 1
        show_status(con, settings)
    return 0


# ---------------------------------------------------------------- student


def resolve_msix_id(con: duckdb.DuckDBPyConnection, msix_id: str) -> tuple[str, list[str]]:
    """The surviving ID for `msix_id` and the retired IDs followed to reach it."""
    if not db.relation_exists(con, "identity", "national_ids"):
        return msix_id, []
    chain: list[str] = []
    current = msix_id
    for _ in range(MAX_MERGE_HOPS):
        row = con.execute(
            "select status, merged_into from identity.national_ids where msix_id = ?", [current]
        ).fetchone()
        if not row or row[0] != "retired" or not row[1]:
            break
        chain.append(current)
        current = str(row[1])
    return current, chain


def show_student(con: duckdb.DuckDBPyConnection, msix_id: str) -> bool:
    """Print the consolidated record of one national ID; False when the ID is unknown."""
    survivor, retired = resolve_msix_id(con, msix_id)
    if retired:
        output.print_message(
            f"{msix_id} was retired; it resolves to {survivor} (via {' -> '.join(retired)})"
        )
    if not db.relation_exists(con, *data.DIM_STUDENT):
        not_built(data.DIM_STUDENT)
        return False
    columns, rows = fetch(con, "select * from marts.dim_student where msix_id = ?", [survivor])
    if not rows:
        output.print_message(f"no student with national ID {survivor}")
        return False
    best = dict(zip(columns, rows[0], strict=True))
    output.print_fields(
        f"Consolidated record {survivor}: best values",
        [(k, v) for k, v in best.items() if not k.endswith(CONFLICT_SUFFIX)],
    )
    versions = state_versions(con, survivor)
    if versions is None:
        not_built(data.XWALK)
    else:
        output.print_table("Each state's version of the identity", *versions)
        output.print_table(
            "Conflicts (fields where states disagree)",
            ("field", "best value", "values by state"),
            conflicts(best, *versions),
        )
    for title, name, order in RECORD_SECTIONS:
        if not db.relation_exists(con, "marts", name):
            not_built(("marts", name))
            continue
        sql = f"select * exclude (msix_id) from marts.{name} where msix_id = ? order by {order}"
        output.print_table(title, *without_keys(*fetch(con, sql, [survivor])))
    return True


def without_keys(
    columns: list[str], rows: list[tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Drop surrogate keys (`*_key`, `move_id`): hashes that mean nothing to a reader."""
    keep = [i for i, c in enumerate(columns) if not (c.endswith("_key") or c == "move_id")]
    return [columns[i] for i in keep], [tuple(row[i] for i in keep) for row in rows]


def state_versions(
    con: duckdb.DuckDBPyConnection, msix_id: str
) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Every state's latest version of the child's identity, with the state's echoed msix_id."""
    if not db.relation_exists(con, *data.XWALK):
        return None
    if not db.relation_exists(con, "intermediate", "int_student_records_latest"):
        return fetch(
            con,
            "select state, state_student_id from marts.xwalk_student_identity "
            "where msix_id = ? order by state, state_student_id",
            [msix_id],
        )
    available = set(data.columns_of(con, ("intermediate", "int_student_records_latest")))
    picked = [c for c in STATE_VERSION_COLUMNS if c in available]
    select = ", ".join(f"r.{c} as echoed_msix_id" if c == "msix_id" else f"r.{c}" for c in picked)
    return fetch(
        con,
        f"select {select} from marts.xwalk_student_identity x "
        "join intermediate.int_student_records_latest r using (state, state_student_id) "
        "where x.msix_id = ? order by r.state, r.state_student_id",
        [msix_id],
    )


def conflicts(
    best: dict[str, Any], columns: list[str], versions: list[tuple[Any, ...]]
) -> list[tuple[str, Any, str]]:
    """Fields dim_student flags (`<field>_has_conflict`), each with every state's value."""
    rows = []
    for flag, value in best.items():
        if not flag.endswith(CONFLICT_SUFFIX) or not value:
            continue
        name = flag[: -len(CONFLICT_SUFFIX)]
        if name in columns:
            i, state = columns.index(name), columns.index("state")
            by_state = "; ".join(f"{v[state]}: {output.display(v[i])}" for v in versions)
        else:
            by_state = ""
        rows.append((name, best.get(name), by_state))
    return rows


@pipe_safe
def cmd_student(args: argparse.Namespace) -> int:
    if not _MSIX_ID.match(args.msix_id):
        print(
            f"error: national ID must be 12 digits, got {len(args.msix_id)} characters",
            file=sys.stderr,
        )
        return 2
    settings = settings_from(args)
    with _reading(settings) as con:
        if con is None:
            return 1
        return 0 if show_student(con, args.msix_id) else 1


# ---------------------------------------------------------------- report


@dataclass(frozen=True)
class ReportFilter:
    """What `msix report` narrows to: a state and an inclusive range of months (YYYY-MM...)."""

    state: str | None = None
    first: str | None = None
    last: str | None = None


def moves_report(
    con: duckdb.DuckDBPyConnection, min_cell: int, where: ReportFilter
) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Published monthly moves touching the state (either end) within the months."""
    cells = data.moves_monthly(con, min_cell)
    if cells is None:
        return None
    rows = [
        (c.from_state, c.to_state, c.month, c.moves, c.moves is None)
        for c in cells
        if (where.state is None or where.state in (c.from_state, c.to_state))
        and (where.first is None or c.month >= where.first[:7])
        and (where.last is None or c.month <= where.last[:7])
    ]
    return ["from_state", "to_state", "month", "moves", "suppressed"], rows


def credits_report(
    con: duckdb.DuckDBPyConnection, min_cell: int, where: ReportFilter
) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Credits per state, school year and subject; the months pick school years by start year."""
    first = int(where.first[:4]) if where.first else None
    last = int(where.last[:4]) if where.last else None
    return data.credits_by_state_year(con, min_cell, where.state, first, last)


REPORTS = {
    "moves": (moves_report, data.MOVES_MONTHLY),
    "credits": (credits_report, ("marts", "fct_course")),
}


@pipe_safe
def cmd_report(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    build, relation = REPORTS[args.kind]
    state = args.state.upper() if args.state else None
    with _reading(settings) as con:
        if con is None:
            return 1
        result = build(
            con, settings.min_cell_size, ReportFilter(state, args.date_from, args.date_to)
        )
    if result is None:
        not_built(relation)
        return 1
    columns, rows = result
    title = f"{args.kind} report" + (f" for {state}" if state else "")
    fmt = output.format_for(args.out, args.format)
    if fmt is None:
        output.print_table(title, columns, rows)
        return 0
    if args.out is None:
        try:
            output.export_to_stdout(fmt, title, columns, rows)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    try:
        path = output.export(args.out, fmt, title, columns, rows)
    except OSError as exc:  # --out names a folder, or a place that cannot be written
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    output.print_message(f"wrote {len(rows)} rows to {path}")
    return 0


# ---------------------------------------------------------------- wiring


class _reading:
    """Context manager: a read-only connection, or None after printing why there is none."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> duckdb.DuckDBPyConnection | None:
        try:
            self.con = open_read_only(self.settings)
        except WarehouseMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
        return self.con

    def __exit__(self, *exc: object) -> None:
        if self.con is not None:
            self.con.close()


def _month(value: str) -> str:
    """Accept YYYY-MM or YYYY-MM-DD (argparse type)."""
    if not re.match(r"^\d{4}-\d{2}(-\d{2})?$", value):
        raise argparse.ArgumentTypeError(f"expected YYYY-MM or YYYY-MM-DD, got {value!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="last runs, files loaded and rejected")
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("student", help="print the consolidated record of one national ID")
    p.add_argument("msix_id", help="12-digit national ID (a retired ID resolves to its survivor)")
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_student)

    p = sub.add_parser("report", help="moves or credits, filtered, as a table or a file")
    p.add_argument("kind", choices=sorted(REPORTS))
    p.add_argument("--state", help="two-letter state (moves: origin or destination)")
    p.add_argument("--from", dest="date_from", type=_month, help="first month YYYY-MM")
    p.add_argument("--to", dest="date_to", type=_month, help="last month YYYY-MM")
    p.add_argument(
        "--format",
        choices=output.EXPORT_FORMATS,
        help="csv, parquet or html (default: a table, or the --out file's suffix)",
    )
    p.add_argument("--out", type=Path, help="write the report to this file")
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_report)
