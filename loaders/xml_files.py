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
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
from lxml import etree

from loaders.contract import COLUMNS, RECORD_TYPES, XML_ELEMENTS, pascal_case
from loaders.errors import FileRejected
from loaders.names import SubmissionFile, printable
from loaders.sink import rows_to_arrow

NAMESPACE = "urn:msix-warehouse:submission:1"
BATCH_ROWS = 50_000
PRESCAN_BYTES = 64 * 1024
CHILD_TYPES = {element: record_type for record_type, element in XML_ELEMENTS.items()}
FIELDS = {rt: {pascal_case(c.name): c.name for c in COLUMNS[rt]} for rt in RECORD_TYPES}

Row = dict[str, str | int | None]


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


def _record(element: etree._Element, record_type: str, line_no: int) -> Row:
    """One row of text values from the simple child elements of a record element."""
    fields = FIELDS[record_type]
    row: Row = {"line_no": line_no}
    extra: dict[str, str | None] = {}
    for child in element:
        name = _local(child.tag)
        if not name or name in CHILD_TYPES:
            continue
        text = child.text
        if name in fields and fields[name] not in row:
            row[fields[name]] = text
        else:
            extra[name] = text
    row["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
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


def _student(element: etree._Element, batches: _Batches) -> None:
    """Rows of one <Student> and its child records."""
    row = _record(element, "students", batches.next_line("students"))
    action = element.get("action")
    if action is not None and row.get("action") is None:
        row["action"] = action
    batches.rows["students"].append(row)
    for child in element:
        record_type = CHILD_TYPES.get(_local(child.tag))
        if record_type is None:
            continue
        child_row = _record(child, record_type, batches.next_line(record_type))
        if child_row.get("state_student_id") is None:
            child_row["state_student_id"] = row.get("state_student_id")
        batches.rows[record_type].append(child_row)


def _check_root(root: etree._Element, sub: SubmissionFile) -> int:
    """Check the <Submission> element against the file name; return its studentCount."""
    if _local(root.tag) != "Submission":
        raise FileRejected(f"root element is {printable(_local(root.tag))}, expected Submission")
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
    if created != sub.stamp:
        raise FileRejected("Submission created does not match the file name's stamp")
    count = root.get("studentCount") or ""
    if not count.isdigit():
        raise FileRejected("Submission studentCount is missing or not a number")
    return int(count)


def xml_batches(sub: SubmissionFile) -> Iterator[tuple[str, pa.Table]]:
    """(record type, Arrow batch) of a whole XML submission, checked as a file at the end."""
    refuse_doctype(sub.path)
    batches = _Batches()
    expected = students = 0
    depth = 0
    root: etree._Element | None = None
    context = etree.iterparse(
        str(sub.path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, element in context:
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element
                    expected = _check_root(element, sub)
                elif depth == 2 and _local(element.tag) != "Student":
                    raise FileRejected(
                        f"unexpected element {printable(_local(element.tag))} in Submission"
                    )
                continue
            depth -= 1
            if depth == 1:
                students += 1
                _student(element, batches)
                element.clear()
                if root is not None:
                    while len(root) > 1:
                        del root[0]
                yield from batches.full()
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise FileRejected(f"malformed XML{where} ({_error_kind(exc)})") from None
    if students != expected:
        raise FileRejected(
            f"studentCount says {expected} but the file holds {students} Student elements"
        )
    yield from batches.rest()


def _error_kind(exc: etree.XMLSyntaxError) -> str:
    """The libxml2 error type (e.g. ERR_TAG_NAME_MISMATCH): names the problem, never a value."""
    entries = list(exc.error_log) if exc.error_log is not None else []
    if entries:
        return str(entries[-1].type_name)
    return "syntax error"
