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

from generator.submissions import DATE_COLUMNS, StateCut, Submission
from loaders.contract import RECORD_TYPES, XML_ELEMENTS, column_names, pascal_case
from loaders.layouts import CANONICAL_DATE_FORMAT, Layout

XML_NAMESPACE = "urn:msix-warehouse:submission:1"
NEEDS_QUOTES = re.compile(r'["\r\n]')
# Layout states whose exports end lines with CRLF (Windows systems).
CRLF_STATES = frozenset({"MI"})
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
            values = values.map(lambda v, m=inverse: m.get(v, v)).astype("str")
        out[column] = values
    return pd.DataFrame(out)


def _quoted(values: pd.Series, delimiter: str) -> pd.Series:
    """RFC 4180 quoting for the values that need it."""
    needs = values.str.contains(NEEDS_QUOTES) | values.str.contains(re.escape(delimiter))
    if not needs.any():
        return values
    return values.where(~needs, '"' + values.str.replace('"', '""') + '"')


def delimited_lines(
    table: pd.DataFrame, record_type: str, layout: Layout
) -> tuple[str | None, np.ndarray]:
    """The header (None for fixed width) and one text line per row in the state's layout."""
    data = _their_columns(table, record_type, layout)
    if layout.format == "fixed_width":
        body = fixed_width_lines(data, layout.fixed_width[record_type])
        return None, body.to_numpy(dtype=object)
    names = (
        data.columns
        if layout.is_canonical
        else [layout.their_name(record_type, c) for c in data.columns]
    )
    header = layout.delimiter.join(names)
    if data.empty:
        return header, np.array([], dtype=object)
    cols = [_quoted(data[c], layout.delimiter) for c in data.columns]
    body = reduce(lambda a, b: a + layout.delimiter + b, cols)
    return header, body.to_numpy(dtype=object)


def fixed_width_lines(data: pd.DataFrame, positions: dict[str, tuple[int, int]]) -> pd.Series:
    """Fixed-width records: each column left-aligned in its (1-based start, width) slot."""
    ordered = sorted(positions.items(), key=lambda kv: kv[1][0])
    pieces: list[pd.Series] = []
    cursor = 1
    for column, (start, width) in ordered:
        if start > cursor:
            pieces.append(pd.Series(" " * (start - cursor), index=data.index, dtype="str"))
        pieces.append(data[column].str.slice(0, width).str.pad(width, side="right"))
        cursor = start + width
    return reduce(lambda a, b: a + b, pieces)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A plain UTF-8 CSV (header row, RFC 4180 quoting where needed) of text columns."""
    cols = [_quoted(frame[c].astype("str"), ",") for c in frame.columns]
    lines = [",".join(frame.columns)]
    if len(frame):
        lines += reduce(lambda a, b: a + "," + b, cols).tolist()
    return ("\n".join(lines) + "\n").encode("utf-8")


def _escape(values: pd.Series) -> pd.Series:
    return values.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")


def _elements(
    table: pd.DataFrame, columns: tuple[str, ...], indent: str = "", end: str = ""
) -> pd.Series:
    """Per row, the child elements of its non-empty columns."""
    parts = []
    for column in columns:
        values = table[column].astype("str")
        tag = pascal_case(column)
        parts.append(
            (indent + "<" + tag + ">" + _escape(values) + "</" + tag + ">" + end).where(
                values != "", ""
            )
        )
    return reduce(lambda a, b: a + b, parts)


def xml_fragments(cut: StateCut) -> dict[str, np.ndarray]:
    """Per record type, the XML text of each row (students: the opening tag and fields)."""
    students = cut.tables["students"]
    fields = tuple(c for c in column_names("students") if c not in ("action", "msix_id"))
    action = students["action"].astype("str").where(students["action"] != "", "U")
    opening = '  <Student action="' + action + '">\n' + _elements(students, fields, "    ", "\n")
    out = {"students": opening.to_numpy(dtype=object)}
    for record_type, element in XML_ELEMENTS.items():
        table = cut.tables[record_type]
        cols = tuple(c for c in column_names(record_type) if c != "state_student_id")
        if table.empty:
            out[record_type] = np.array([], dtype=object)
            continue
        inner = _elements(table, cols)
        out[record_type] = ("    <" + element + ">" + inner + "</" + element + ">\n").to_numpy(
            dtype=object
        )
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
