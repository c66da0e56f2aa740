"""What commands print and export: tables for people, plain text for pipes, safe files.

Rich tables when stdout is a terminal, tab-separated plain text when it is piped (so `msix status
| grep TX` works). Exports are CSV (spreadsheet-safe), Parquet or a self-contained HTML table.
"""

from __future__ import annotations

import csv
import html
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

EXPORT_FORMATS = ("csv", "parquet", "html")

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_interactive(stream: TextIO | None = None) -> bool:
    """True when the stream (default stdout) is a terminal rather than a pipe or a file."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def display(value: Any) -> str:
    """One cell as text: empty for NULL, ISO for dates, trailing zeros kept for decimals."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(display(v) for v in value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    stream: TextIO | None = None,
) -> None:
    """A titled table: rich when interactive, else `# title` then a header and tab-separated rows."""
    stream = stream or sys.stdout
    if is_interactive(stream):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for i, name in enumerate(columns):
            numeric = all(_is_number(row[i]) for row in rows if row[i] is not None)
            table.add_column(name, justify="right" if rows and numeric else "left")
        for row in rows:
            table.add_row(*(display(v) for v in row))
        if not rows:
            table.caption = "(none)"
        Console(file=stream).print(table)
        return
    stream.write(f"# {title}\n")
    stream.write("\t".join(columns) + "\n")
    for row in rows:
        stream.write("\t".join(display(v).replace("\t", " ") for v in row) + "\n")
    if not rows:
        stream.write("(none)\n")
    stream.write("\n")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def print_fields(
    title: str, pairs: Sequence[tuple[str, Any]], stream: TextIO | None = None
) -> None:
    """A titled list of `name: value` lines (a one-record view)."""
    print_table(title, ("field", "value"), [(k, v) for k, v in pairs], stream)


def print_message(text: str, stream: TextIO | None = None) -> None:
    """A line of prose, the same in a terminal and in a pipe."""
    (stream or sys.stdout).write(text + "\n")


def neutralise_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: formula-looking text gets a leading apostrophe."""
    text = display(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_texts(texts: Iterable[str]) -> list[str]:
    """`neutralise_cell` of each text (a text displays as itself), without a call per text."""
    return [("'" + t) if t.startswith(_FORMULA_PREFIXES) else t for t in texts]


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Spreadsheet-safe CSV file (see `csv_to`)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv_to(handle, columns, rows)


def csv_to(handle: TextIO, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Spreadsheet-safe CSV: every cell (headers too) neutralised, RFC 4180 quoting."""
    csv_of_cells(handle, columns, ([neutralise_cell(v) for v in row] for row in rows))


def csv_of_cells(
    handle: TextIO, columns: Sequence[str], cell_rows: Iterable[Sequence[str]]
) -> None:
    """`csv_to` for rows whose cells `neutralise_cell` already rendered."""
    writer = csv.writer(handle)
    writer.writerow([neutralise_cell(c) for c in columns])
    writer.writerows(cell_rows)


def write_parquet(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Parquet with the values' own types (dates stay dates, decimals stay decimals)."""
    import pyarrow as pa  # imported here: only exports need it, the CLI starts faster
    import pyarrow.parquet as pq

    data = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    pq.write_table(pa.table(data), path)


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An escaped HTML <table> fragment."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(display(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(
    path: Path, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """A self-contained HTML page holding one table (no external resources)."""
    path.write_text(html_page(title, columns, rows), encoding="utf-8")


def html_page(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The text of a self-contained HTML page holding one table."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
        "th{background:#f0f3f7}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{html_table(columns, rows)}</body></html>\n"
    )


def format_for(path: Path | None, fmt: str | None) -> str | None:
    """The export format: the one asked for, else the output file's suffix, else None (a table)."""
    if fmt:
        return fmt
    if path is None:
        return None
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in EXPORT_FORMATS else "csv"


def export_to_stdout(
    fmt: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """CSV or HTML on stdout (`msix report moves --format csv > moves.csv`); Parquet needs a file."""
    if fmt == "parquet":
        raise ValueError("parquet is binary: give a file with --out")
    if fmt == "csv":
        csv_to(sys.stdout, columns, rows)
    else:
        sys.stdout.write(html_page(title, columns, rows))


def export(
    path: Path, fmt: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Path:
    """Write rows as `fmt` (csv, parquet or html) to `path`, creating its folder."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_csv(path, columns, rows)
    elif fmt == "parquet":
        write_parquet(path, columns, rows)
    else:
        write_html(path, title, columns, rows)
    return path
