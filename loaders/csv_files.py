"""Delimited CSV files (§3 and per-state layouts) staged by DuckDB's own reader.

The fast path: the header is read and mapped in Python, then `read_csv` reads the whole file
as text (`all_varchar` by explicit columns) and one statement checks every row and inserts the
good ones; the broken ones are inserted by a second scan only when some rows were not loaded. A file in another encoding is first transcoded to UTF-8 in a streaming way, and a file
mixing `\r\n` and `\n` line ends is first copied with every record's end made `\n`
(`one_line_end`), since DuckDB's strict reader rejects the mix.
"""

from __future__ import annotations

import codecs
import csv
import mmap
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders import manifest
from loaders.checks import checked_select, insert_loaded_sql, insert_quarantine_sql, lit
from loaders.contract import column_names
from loaders.errors import FileRejected
from loaders.layouts import Layout
from loaders.manifest import FileScan
from loaders.names import printable
from loaders.sink import Lineage, RowCounts

MAX_LINE_BYTES = 64 * 1024 * 1024  # a longer line rejects the file; a long field quarantines a row
CHUNK_BYTES = 4 * 1024 * 1024
HEADER_PEEK_BYTES = 64 * 1024  # enough for any header line
KEY_COLUMN = "state_student_id"  # every record type's rows name their student by it
UTF8_NAMES = {"utf-8", "utf-8-sig", "utf8", "utf_8", "utf_8_sig"}


@dataclass(frozen=True)
class HeaderMap:
    """Position of each file column: a contract column, or an unknown name kept in `extra`."""

    contract: dict[str, int]
    unknown: dict[str, int]


def map_header(record_type: str, layout: Layout, header: list[str]) -> HeaderMap:
    """Map the state's header names to contract columns; reject duplicates and a missing
    `state_student_id` (no row could be attributed). Another required column that is absent is
    missing on every row: each row is checked on its own (a delete needs only the student's ID,
    so a file of deletes may carry just `state_student_id,action`; any other row is quarantined
    with "required field missing")."""
    known = set(column_names(record_type))
    contract: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for position, raw in enumerate(header):
        name = layout.contract_name(record_type, raw)
        target = contract if name in known else unknown
        if name in target:
            raise FileRejected(f"header names column {printable(name)} twice")
        target[name] = position
    if KEY_COLUMN not in contract:
        raise FileRejected(f"required column missing: {KEY_COLUMN}")
    return HeaderMap(contract, unknown)


def read_header(path: Path, delimiter: str) -> list[str]:
    """The first record of a UTF-8 file (a byte-order mark is allowed)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            line = handle.readline(MAX_LINE_BYTES)
    except UnicodeDecodeError:
        raise FileRejected("undecodable bytes in the header (not UTF-8)") from None
    if not line.strip():
        raise FileRejected("empty file: no header row")
    return next(csv.reader([line], delimiter=delimiter))


def _first_line(head: bytes, encoding: str) -> str:
    """The first physical line of a file's first bytes, decoded leniently (only to look at a
    header)."""
    text = head.decode(encoding, errors="replace").removeprefix("\ufeff")
    return text.splitlines()[0] if text.strip() else ""


def _names(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), []) if line else []


def sends_canonical(path: Path, record_type: str, layout: Layout) -> bool:
    """True when a state with a layout sent this file in the canonical form instead (§3: every
    state may send canonical files): its first line, read as canonical UTF-8 CSV, names
    `state_student_id`, and the layout's own reading of it does not name the layout's column
    for it (a fixed-width file has no header, so a canonical header is enough)."""
    if layout.is_canonical:
        return False
    with path.open("rb") as handle:
        head = handle.read(HEADER_PEEK_BYTES)
    canonical_names = {n.strip().lower() for n in _names(_first_line(head, "utf-8"), ",")}
    if KEY_COLUMN not in canonical_names:
        return False
    if layout.format == "fixed_width":
        return True
    try:
        theirs = _names(_first_line(head, layout.encoding), layout.delimiter)
    except LookupError:  # an unknown encoding: the layout's load says so
        return False
    their_key = layout.their_name(record_type, KEY_COLUMN).lower()
    return their_key not in {n.strip().lower() for n in theirs}


@contextmanager
def as_utf8(path: Path, encoding: str) -> Iterator[Path]:
    """The file itself when it is UTF-8, else a streaming transcode of it to a temporary file."""
    if encoding.lower() in UTF8_NAMES:
        yield path
        return
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError:
        raise FileRejected(f"layout names an unknown encoding {printable(encoding)}") from None
    with tempfile.TemporaryDirectory(prefix="msix-transcode-") as tmp:
        target = Path(tmp) / "utf8.csv"
        offset = 0
        with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
            while chunk := source.read(CHUNK_BYTES):
                try:
                    out.write(decoder.decode(chunk))
                except UnicodeDecodeError as exc:
                    raise FileRejected(
                        f"undecodable bytes for encoding {encoding} near byte {offset + exc.start}"
                    ) from None
                offset += len(chunk)
            out.write(decoder.decode(b"", final=True))
        yield target


def _record_end_or_quoted_field(delimiter: str) -> re.Pattern[bytes]:
    """A `\r\n`, or a whole quoted field (RFC 4180: a quote opening a field, `""` inside it,
    a quote closing it before a delimiter, a line break or the end), whose `\r\n`s are data.

    A quote inside an unquoted field is a character, as for DuckDB; a field whose quoting is
    broken does not match (the scan goes on inside it), and DuckDB rejects its file anyway.
    The pattern starts with the quote (the field's start is looked behind it), so the search
    skips to the next quote or `\r` at C speed."""
    delim = re.escape(delimiter.encode("utf-8"))
    opens = rb'(?:"(?:(?<=' + delim + rb'")|(?<=\n")|(?<=\r"))|\A(?:\xef\xbb\xbf)?")'
    rest = rb'[^"]*+(?:""[^"]*+)*+"(?=' + delim + rb"|\r|\n|\Z)"
    return re.compile(rb"(" + opens + rest + rb")|\r\n")


@contextmanager
def one_line_end(path: Path, scan: FileScan, delimiter: str) -> Iterator[Path]:
    """The file itself unless it mixes `\r\n` and `\n` line ends (the scan tells); then a copy
    in a temporary file whose record ends are all `\n` (a `\r\n` inside a quoted field is
    kept): the same records, so the same rows and line numbers as a file written with one
    kind of line end. Only such a file is read here, match by match (a slower path)."""
    if not scan.mixes_line_ends:
        yield path
        return
    pattern = _record_end_or_quoted_field(delimiter)
    with tempfile.TemporaryDirectory(prefix="msix-line-ends-") as tmp:
        target = Path(tmp) / "lf.csv"
        with (
            path.open("rb") as source,
            mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as data,
            target.open("wb") as out,
        ):
            start = 0
            for match in pattern.finditer(data):
                if match.group(1) is None:  # a record's \r\n: keep its \n
                    out.write(data[start : match.start()])
                    start = match.start() + 1
            out.write(data[start:])
        yield target


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_KNOWN_CAUSE = re.compile(
    r"Expected Number of Columns: \d+ Found: \d+|Value with unterminated quote found\."
)


def _csv_cause(text: str) -> str:
    """The cause of a DuckDB CSV error when it is one DuckDB names; never row text.

    The cause is the last line before "Possible fixes:", but the 'Original Line' before it may
    span several lines (a quoted field with line breaks, or a missing cause), so only causes of
    a known shape are kept.
    """
    head = text.split("Possible fixes:", 1)[0]
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    if len(lines) > 1 and _KNOWN_CAUSE.fullmatch(lines[-1]):
        return lines[-1]
    return ""


def csv_error_reason(exc: duckdb.Error) -> str:
    """DuckDB's CSV error without the 'Original Line' (it holds row values): line and cause."""
    text = str(exc)
    line = _LINE.search(text)
    where = f" at line {line.group(1)}" if line else ""
    cause = _csv_cause(text) or "could not be parsed"
    if "byte sequence mismatch" in text or "unicode" in text.lower():
        cause = "undecodable bytes (not UTF-8)"
    elif "Maximum line size" in text or "maximum line size" in text:
        cause = f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    return f"malformed CSV{where}: {cause[:200]}"


def load_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    record_type: str,
    layout: Layout,
    lineage: Lineage,
    counts: RowCounts,
    scan: FileScan | None = None,
) -> None:
    """Read the whole (UTF-8) file as text, check it and insert its good rows in one statement;
    broken rows (only when some rows were not loaded) in a second one.

    `scan` is the caller's read of these very bytes (else the file is scanned here): the NUL
    rules run only when the file holds a NUL byte, and when every line after the header became
    a loaded row no record can be left over, so the file is not read again to count them.

    Rows are numbered as lines (header = 1) by `row_number() over ()` over the scan, which
    DuckDB computes in file order (a streaming window). A file mixing `\r\n` and `\n` is read
    from a copy with one kind of line end (`one_line_end`)."""
    scan = scan or manifest.scan(path)
    with one_line_end(path, scan, layout.delimiter) as readable:
        loaded, quarantined = _load_rows(con, readable, record_type, layout, lineage, scan)
    counts.loaded += loaded
    counts.quarantined += quarantined


def _load_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    record_type: str,
    layout: Layout,
    lineage: Lineage,
    scan: FileScan,
) -> tuple[int, int]:
    """`load_csv` on a file DuckDB's reader takes as it is (one kind of line end): the rows
    loaded and quarantined."""
    header = read_header(path, layout.delimiter)
    mapping = map_header(record_type, layout, header)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    selected = [f"c{i} as {name}" for name, i in mapping.contract.items()]
    if mapping.unknown:
        pairs = ", ".join(f"{lit(name)}, c{i}" for name, i in mapping.unknown.items())
        selected.append(f"json_object({pairs})::varchar as extra")
    else:
        selected.append("null::varchar as extra")
    reader = (
        f"read_csv({lit(str(path))}, header = true, columns = {columns}, "
        f"delim = {lit(layout.delimiter)}, quote = '\"', escape = '\"', auto_detect = false, "
        f"strict_mode = true, max_line_size = {MAX_LINE_BYTES})"
    )
    source = (
        f"(select (row_number() over () + 1)::integer as line_no, {', '.join(selected)} "
        f"from {reader})"
    )
    present = set(mapping.contract)
    checked = f"({checked_select(record_type, layout, present, source, scan.has_nul)})"
    parts = (lineage.load_id, lineage.file_name, lineage.state, lineage.stamp)
    try:
        if "state" in mapping.unknown:
            _check_body_state(con, source, layout.state)
        loaded = scalar(con, insert_loaded_sql(record_type, checked, "c.line_no", parts))
        quarantined = 0
        if loaded < scan.max_records() and loaded < scalar(con, f"select count(*) from {reader}"):
            quarantine = insert_quarantine_sql(record_type, present, checked, "c.line_no", parts)
            quarantined = scalar(con, quarantine)
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise FileRejected(csv_error_reason(exc)) from None
    return loaded, quarantined


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single number a statement returns (rows counted, inserted)."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _check_body_state(con: duckdb.DuckDBPyConnection, source: str, state: str) -> None:
    """A `state` column in the body, when a state sends one, must name the file's state."""
    disagree = scalar(
        con,
        f"select count(*) from {source} "
        f"where nullif(trim(extra::json ->> 'state'), '') <> {lit(state)}",
    )
    if disagree:
        raise FileRejected(
            f"state column disagrees with the file name's state {state} in {disagree} rows"
        )
