"""The fast path for XML submissions: chunks of `<Student>` elements read in C and numpy.

Pure-Python work per element cannot keep up with lxml's parser. So the file is cut into
chunks of a few MB right after a `</Student>` end tag; each chunk, wrapped in a bare
`<Submission>`, is parsed by libxml2 with the element path's secure settings (no DTD, no
entity, no network, no huge text node): a chunk that is not well-formed stops the fast path.
A well-formed chunk of plain tags and text is then read straight from its bytes with numpy
and Arrow (`_raw_tokens`); any other chunk (entities, CDATA, comments, other attributes, ...)
is flattened from the parsed tree by one XSLT (libxslt) into text tokens. Both give the same
tokens (a Student, a record, a field and its text, in document order), which numpy pivots
into the element path's Arrow batches. Two worker threads read chunks while the caller
inserts earlier batches into DuckDB (lxml, numpy, Arrow and DuckDB release the GIL).

The fast path gives exactly the rows of the element path (`xml_files`): a chunk neither
reader takes exactly (an unknown, repeated or misplaced element, an element inside a value,
another namespace, a separator character where the XSLT reads, ...) is read from its tree by
the element path's own code (`by_element`). A chunk that is not well-formed, a Submission
child that is not a Student, a non-UTF-8 encoding or an unusual start tag raises
`NotChunkable`, and the element path goes on after the rows already given (which also words
any rejection exactly as before).
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from loaders.contract import COLUMNS, RECORD_TYPES, XML_ELEMENTS, pascal_case

CHUNK_BYTES = 4 * 1024 * 1024
MAX_CARRY = 64 * 1024 * 1024  # a Student bigger than this is left to the element path
WORKERS = 2
IN_FLIGHT = 16  # chunks handed to the workers ahead of the caller (who inserts meanwhile)
SEP, ODD = "\ufdd0", "\ufdd2"  # noncharacters: allowed in XML 1.0 text, never in real data
SEP_BYTES = SEP.encode()
SEP_REFERENCE = re.compile(rb"&#(?:[xX]0*[fF][dD][dD]0|0*64976);")
FIELD_MARK, STUDENT_MARK = 0xE000, 0xE100  # private-use characters that start each token
END_TAG = b"</Student>"
WRAP_START = b'<?xml version="1.0" encoding="UTF-8"?>\n<Submission>'
WRAP_END = b"</Submission>"
ROOT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:<\?xml[^>]*\?>)?[ \t\r\n]*<Submission(?=[ \t\r\n/>])[^>]*>"
)
DECLARED_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z0-9._-]+)["']""")
TAIL = re.compile(rb"[ \t\r\n]*</Submission[ \t\r\n]*>[ \t\r\n]*")
# an untrusted file: no DTD, no entity, no network, no huge text node; comments and PIs dropped
SECURE_PARSING: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
# record type -> the code of the token that starts one of its records
START_CODES = {rt: STUDENT_MARK + i for i, rt in enumerate(RECORD_TYPES)}


# one chunk as tokens: code (FIELD_MARK + column, or a START_CODES value), text, empty or not
_Tokens = tuple[np.ndarray, pa.Array, np.ndarray]


class NotChunkable(Exception):
    """The fast path stops here: the element path goes on after the rows already given."""


def _mark(code: int) -> str:
    """Text that starts one token of the flattened output: the separator and a code."""
    return f"<xsl:text>&#x{ord(SEP):X};&#x{code:X};</xsl:text>"


def _stylesheet() -> bytes:
    """The XSLT that flattens one chunk (elements without a namespace, see `_wrap`) to tokens:
    a Student or record start (its code; a Student's carries its `action` attribute) and one
    token per field (its column's code and its text), in document order.

    Each record type is a mode, so an element is only known where the contract puts it; any
    element the element path would treat otherwise (not a Student under Submission, an unknown
    element, an element inside a value, an empty `action` attribute) writes the ODD marker."""
    odd = f"<xsl:text>&#x{ord(ODD):X};</xsl:text>"
    templates = [
        '<xsl:template match="/"><xsl:apply-templates select="*/*" mode="top"/></xsl:template>',
        f'<xsl:template match="*" mode="top">{odd}</xsl:template>',
        '<xsl:template match="Student" mode="top">'
        f'{_mark(START_CODES["students"])}<xsl:value-of select="@action"/>'
        f"<xsl:if test=\"@action = ''\">{odd}</xsl:if>"
        # the Student's own fields first, then its records: a token belongs to the record
        # started last, so a field after a record (`<Move/><Sex>`) must not follow it
        # (mode `records` writes nothing for a field, mode `students` nothing for a record)
        '<xsl:apply-templates select="*" mode="students"/>'
        '<xsl:apply-templates select="*" mode="records"/></xsl:template>',
        f'<xsl:template match="*" mode="leaf">{odd}</xsl:template>',
        '<xsl:template match="*" mode="records"/>',
    ]
    for record_type in RECORD_TYPES:
        templates.append(f'<xsl:template match="*" mode="{record_type}">{odd}</xsl:template>')
        for j, column in enumerate(COLUMNS[record_type]):
            templates.append(
                f'<xsl:template match="{pascal_case(column.name)}" mode="{record_type}">'
                f'{_mark(FIELD_MARK + j)}<xsl:apply-templates mode="leaf"/></xsl:template>'
            )
    for record_type, element in XML_ELEMENTS.items():
        templates.append(
            f'<xsl:template match="{element}" mode="records">{_mark(START_CODES[record_type])}'
            f'<xsl:apply-templates select="*" mode="{record_type}"/></xsl:template>'
        )
        templates.append(f'<xsl:template match="{element}" mode="students"/>')
    return (
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text" encoding="UTF-8"/>' + "".join(templates) + "</xsl:stylesheet>"
    ).encode()


# the element path's rows of one parsed chunk (its Submission element), None to hand over
ChunkRows = Callable[[etree._Element], dict[str, pa.Table] | None]


class _Flattener:
    """One parser and one transform per worker thread (lxml objects are not shared);
    `by_element` reads, with the element path's own code, a chunk neither reader takes."""

    def __init__(self, by_element: ChunkRows) -> None:
        self.local = threading.local()
        self.by_element = by_element

    def tools(self) -> tuple[etree.XMLParser, etree.XSLT]:
        if not hasattr(self.local, "xslt"):
            self.local.parser = etree.XMLParser(**SECURE_PARSING, collect_ids=False)
            self.local.xslt = etree.XSLT(
                etree.XML(_stylesheet()), access_control=etree.XSLTAccessControl.DENY_ALL
            )
        return self.local.parser, self.local.xslt

    def __call__(self, chunk: bytes) -> dict[str, pa.Table] | None:
        """Arrow tables (line_no from 1) of one chunk; None when it is not flattened exactly."""
        parser, xslt = self.tools()
        try:
            tree = etree.fromstring(WRAP_START + chunk + WRAP_END, parser)
        except etree.XMLSyntaxError:
            return None
        tokens = _raw_tokens(chunk)  # the chunk is well-formed: its bytes can be read as is
        if tokens is None and not (
            SEP_BYTES in chunk or (b"&#" in chunk and SEP_REFERENCE.search(chunk))
        ):  # (a value holding the separator of the XSLT's output is left to the element path)
            text = str(xslt(tree))
            tokens = None if ODD in text else _xslt_tokens(text)
        tables = None if tokens is None else _tables(tokens)
        return self.by_element(tree) if tables is None else tables


# The tag forms `_raw_tokens` reads: <Name>, </Name>, <Name/> and <Student action="X">.
_NAMES = sorted(
    {pascal_case(c.name) for rt in RECORD_TYPES for c in COLUMNS[rt]}
    | {*XML_ELEMENTS.values(), "Student"}
)
_N = len(_NAMES)
_ACTIONS = ("I", "U", "D")
_FORMS = pa.array(
    [
        *_NAMES,
        *(f"/{name}" for name in _NAMES),
        *(f"{name}/" for name in _NAMES),
        *(f'Student action="{action}"' for action in _ACTIONS),
    ],
    pa.binary(),
)
_STUDENT = _NAMES.index("Student")
# the token code of an element by where it is (row: 0 in Submission, 1 in a Student, 2.. in a
# record, last: nowhere valid) and its name; -1 where the element path would treat it otherwise
_CODES = np.full((len(RECORD_TYPES) + 2, _N), -1, np.int64)
_CODES[0, _STUDENT] = START_CODES["students"]
for _row, _type in enumerate(RECORD_TYPES, start=1):
    for _j, _column in enumerate(COLUMNS[_type]):
        _CODES[_row, _NAMES.index(pascal_case(_column.name))] = FIELD_MARK + _j
for _type, _element in XML_ELEMENTS.items():
    _CODES[1, _NAMES.index(_element)] = START_CODES[_type]
# the row of the children of an element in a Student (a record's), by name; last row otherwise
_CHILD_ROW = np.full(_N, len(RECORD_TYPES) + 1, np.int64)
for _row, _type in enumerate(RECORD_TYPES[1:], start=2):
    _CHILD_ROW[_NAMES.index(XML_ELEMENTS[_type])] = _row


def _raw_tokens(chunk: bytes) -> _Tokens | None:
    """The tokens of a well-formed chunk read from its bytes with numpy and Arrow, as the XSLT
    would write them; None when the chunk holds anything but plain tags and text (an entity
    or character reference, a carriage return, a comment, CDATA, another attribute, an unknown
    or misplaced element, an element inside a value): the XSLT flattens those.

    Without comments, CDATA and PIs every `<` starts a tag, and a tag ends at the first `>`
    after it (none of the tag forms read here holds one)."""
    if b"&" in chunk or b"\r" in chunk:
        return None
    data = np.frombuffer(chunk, np.uint8)
    lt = np.flatnonzero(data == 0x3C)
    count = len(lt)
    after = data[lt + 1] if count else lt
    if count == 0 or ((after == 0x21) | (after == 0x3F)).any():  # <! or <?
        return None
    gt = np.flatnonzero(data == 0x3E)
    if len(gt) != count:  # a `>` in a text
        gt = gt[np.searchsorted(gt, lt)]
    # segments 4k: the inside of tag k, 4k+1: its `>`, 4k+2: the text after it, 4k+3: a `<`
    offsets = np.empty(4 * count + 1, np.int32)
    offsets[0::4] = np.append(lt + 1, len(chunk))
    offsets[1::4] = gt
    offsets[2::4] = gt + 1
    offsets[3::4] = np.append(lt[1:], len(chunk))
    segments = pa.BinaryArray.from_buffers(
        pa.binary(), 4 * count, [None, pa.py_buffer(offsets), pa.py_buffer(chunk)]
    )
    forms = pc.index_in(segments.take(pa.array(np.arange(0, 4 * count, 4))), value_set=_FORMS)
    if forms.null_count:
        return None
    form = forms.to_numpy()
    closing = (form >= _N) & (form < 2 * _N)
    opening = (form < _N) | (form >= 3 * _N)
    name = np.where(form < 3 * _N, form % _N, _STUDENT)
    step = opening.astype(np.int64) - closing
    depth = np.cumsum(step) - step
    element = np.flatnonzero(~closing)
    level = np.minimum(depth[element], 3)
    in_record = np.maximum.accumulate(np.where(level == 1, element, 0))
    row = np.where(level < 2, level, _CHILD_ROW[name[in_record]])
    row[level == 3] = len(RECORD_TYPES) + 1
    code = _CODES[row, name[element]]
    if (code < 0).any():
        return None
    field = opening[element] & (code < STUDENT_MARK)
    if not closing[np.minimum(element[field] + 1, count - 1)].all():
        return None  # an element inside a value
    started = np.maximum.accumulate(np.where(code >= STUDENT_MARK, np.arange(len(element)), 0))
    if (field & (level == 1) & (level[started] != 0)).any():
        return None  # a Student's field after one of its records: the XSLT reorders them
    text = np.where(field, 4 * element + 2, 0)
    values = segments.take(pa.array(text, mask=~field)).cast(pa.string())
    empty = ~field | (offsets[4 * element + 3] == offsets[4 * element + 2])
    acted = form[element] >= 3 * _N
    if acted.any():
        letters = np.array(_ACTIONS)[form[element][acted] - 3 * _N]
        values = pc.replace_with_mask(values, pa.array(acted), pa.array(letters.tolist()))
        empty &= ~acted
    return code, values, empty


def _xslt_tokens(text: str) -> _Tokens | None:
    """The tokens of the XSLT's output: code, text (the marker cut off), empty or not."""
    tokens = pc.list_flatten(pc.split_pattern(pa.array([text]), SEP)).slice(1)
    count = len(tokens)
    offsets = np.frombuffer(tokens.buffers()[1], np.int32)[
        tokens.offset : tokens.offset + count + 1
    ]
    data = np.frombuffer(tokens.buffers()[2], np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    if (lengths < 3).any() or (data[starts] != 0xEE).any():
        return None
    code = 0xE000 + (((data[starts + 1].astype(np.int64) & 0x3F) << 6) | (data[starts + 2] & 0x3F))
    return code, pc.utf8_slice_codeunits(tokens, 1), lengths == 3


def _tables(tokens: _Tokens) -> dict[str, pa.Table] | None:
    """The rows of one chunk's tokens, per record type, as the element path's batches.
    A field token that is empty is NULL (lxml gives no text, None, for an empty element)."""
    code, values, empty = tokens
    count = len(code)
    if count == 0:
        return {rt: _table(rt, values, np.empty((0, 1), np.int64), None) for rt in RECORD_TYPES}
    position = np.arange(count)
    is_start = code >= STUDENT_MARK
    owner = np.maximum.accumulate(np.where(is_start, position, -1))
    if owner[0] < 0:
        return None
    cells: dict[str, np.ndarray] = {}
    ordinal = np.zeros(count, np.int64)
    for record_type, start_code in START_CODES.items():
        record_starts = np.flatnonzero(code == start_code)
        ordinal[record_starts] = np.arange(len(record_starts))
        width = len(COLUMNS[record_type])
        fields = np.flatnonzero(~is_start & (code[owner] == start_code))
        keys = ordinal[owner[fields]] * width + (code[fields] - FIELD_MARK)
        if len(keys) and np.bincount(keys).max() > 1:
            return None  # a repeated element: the element path keeps the first with text
        matrix = np.full(len(record_starts) * width, -1, np.int64)
        matrix[keys] = fields
        matrix = matrix.reshape(len(record_starts), width)
        matrix[(matrix >= 0) & empty[matrix]] = -1
        cells[record_type] = (record_starts, matrix)
    students, student_cells = cells["students"]
    action = student_cells[:, 1]
    action[action < 0] = students[action < 0]  # the attribute when there is no Action text
    action[empty[action]] = -1
    student_of = np.maximum.accumulate(np.where(code == START_CODES["students"], position, -1))
    student_ids = student_cells[:, 0]
    tables = {}
    for record_type, (record_starts, matrix) in cells.items():
        if record_type != "students":
            sid = matrix[:, 0]
            parent = student_ids[ordinal[student_of[record_starts]]]
            sid[sid < 0] = parent[sid < 0]
        tables[record_type] = _table(record_type, values, matrix, None)
    return tables


def _table(
    record_type: str, values: pa.Array, matrix: np.ndarray, extra: pa.Array | None
) -> pa.Table:
    """A batch like `rows_to_arrow`'s: line_no (1, 2, ...), contract columns, extra (NULL).
    `matrix[i, j]` is the token holding column j of record i, -1 for NULL."""
    names = [c.name for c in COLUMNS[record_type]]
    rows = len(matrix)
    arrays = [pa.array(np.arange(1, rows + 1, dtype=np.int32))]
    for j in range(len(names)):
        index = matrix[:, j] if rows else np.empty(0, np.int64)
        arrays.append(values.take(pa.array(index, mask=index < 0)).cast(pa.string()))
    arrays.append(pa.nulls(rows, pa.string()))
    return pa.Table.from_arrays(arrays, names=["line_no", *names, "extra"])


def _header(head: bytes) -> tuple[bytes, etree._Element] | None:
    """The start of the file up to the end of the Submission start tag and that element, when
    the fast path can use them: UTF-8, an unprefixed Submission, no namespace
    prefix. Chunks are wrapped in a bare `<Submission>` (WRAP_START): the elements of the
    body then have no namespace, and the element path takes them as it takes the namespaced."""
    start = ROOT_START.match(head)
    if start is None or start.group().endswith(b"/>"):
        return None
    declared = DECLARED_ENCODING.search(head, 0, start.end())
    if declared and declared.group(1).lower() != b"utf-8":
        return None  # the chunks are parsed as UTF-8
    parser = etree.XMLParser(**SECURE_PARSING)
    try:
        root = etree.fromstring(start.group() + b"</Submission>", parser)
    except etree.XMLSyntaxError:
        return None
    if set(root.nsmap) - {None}:
        return None
    return start.group(), root


def _chunks(handle: BinaryIO, first: bytes) -> Iterator[bytes]:
    """Byte runs of the file's body, each of about CHUNK_BYTES and ending just after a
    `</Student>`; the last run is what follows the last `</Student>` (the tail). Ends with an
    empty run instead when one Student would not fit MAX_CARRY."""
    carry = first
    while True:
        block = handle.read(CHUNK_BYTES)
        carry += block
        while len(carry) >= CHUNK_BYTES:
            cut = carry.rfind(END_TAG, 0, CHUNK_BYTES)
            if cut < 0:
                cut = carry.find(END_TAG)
            if cut < 0:
                break
            yield carry[: cut + len(END_TAG)]
            carry = carry[cut + len(END_TAG) :]
        if not block:
            cut = carry.rfind(END_TAG)
            if cut >= 0:
                yield carry[: cut + len(END_TAG)]
            yield carry[cut + len(END_TAG) :] if cut >= 0 else carry
            return
        if len(carry) > MAX_CARRY:
            yield b""
            return


def chunked_batches(
    path: Path,
    check_root: Callable[[etree._Element], int],
    by_element: ChunkRows,
    batch_rows: int,
) -> Generator[tuple[str, pa.Table], None, tuple[int, int]]:
    """(record type, Arrow batch) of a whole XML file by the fast path; returns the
    studentCount (from `check_root`, which checks the Submission element) and the number of
    Student elements. A chunk neither reader takes is read by `by_element`; raises
    NotChunkable to hand over to the element path."""
    emitted = dict.fromkeys(RECORD_TYPES, 0)
    pending: dict[str, list[pa.Table]] = {rt: [] for rt in RECORD_TYPES}
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
        header = _header(head)
        if header is None:
            raise NotChunkable
        start_tag, root = header
        expected = check_root(root)
        flatten = _Flattener(by_element)
        runs = _chunks(handle, head[len(start_tag) :])
        with ThreadPoolExecutor(WORKERS) as pool:
            queue: deque[Future[dict[str, pa.Table] | None]] = deque()
            tail = b""
            try:
                for run in _lookahead(runs):
                    if run.last:
                        tail = run.data
                        break
                    queue.append(pool.submit(flatten, run.data))
                    while len(queue) >= IN_FLIGHT:
                        yield from _take(queue.popleft().result(), emitted, pending, batch_rows)
                while queue:
                    yield from _take(queue.popleft().result(), emitted, pending, batch_rows)
            finally:
                for future in queue:
                    future.cancel()
    if not TAIL.fullmatch(tail):
        raise NotChunkable
    yield from _flush(emitted, pending, 0)
    return expected, emitted["students"]


class _Run:
    def __init__(self, data: bytes, last: bool) -> None:
        self.data = data
        self.last = last


def _lookahead(runs: Iterator[bytes]) -> Iterator[_Run]:
    """The runs, the last one marked (it is the tail, not a chunk)."""
    previous: bytes | None = None
    for run in runs:
        if previous is not None:
            yield _Run(previous, False)
        previous = run
    yield _Run(previous or b"", True)


def _take(
    tables: dict[str, pa.Table] | None,
    emitted: dict[str, int],
    pending: dict[str, list[pa.Table]],
    batch_rows: int,
) -> Iterator[tuple[str, pa.Table]]:
    """Number one chunk's rows after those before it; give the batches that are full."""
    if tables is None:
        raise NotChunkable
    for record_type, table in tables.items():
        if len(table):
            offset = emitted[record_type] + sum(len(t) for t in pending[record_type])
            line_no = pc.add(table["line_no"], pa.scalar(offset, pa.int32()))
            pending[record_type].append(table.set_column(0, "line_no", line_no))
    yield from _flush(emitted, pending, batch_rows)


def _flush(
    emitted: dict[str, int], pending: dict[str, list[pa.Table]], batch_rows: int
) -> Iterator[tuple[str, pa.Table]]:
    """The pending rows of each record type that holds at least `batch_rows` (0: any)."""
    for record_type, tables in pending.items():
        rows = sum(len(t) for t in tables)
        if rows and rows >= batch_rows:
            yield record_type, pa.concat_tables(tables)
            emitted[record_type] += rows
            pending[record_type] = []
