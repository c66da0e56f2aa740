"""Write one submission as files: canonical CSV, a state's own layout, or XML.

All text is built with vectorized string operations on whole columns and joined once; no
per-element DOM and no per-row writer calls.
"""

from __future__ import annotations

import re
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from generator.submissions import DATE_COLUMNS, StateCut, Submission
from generator.text import (
    arrow,
    blank_if_empty,
    concat,
    padded,
    quoted,
    to_objects,
    xml_escaped,
)
from loaders.contract import COLUMNS, RECORD_TYPES, XML_ELEMENTS, column_names, pascal_case
from loaders.layouts import CANONICAL_DATE_FORMAT, Layout

XML_NAMESPACE = "urn:msix-warehouse:submission:1"
# Layout states whose exports end lines with CRLF (Windows systems).
CRLF_STATES = frozenset({"MI"})
# Free-text columns per record type: the only ones that can need quoting or XML escaping.
TEXT_COLUMNS: dict[str, frozenset[str]] = {
    t: frozenset(c.name for c in cols if c.kind == "text") for t, cols in COLUMNS.items()
}
# Canonical states whose files start with a UTF-8 byte-order mark (allowed by the contract).
BOM_STATES = frozenset({"CA"})


def write_state(
    folder: Path, cut: StateCut, layout: Layout, xml: bool
) -> list[tuple[Submission, list[Path]]]:
    """Write every submission of one state into its landing folder; the files of each."""
    folder.mkdir(parents=True, exist_ok=True)
    if xml:
        fragments = xml_fragments(cut)
        out = []
        for sub in cut.submissions:
            path = folder / f"{sub.state}_{sub.stamp}.xml"
            path.write_bytes(xml_document(cut, sub, fragments).encode("utf-8"))
            out.append((sub, [path]))
        return out
    newline = "\r\n" if layout.state in CRLF_STATES else "\n"
    lines = {t: delimited_lines(cut.tables[t], t, layout) for t in RECORD_TYPES}
    written: list[tuple[Submission, list[Path]]] = []
    for sub in cut.submissions:
        paths = []
        for t in RECORD_TYPES:
            header, body = lines[t]
            rows = body[cut.rows(t, sub.k)]
            if len(rows) == 0:
                continue
            head = [header] if header is not None else []
            text = newline.join([*head, *rows.tolist()]) + newline
            path = folder / f"{sub.state}_{sub.stamp}_{t}.csv"
            path.write_bytes(text.encode(_encoding(layout)))
            paths.append(path)
        written.append((sub, paths))
    return written


def _encoding(layout: Layout) -> str:
    """The layout's encoding; canonical files are plain UTF-8 except for BOM_STATES."""
    if layout.is_canonical:
        return "utf-8-sig" if layout.state in BOM_STATES else "utf-8"
    return layout.encoding


def reformat_dates(iso: pd.Series, date_format: str) -> pd.Series:
    """ISO `YYYY-MM-DD` strings in another strptime format made of %Y, %m, %d and literals."""
    if date_format == CANONICAL_DATE_FORMAT:
        return iso
    parts = {"Y": iso.str[0:4], "m": iso.str[5:7], "d": iso.str[8:10]}
    pieces: list[pd.Series | str] = []
    for token in re.split(r"(%[Ymd])", date_format):
        if token.startswith("%"):
            pieces.append(parts[token[1]])
        elif token:
            pieces.append(token)
    out = reduce(lambda a, b: a + b, pieces)  # type: ignore[operator]
    return out.where(iso != "", "")


def _their_columns(table: pd.DataFrame, record_type: str, layout: Layout) -> pd.DataFrame:
    """The table with the state's code values and date format (contract column names kept)."""
    out = {}
    for column in column_names(record_type):
        values = table[column] if column in table else pd.Series("", index=table.index)
        values = values.astype("str")
        if column in DATE_COLUMNS:
            values = reformat_dates(values, layout.date_format)
        codes = layout.codes.get(column)
        if codes:
            inverse = {ours: theirs for theirs, ours in codes.items()}
            values = values.map(inverse).fillna(values).astype("str")
        out[column] = values
    return pd.DataFrame(out)


def delimited_lines(
    table: pd.DataFrame, record_type: str, layout: Layout
) -> tuple[str | None, np.ndarray]:
    """The header (None for fixed width) and one text line per row in the state's layout."""
    data = _their_columns(table, record_type, layout)
    if layout.format == "fixed_width":
        body = fixed_width_lines(data, layout.fixed_width[record_type])
        return None, to_objects(body)
    names = (
        data.columns
        if layout.is_canonical
        else [layout.their_name(record_type, c) for c in data.columns]
    )
    header = layout.delimiter.join(names)
    if data.empty:
        return header, np.array([], dtype=object)
    cols = [_cell(data[c], c, record_type, layout.delimiter) for c in data.columns]
    return header, to_objects(concat(cols, layout.delimiter))


def _cell(values: pd.Series, column: str, record_type: str, delimiter: str) -> pa.Array:
    """A column as CSV cells: free-text columns quoted where needed (codes never need it)."""
    array = arrow(values)
    return quoted(array, delimiter) if column in TEXT_COLUMNS[record_type] else array


def fixed_width_lines(data: pd.DataFrame, positions: dict[str, tuple[int, int]]) -> pa.Array:
    """Fixed-width records: each column left-aligned in its (1-based start, width) slot."""
    pieces: list[pa.Array | str] = []
    cursor = 1
    for column, (start, width) in sorted(positions.items(), key=lambda kv: kv[1][0]):
        if start > cursor:
            pieces.append(" " * (start - cursor))
        pieces.append(padded(arrow(data[column]), width))
        cursor = start + width
    return concat(pieces)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A plain UTF-8 CSV (header row, RFC 4180 quoting where needed) of text columns."""
    lines = [",".join(frame.columns)]
    if len(frame):
        cols = [quoted(arrow(frame[c].astype("str")), ",") for c in frame.columns]
        lines += to_objects(concat(cols, ",")).tolist()
    return ("\n".join(lines) + "\n").encode("utf-8")


def _elements(
    table: pd.DataFrame, record_type: str, columns: tuple[str, ...], indent: str = "", end: str = ""
) -> pa.Array:
    """Per row, the child elements of its non-empty columns."""
    parts: list[pa.Array | str] = []
    for column in columns:
        values = arrow(table[column])
        tag = pascal_case(column)
        if column in TEXT_COLUMNS[record_type]:
            values = xml_escaped(values)
        element = concat([f"{indent}<{tag}>", values, f"</{tag}>{end}"])
        parts.append(blank_if_empty(values, element))
    return concat(parts)


def xml_fragments(cut: StateCut) -> dict[str, np.ndarray]:
    """Per record type, the XML text of each row (students: the opening tag and fields)."""
    students = cut.tables["students"]
    fields = tuple(c for c in column_names("students") if c not in ("action", "msix_id"))
    action = students["action"].astype("str").where(students["action"] != "", "U")
    opening = concat(
        [
            '  <Student action="',
            arrow(action),
            '">\n',
            _elements(students, "students", fields, "    ", "\n"),
        ]
    )
    out = {"students": to_objects(opening)}
    for record_type, element in XML_ELEMENTS.items():
        table = cut.tables[record_type]
        cols = tuple(c for c in column_names(record_type) if c != "state_student_id")
        if table.empty:
            out[record_type] = np.array([], dtype=object)
            continue
        inner = _elements(table, record_type, cols)
        out[record_type] = to_objects(concat([f"    <{element}>", inner, f"</{element}>\n"]))
    return out


def xml_document(cut: StateCut, sub: Submission, fragments: dict[str, np.ndarray]) -> str:
    """One XML submission: each <Student> with its child records nested inside."""
    s_rows = cut.rows("students", sub.k)
    student_rec = cut.rec["students"][s_rows]
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Submission xmlns="{XML_NAMESPACE}" state="{sub.state}" '
        f'created="{_created(sub.stamp)}" studentCount="{len(student_rec)}">\n'
    )
    count = len(student_rec)
    texts = [fragments["students"][s_rows], np.full(count, "  </Student>\n", dtype=object)]
    keys = [np.arange(count), np.arange(count)]
    orders = [np.zeros(count, dtype=np.int64), np.full(count, 9)]
    for n, record_type in enumerate(XML_ELEMENTS, start=1):
        rows = cut.rows(record_type, sub.k)
        texts.append(fragments[record_type][rows])
        keys.append(np.searchsorted(student_rec, cut.rec[record_type][rows]))
        orders.append(np.full(rows.stop - rows.start, n))
    key = np.concatenate(keys)
    order = np.concatenate(orders)
    sort = np.lexsort((np.arange(len(key)), order, key))
    return head + "".join(np.concatenate(texts)[sort].tolist()) + "</Submission>\n"


def _created(stamp: str) -> str:
    """`20261101T083000` -> `2026-11-01T08:30:00`."""
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
