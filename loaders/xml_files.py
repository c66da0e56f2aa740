"""XML submissions (§5) streamed with lxml `iterparse` into Arrow batches of bounded size.

An XML file is untrusted: any DOCTYPE (and so any DTD or entity declaration) is refused before
parsing, and the parser never loads a DTD, resolves an entity or touches the network. One
`<Student>` element is turned into one students row and one row per child record (`Move`,
`Enrollment`, `Course`, `Assessment`) whose `state_student_id` is the student's; the element is
then cleared, so memory holds one batch, not the file. `line_no` is the element's ordinal per
record element (1-based). `state` and `created` must agree with the file name and
`studentCount` with the number of students, else the file is rejected whole.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from loaders.contract import COLUMNS, RECORD_TYPES, XML_ELEMENTS, pascal_case
from loaders.errors import FileRejected
from loaders.names import SubmissionFile, printable
from loaders.sink import rows_to_arrow
from loaders.xml_chunks import SECURE_PARSING, NotChunkable, chunked_batches

NAMESPACE = "urn:msix-warehouse:submission:1"
BATCH_ROWS = 50_000
FULL_CHECK_EVERY = 1000  # students between two looks for a full batch
PRESCAN_BYTES = 64 * 1024
CHILD_TYPES = {element: record_type for record_type, element in XML_ELEMENTS.items()}


def _both(local: str) -> tuple[str, str]:
    """An element name with and without the contract namespace (both are accepted)."""
    return local, f"{{{NAMESPACE}}}{local}"


# full tag -> column position in a row of that record type (0 is line_no, last is extra)
POSITIONS = {
    rt: {tag: i + 1 for i, c in enumerate(COLUMNS[rt]) for tag in _both(pascal_case(c.name))}
    for rt in RECORD_TYPES
}
CHILD_TAGS = {tag: rt for element, rt in CHILD_TYPES.items() for tag in _both(element)}
STUDENT_TAGS = _both("Student")
SUBMISSION_TAGS = _both("Submission")

Row = list[str | None]


def _local(tag: object) -> str:
    """Element name without its namespace ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def refuse_doctype(path: Path) -> None:
    """Reject a file that declares a DTD or entities, before any parser sees it."""
    with path.open("rb") as handle:
        head = handle.read(PRESCAN_BYTES)
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise FileRejected("XML with a DOCTYPE (DTD or entity declarations) is refused")


def _record(
    element: etree._Element,
    record_type: str,
    line_no: int,
    records: list[etree._Element] | None = None,
) -> Row:
    """One row (line_no, contract columns in order, extra) from a record element's children.
    Child record elements (`Move`, ...) are collected into `records` when it is given."""
    positions = POSITIONS[record_type]
    row: Row = [None] * (len(COLUMNS[record_type]) + 2)
    row[0] = str(line_no)  # all text, so the batch goes to Arrow in one call
    extra: dict[str, str | None] | None = None
    for child in element:
        tag = child.tag
        position = positions.get(tag)
        if position is not None and row[position] is None:
            row[position] = child.text
        elif tag in CHILD_TAGS:
            if records is not None:
                records.append(child)
        elif isinstance(tag, str):
            extra = extra or {}
            extra[_local(tag)] = child.text
    if extra:
        row[-1] = json.dumps(extra, ensure_ascii=False)
    return row


class _Batches:
    """Rows gathered per record type until a batch is full."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {rt: [] for rt in RECORD_TYPES}
        self.ordinals: dict[str, int] = dict.fromkeys(RECORD_TYPES, 0)

    def next_line(self, record_type: str) -> int:
        self.ordinals[record_type] += 1
        return self.ordinals[record_type]

    def full(self) -> Iterator[tuple[str, pa.Table]]:
        for record_type, rows in self.rows.items():
            if len(rows) >= BATCH_ROWS:
                yield record_type, rows_to_arrow(record_type, rows)
                self.rows[record_type] = []

    def rest(self) -> Iterator[tuple[str, pa.Table]]:
        for record_type, rows in self.rows.items():
            if rows:
                yield record_type, rows_to_arrow(record_type, rows)
                self.rows[record_type] = []


SID = 1  # position of state_student_id in every record type's row
ACTION = 2  # position of action in a students row


def _student(element: etree._Element, batches: _Batches) -> None:
    """Rows of one <Student> and its child records."""
    records: list[etree._Element] = []
    row = _record(element, "students", batches.next_line("students"), records)
    action = element.get("action")
    if action is not None and row[ACTION] is None:
        row[ACTION] = action
    batches.rows["students"].append(row)
    for child in records:
        record_type = CHILD_TAGS[child.tag]
        child_row = _record(child, record_type, batches.next_line(record_type))
        if child_row[SID] is None:
            child_row[SID] = row[SID]
        batches.rows[record_type].append(child_row)


def _check_root(root: etree._Element, sub: SubmissionFile) -> int:
    """Check the <Submission> element against the file name; return its studentCount."""
    if root.tag not in SUBMISSION_TAGS or root.getparent() is not None:
        raise FileRejected("root element is not Submission")
    if root.getroottree().docinfo.doctype:
        raise FileRejected("XML with a DOCTYPE (DTD or entity declarations) is refused")
    state = root.get("state")
    if state != sub.state:
        raise FileRejected(
            f"Submission state {printable(str(state))} does not match the file name's {sub.state}"
        )
    try:
        created = datetime.fromisoformat(root.get("created") or "")
    except ValueError:
        raise FileRejected("Submission created is missing or not a date and time") from None
    # the stamp is the extract's wall-clock time: a UTC mark or offset on `created` (an ISO
    # writer's "Z") does not change which time the file says
    if created.replace(tzinfo=None) != sub.stamp:
        raise FileRejected("Submission created does not match the file name's stamp")
    count = root.get("studentCount") or ""
    if not count.isdigit():
        raise FileRejected("Submission studentCount is missing or not a number")
    return int(count)


def xml_batches(sub: SubmissionFile) -> Iterator[tuple[str, pa.Table]]:
    """(record type, Arrow batch) of a whole XML submission, checked as a file at the end.

    The chunked fast path (`xml_chunks`) gives the rows when it can; where it stops, the
    element path below goes on after the rows already given (their `line_no` are the element
    ordinals, the same in both), so the rows, checks and reasons are the element path's."""
    refuse_doctype(sub.path)
    given = dict.fromkeys(RECORD_TYPES, 0)
    chunked = chunked_batches(
        sub.path, lambda root: _check_root(root, sub), _chunk_rows, BATCH_ROWS
    )
    try:
        counts = yield from _counted(chunked, given)
    except NotChunkable:
        counts = None
    finally:
        chunked.close()  # stops its worker threads when the caller stops early
    if counts is not None:
        _check_count(*counts)
        return
    for record_type, batch in _element_batches(sub):
        if given[record_type]:
            batch = batch.filter(pc.greater(batch["line_no"], given[record_type]))
        if batch.num_rows:
            yield record_type, batch


def _counted(
    batches: Generator[tuple[str, pa.Table], None, tuple[int, int]], given: dict[str, int]
) -> Generator[tuple[str, pa.Table], None, tuple[int, int]]:
    """The batches, counting in `given` the rows given per record type; returns what
    `batches` returns."""
    while True:
        try:
            record_type, batch = next(batches)
        except StopIteration as done:
            return done.value
        given[record_type] += batch.num_rows
        yield record_type, batch


def _chunk_rows(root: etree._Element) -> dict[str, pa.Table] | None:
    """The rows of one parsed chunk of the fast path (line_no from 1 in the chunk), by this
    path's own code; None when the chunk holds anything but Students under its Submission
    (the element path then rejects the file, in file order)."""
    batches = _Batches()
    for element in root:
        if element.tag not in STUDENT_TAGS:
            return None
        _student(element, batches)
    return {rt: rows_to_arrow(rt, rows) for rt, rows in batches.rows.items() if rows}


def _check_count(expected: int, students: int) -> None:
    """A studentCount that is not the number of Student elements rejects the file."""
    if students != expected:
        raise FileRejected(
            f"studentCount says {expected} but the file holds {students} Student elements"
        )


def _element_batches(sub: SubmissionFile) -> Iterator[tuple[str, pa.Table]]:
    """The element path: lxml `iterparse`, one Python row per record element."""
    batches = _Batches()
    expected = students = 0
    root: etree._Element | None = None
    context = etree.iterparse(
        str(sub.path),
        events=("start", "end"),
        tag=[*SUBMISSION_TAGS, *STUDENT_TAGS],
        **SECURE_PARSING,
    )
    try:
        for event, element in context:
            if root is None:
                root = element
                expected = _check_root(element, sub)
                continue
            if event == "start" or element.getparent() is not root:
                continue
            students += 1
            _student(element, batches)
            element.clear()
            while element.getprevious() is not None:
                _drop_first(root)
            if students % FULL_CHECK_EVERY == 0:
                yield from batches.full()
        if root is None:
            raise FileRejected("root element is not Submission")
        while len(root):
            _drop_first(root)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise FileRejected(f"malformed XML{where} ({_error_kind(exc)})") from None
    _check_count(expected, students)
    yield from batches.rest()


def _drop_first(root: etree._Element) -> None:
    """Remove a processed child of <Submission>; anything but a Student rejects the file."""
    first = root[0]
    if first.tag not in STUDENT_TAGS:
        raise FileRejected(f"unexpected element {printable(_local(first.tag))} in Submission")
    del root[0]


def _error_kind(exc: etree.XMLSyntaxError) -> str:
    """The libxml2 error type (e.g. ERR_TAG_NAME_MISMATCH): names the problem, never a value."""
    entries = list(exc.error_log) if exc.error_log is not None else []
    if entries:
        return str(entries[-1].type_name)
    return "syntax error"
