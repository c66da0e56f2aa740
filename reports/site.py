"""The static report site: aggregate pages with inline SVG charts, written beside the warehouse.

`build_site(settings)` opens the warehouse read-only, reads the published aggregates
(`reports.data`), and writes one HTML file per page into `settings.reports_dir`. A relation
that is not built yet becomes a "not built yet" section, never a failure. Pages carry no
names or birth dates and show suppressed cells as "s".
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from msix import db
from msix.logs import get_logger
from msix.settings import Settings
from reports import charts, data

log = get_logger("reports")
K = TypeVar("K")

PAGES = (
    ("index.html", "Overview"),
    ("moves.html", "Moves between states"),
    ("monthly.html", "Monthly moves"),
    ("credits.html", "Credit accrual"),
    ("quality.html", "Data quality"),
)


@dataclass(frozen=True)
class Cell:
    """One table cell as shown: its text and whether it is a number (right-aligned)."""

    text: str
    num: bool = False


def cell(value: object) -> Cell:
    """Numbers formatted, None shown as suppressed ("s"), anything else as text."""
    if value is None:
        return Cell(charts.SUPPRESSED, True)
    if isinstance(value, bool):
        return Cell(str(value).lower())
    if isinstance(value, int | float):
        return Cell(charts.fmt_value(value), True)
    return Cell(str(value))


@dataclass
class Section:
    """One box of a page: a chart, a table, links, or a "not built yet" notice."""

    title: str
    text: str = ""
    chart: str = ""
    columns: tuple[str, ...] = ()
    rows: list[list[Cell]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    missing: str = ""

    @property
    def anchor(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower())


@dataclass
class SiteReport:
    """What `build_site` wrote: pages, relations not built yet, suppressed cells shown."""

    site_dir: Path
    pages: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    suppressed_cells: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "pages": len(self.pages),
            "relations_missing": len(set(self.missing)),
            "pages_unreadable": len(self.unreadable),
            "suppressed_cells": self.suppressed_cells,
        }

    def notes(self) -> list[str]:
        notes = [f"site: {self.site_dir / 'index.html'}"]
        if self.missing:
            notes.append("not built yet: " + ", ".join(sorted(set(self.missing))))
        if self.unreadable:
            notes.append("could not be read: " + ", ".join(self.unreadable))
        return notes


def build_site(settings: Settings) -> SiteReport:
    """Write every page of the report site into `settings.reports_dir` and say what it holds."""
    site_dir = settings.reports_dir
    site_dir.mkdir(parents=True, exist_ok=True)
    report = SiteReport(site_dir)
    pages = _read_pages(settings, report)
    env = Environment(
        loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"])
    )
    template = env.get_template("page.html")
    nav = [{"file": f, "title": t} for f, t in PAGES]
    built_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for file_name, title in PAGES:
        intro, sections = pages[file_name]
        html = template.render(
            title=title,
            intro=intro,
            sections=sections,
            nav=nav,
            current=file_name,
            built_at=built_at,
            warehouse_name=settings.warehouse.name,
            min_cell=settings.min_cell_size,
        )
        (site_dir / file_name).write_text(html, encoding="utf-8")
        report.pages.append(file_name)
        report.suppressed_cells += sum(
            1 for s in sections for row in s.rows for c in row if c.text == charts.SUPPRESSED
        )
    log.info(
        "report site: %d pages, %d suppressed cells", len(report.pages), report.suppressed_cells
    )
    return report


def _read_pages(settings: Settings, report: SiteReport) -> dict[str, tuple[str, list[Section]]]:
    """Every page's sections, read in one read-only session (or all missing without a warehouse)."""
    min_cell = settings.min_cell_size
    if not settings.warehouse.exists():
        report.missing.append(str(settings.warehouse.name))
        con = duckdb.connect()  # an empty in-memory database: every relation is "not built yet"
    else:
        con = db.connect(settings.warehouse, read_only=True)
    builders: dict[str, Callable[[], tuple[str, list[Section]]]] = {
        "index.html": lambda: _overview_page(data.overview(con, min_cell), settings, report),
        "moves.html": lambda: _moves_page(data.moves_monthly(con, min_cell), report),
        "monthly.html": lambda: _monthly_page(data.moves_monthly(con, min_cell), report),
        "credits.html": lambda: _credits_page(data.credit_accrual(con, min_cell), report),
        "quality.html": lambda: _quality_page(data.quality(con, min_cell), report),
    }
    pages = {}
    try:
        for file_name, build in builders.items():
            try:
                pages[file_name] = build()
            except duckdb.Error as exc:  # a relation of another shape: say so, build the rest
                problem = _describe(exc)
                log.warning("report page %s could not be read: %s", file_name, problem)
                report.unreadable.append(file_name)
                pages[file_name] = ("", [Section("Could not be read", text=problem)])
    finally:
        con.close()
    return pages


def _describe(exc: duckdb.Error) -> str:
    """The error's type, and its message only when it is about names (a conversion error can
    quote a value from a student row, so its message is never shown)."""
    if isinstance(exc, duckdb.BinderException | duckdb.CatalogException):
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return f"{type(exc).__name__} (message withheld: it may quote a value)"


def published_totals(
    cells: Iterable[tuple[K, int | None]],
) -> dict[K, tuple[int | None, bool]]:
    """Per key: the sum of its published cells (None when all are suppressed) and whether any
    cell was suppressed. Only published values are added, so a total never reveals a cell."""
    totals: dict[K, tuple[int | None, bool]] = {}
    for key, value in cells:
        total, partial = totals.get(key, (None, False))
        if value is None:
            totals[key] = (total, True)
        else:
            totals[key] = ((total or 0) + value, partial)
    return totals


def _missing(title: str, relation: tuple[str, str], report: SiteReport) -> Section:
    name = data.qualified(relation)
    report.missing.append(name)
    return Section(title, missing=name)


def _overview_page(
    ov: data.Overview, settings: Settings, report: SiteReport
) -> tuple[str, list[Section]]:
    figures = [
        ("national IDs in use", ov.national_ids),
        ("state records linked", ov.state_records),
        ("states submitting", ov.states),
        *((f"files {status}", count) for status, count in sorted(ov.files.items())),
        (
            "last file loaded at",
            ov.last_loaded_at.isoformat(" ", "seconds") if ov.last_loaded_at else "-",
        ),
    ]
    sections = [
        Section(
            "At a glance",
            columns=("figure", "value"),
            rows=[[cell(k), cell(v)] for k, v in figures],
        ),
        Section(
            "Pages",
            links=[(t, f) for f, t in PAGES if f != "index.html"],
        ),
        Section(
            "Model and data documentation",
            text="Generated by the pipeline run beside the warehouse file.",
            links=[
                (
                    "dbt docs (models, columns, lineage)",
                    _doc_link(settings.artifacts_dir / "dbt", settings),
                ),
                (
                    "Great Expectations Data Docs",
                    _doc_link(settings.artifacts_dir / "data_docs", settings),
                ),
            ],
        ),
    ]
    return "The exchange at a glance.", sections


def _doc_link(folder: Path, settings: Settings) -> str:
    """Relative link from the site to the newest index.html under `folder`, or "" when absent."""
    if not folder.is_dir():
        return ""
    candidates = sorted(folder.rglob("index.html"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not candidates:
        return ""
    return Path(os.path.relpath(candidates[0], settings.reports_dir)).as_posix()


def _moves_page(moves: list[data.MoveCell] | None, report: SiteReport) -> tuple[str, list[Section]]:
    intro = (
        "Interstate moves by origin (rows) and destination (columns), summed over the published "
        "monthly cells. 's' marks a pair whose every month is suppressed; '+s' a total that "
        "leaves out suppressed months."
    )
    if moves is None:
        return intro, [_missing("Flow matrix", data.MOVES_MONTHLY, report)]
    pairs = published_totals(
        ((m.from_state, m.to_state), m.moves) for m in moves if m.from_state != m.to_state
    )
    origins = sorted({f for f, _ in pairs})
    destinations = sorted({t for _, t in pairs})
    matrix = charts.flow_matrix(
        "flow-matrix", origins, destinations, pairs, "Moves by origin and destination state"
    )
    ranked = sorted(pairs.items(), key=lambda kv: (kv[1][0] is None, -(kv[1][0] or 0), kv[0]))
    rows = [
        [cell(f), cell(t), cell(v), cell("yes" if partial and v is not None else "")]
        for (f, t), (v, partial) in ranked
    ]
    return intro, [
        Section("Flow matrix", chart=Markup(matrix)),
        Section(
            "Pairs by published moves",
            columns=("from", "to", "moves", "some months suppressed"),
            rows=rows,
        ),
    ]


def _monthly_page(
    moves: list[data.MoveCell] | None, report: SiteReport
) -> tuple[str, list[Section]]:
    intro = "Published interstate moves per month, and how many origin-destination cells were suppressed."
    if moves is None:
        return intro, [_missing("Moves per month", data.MOVES_MONTHLY, report)]
    published: dict[str, int] = defaultdict(int)
    suppressed: dict[str, int] = defaultdict(int)
    for m in moves:
        if m.from_state == m.to_state:
            continue
        if m.moves is None:
            suppressed[m.month] += 1
        else:
            published[m.month] += m.moves
    months = sorted(set(published) | set(suppressed))
    values = [published.get(month) for month in months]
    chart = charts.bar_chart(
        "monthly-moves", months, values, "Published interstate moves per month"
    )
    rows = [
        [cell(mo), cell(published.get(mo)), Cell(str(suppressed.get(mo, 0)), True)] for mo in months
    ]
    return intro, [
        Section("Moves per month", chart=Markup(chart)),
        Section("By month", columns=("month", "published moves", "suppressed cells"), rows=rows),
    ]


def _credits_page(
    credits: data.CreditSummary | None, report: SiteReport
) -> tuple[str, list[Section]]:
    intro = "Credits granted to secondary students (grades 9-12) across all states, in aggregate."
    if credits is None:
        return intro, [_missing("Credits granted", data.CREDIT_ACCRUAL, report)]
    labels = [b for b, _ in credits.bins]
    chart = charts.bar_chart(
        "credit-bins", labels, [c for _, c in credits.bins], "Students by total credits granted"
    )
    state_chart = charts.hbar_chart(
        "credit-states",
        [s for s, *_ in credits.by_state],
        [a for _, _, a, _ in credits.by_state],
        "Average credits granted by state",
    )
    return intro, [
        Section(
            "Students by credits granted",
            text="Secondary students by the credits granted to them in all states together.",
            chart=Markup(chart),
        ),
        Section(
            "By state holding a record",
            chart=Markup(state_chart),
            columns=("state", "students", "avg credits granted", "avg credits in progress"),
            rows=[[cell(s), cell(n), cell(a), cell(p)] for s, n, a, p in credits.by_state],
        ),
        Section(
            "By subject area",
            columns=("credits column", "students with credits", "credits granted"),
            rows=[[cell(c), cell(n), cell(v)] for c, n, v in credits.by_subject],
        ),
    ]


def _quality_page(
    quality: data.QualitySummary | None, report: SiteReport
) -> tuple[str, list[Section]]:
    intro = "Open data-quality findings by the state that must act, by rule and severity."
    if quality is None:
        return intro, [_missing("Open findings by state", data.DQ_ISSUE, report)]
    totals = published_totals((state, n) for state, _, _, n in quality.cells)
    chart = charts.hbar_chart(
        "dq-states",
        list(totals),
        [total for total, _ in totals.values()],
        "Open findings by state",
    )
    return intro, [
        Section(
            "Open findings by state",
            text=(
                "Bars add up the published cells only (a suppressed cell is left out, so no "
                f"total gives it away). Closed findings: {charts.fmt_value(quality.closed)}."
            ),
            chart=Markup(chart),
        ),
        Section(
            "Open findings by state, rule and severity",
            columns=("state", "rule", "severity", "open findings"),
            rows=[[cell(s), cell(r), cell(v), cell(n)] for s, r, v, n in quality.cells],
        ),
    ]
