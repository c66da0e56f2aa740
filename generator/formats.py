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
    byte_range,
    concat,
    padded,
    quoted,
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
CHUNK_ROWS = 250_000  # rows of one record type turned into text at once
CHUNK_STUDENTS = 60_000  # XML students (with their child records) turned into text at once


def write_state(
    folder: Path, cut: StateCut, layout: Layout, xml: bool
) -> list[tuple[Submission, list[Path]]]:
    """Write every submission of one state into its landing folder; the files of each.

    Lines are built for up to CHUNK_ROWS rows of a record type at once, across submissions (the
    rows are ordered by submission), and each file receives contiguous byte ranges of them:
    few Arrow calls, no Python string per line, memory bounded by the chunk.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if xml:
        return _write_xml(folder, cut)
    newline = "\r\n" if layout.state in CRLF_STATES else "\n"
    encoding = _encoding(layout)
    bom = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
    encoding = "utf-8" if bom else encoding
    paths: dict[int, list[Path]] = {sub.k: [] for sub in cut.submissions}
    stamps = {sub.k: sub.stamp for sub in cut.submissions}
    for t in RECORD_TYPES:
        ks = cut.k[t]
        for a in range(0, cut.count(t), CHUNK_ROWS):
            b = min(a + CHUNK_ROWS, cut.count(t))
            header, body = delimited_lines(cut.frame(t, a, b), t, layout, newline)
            for k, lo, hi in _runs(ks[a:b]):
                path = folder / f"{cut.state}_{stamps[k]}_{t}.csv"
                if not paths[k] or paths[k][-1] != path:
                    head = b"" if header is None else bom + (header + newline).encode(encoding)
                    path.write_bytes(head)
                    paths[k].append(path)
                with path.open("ab") as handle:
                    handle.write(_encoded(byte_range(body, lo, hi), encoding))
    return [(sub, paths[sub.k]) for sub in cut.submissions]


def _runs(ks: np.ndarray) -> list[tuple[int, int, int]]:
    """(value, start, stop) of each run of equal values in a sorted array."""
    values, starts = np.unique(ks, return_index=True)
    stops = np.append(starts[1:], len(ks))
    return [(int(v), int(a), int(b)) for v, a, b in zip(values, starts, stops, strict=True)]


def _encoded(data: bytes, encoding: str) -> bytes:
    """UTF-8 bytes re-encoded for the file (unchanged for UTF-8)."""
    return data if encoding == "utf-8" else data.decode("utf-8").encode(encoding)


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
            inverse = {ours: theirs for theirs, ours in reversed(codes.items())}  # first wins
            values = values.map(inverse).fillna(values).astype("str")
        out[column] = values
    return pd.DataFrame(out)


def delimited_lines(
    table: pd.DataFrame, record_type: str, layout: Layout, newline: str = "\n"
) -> tuple[str | None, pa.Array]:
    """The header (None for fixed width) and each row's line, newline included."""
    data = _their_columns(table, record_type, layout)
    if layout.format == "fixed_width":
        body = fixed_width_lines(data, layout.fixed_width[record_type])
        return None, concat([body, newline])
    names = (
        data.columns
        if layout.is_canonical
        else [layout.their_name(record_type, c) for c in data.columns]
    )
    header = layout.delimiter.join(names)
    if data.empty:
        return header, arrow([])
    cols = [_cell(data[c], c, record_type, layout.delimiter) for c in data.columns]
    return header, concat([concat(cols, layout.delimiter), newline])


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
    header = (",".join(frame.columns) + "\n").encode("utf-8")
    if frame.empty:
        return header
    cols = [quoted(arrow(frame[c].astype("str")), ",") for c in frame.columns]
    body = concat([concat(cols, ","), "\n"])
    return header + byte_range(body, 0, len(body))


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


def xml_fragments(tables: dict[str, pd.DataFrame]) -> dict[str, pa.Array]:
    """Per record type, the XML text of each row (students: the opening tag and fields)."""
    students = tables["students"]
    fields = tuple(c for c in column_names("students") if c not in ("action", "msix_id"))
    action = students["action"].astype("str").where(students["action"] != "", "U")
    student_fields = _elements(students, "students", fields, "    ", "\n")
    out = {"students": concat(['  <Student action="', arrow(action), '">\n', student_fields])}
    for record_type, element in XML_ELEMENTS.items():
        table = tables[record_type]
        if table.empty:
            out[record_type] = arrow([])
            continue
        cols = tuple(c for c in column_names(record_type) if c != "state_student_id")
        inner = _elements(table, record_type, cols)
        out[record_type] = concat([f"    <{element}>", inner, f"</{element}>\n"])
    return out


def _xml_chunk(
    cut: StateCut, a: int, b: int, keys: dict[str, np.ndarray]
) -> tuple[bytes, np.ndarray]:
    """Students a..b of the state with their child records, in file order: the bytes and the
    byte offset where each student starts (plus the end)."""
    student_keys = keys["students"][a:b]
    tables = {"students": cut.frame("students", a, b)}
    owner = [np.arange(b - a), np.arange(b - a)]
    order = [np.zeros(b - a, dtype=np.int64), np.full(b - a, 9)]
    for n, record_type in enumerate(XML_ELEMENTS, start=1):
        lo, hi = np.searchsorted(keys[record_type], [student_keys[0], student_keys[-1] + 1])
        tables[record_type] = cut.frame(record_type, int(lo), int(hi))
        owner.append(np.searchsorted(student_keys, keys[record_type][lo:hi]))
        order.append(np.full(hi - lo, n))
    fragments = xml_fragments(tables)
    closing = arrow(np.full(b - a, "  </Student>\n", dtype=object))
    parts = [fragments["students"], closing, *(fragments[t] for t in XML_ELEMENTS)]
    owners = np.concatenate(owner)
    sort = np.lexsort((np.arange(len(owners)), np.concatenate(order), owners))
    body = pa.concat_arrays(parts).take(pa.array(sort))
    offsets = np.frombuffer(body.buffers()[1], dtype=np.int64)[body.offset :]
    starts = offsets[np.searchsorted(owners[sort], np.arange(b - a + 1))]
    return byte_range(body, 0, len(body)), starts - starts[0]


def _write_xml(folder: Path, cut: StateCut) -> list[tuple[Submission, list[Path]]]:
    """All XML submissions of a state, built CHUNK_STUDENTS students at a time."""
    base = 1 + max((int(r.max()) for r in cut.rec.values() if len(r)), default=0)
    keys = {t: cut.k[t] * base + cut.rec[t] for t in cut.k}
    paths = {sub.k: folder / f"{sub.state}_{sub.stamp}.xml" for sub in cut.submissions}
    for sub in cut.submissions:
        rows = cut.rows("students", sub.k)
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Submission xmlns="{XML_NAMESPACE}" state="{sub.state}" '
            f'created="{_created(sub.stamp)}" studentCount="{rows.stop - rows.start}">\n'
        )
        paths[sub.k].write_bytes(head.encode("utf-8"))
    n_students = cut.count("students")
    for a in range(0, n_students, CHUNK_STUDENTS):
        b = min(a + CHUNK_STUDENTS, n_students)
        data, starts = _xml_chunk(cut, a, b, keys)
        for k, lo, hi in _runs(cut.k["students"][a:b]):
            with paths[k].open("ab") as handle:
                handle.write(data[starts[lo] : starts[hi]])
    for path in paths.values():
        with path.open("ab") as handle:
            handle.write(b"</Submission>\n")
    return [(sub, [paths[sub.k]]) for sub in cut.submissions]


def _created(stamp: str) -> str:
    """`20261101T083000` -> `2026-11-01T08:30:00`."""
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
