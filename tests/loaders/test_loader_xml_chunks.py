"""The chunked XML fast path (loaders/xml_chunks.py) gives exactly the element path's rows,
and hands over to the element path, without losing or repeating a row, where it cannot."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa
import pytest
from lxml import etree

from loaders import xml_chunks, xml_files
from loaders.errors import FileRejected
from loaders.names import parse_path

NAME = "TX_20261101T083000.xml"
MOVE = "<Move><Qad>2026-09-02</Qad><MoveFromState>FL</MoveFromState></Move>"
COURSE = (
    "<Course><StateStudentId>{own}</StateStudentId><SchoolId>481234005678</SchoolId>"
    "<SchoolYear>2025-2026</SchoolYear><TermType>SEM1</TermType><CourseTitle>{title}</CourseTitle>"
    "<SubjectArea>02</SubjectArea></Course>"
)


def _student(i: int, first: str = "Maria", extra: str = "", action: str = ' action="U"') -> str:
    return (
        f"<Student{action}>\n  <StateStudentId>TX{i}</StateStudentId><FirstName>{first}</FirstName>"
        f"<LastName1>Hernandez</LastName1><LastName2/><Sex>F</Sex><BirthDate>2010-03-14</BirthDate>"
        f"{MOVE}{COURSE.format(own='', title='Algebra I')}{extra}\n</Student>"
    )


# values that a delimited text format would break on, and markup-looking text
AWKWARD = [
    "Ma\nria",
    'O"Brien, Jr.',
    "a|b\tc;d",
    "&lt;Student&gt; &amp; &#233;&#x4E2D;",
    "  ",
    "\u00e9\u4e2d\U0001f600",
    "&#xE100;&#xE003;",
    "x\ufdd0y > z",
]


def _file(landing, students: list[str], namespace: bool = True, count: int | None = None):
    ns = ' xmlns="urn:msix-warehouse:submission:1"' if namespace else ""
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Submission{ns} state="TX" '
        f'created="2026-11-01T08:30:00" studentCount="{len(students) if count is None else count}">\n'
        + "\n".join(students)
        + "\n</Submission>\n"
    )
    path = landing.write("TX", NAME, text)
    return parse_path(path, landing.root)


def _tables(batches: Iterator[tuple[str, pa.Table]]) -> dict[str, pa.Table]:
    found: dict[str, list[pa.Table]] = {}
    for record_type, batch in batches:
        found.setdefault(record_type, []).append(batch)
    return {rt: pa.concat_tables(t).sort_by("line_no") for rt, t in found.items()}


def _fast_only(sub) -> dict[str, pa.Table]:
    """The fast path's rows; fails the test when it hands over to the element path."""
    check = lambda root: xml_files._check_root(root, sub)  # noqa: E731
    return _tables(xml_chunks.chunked_batches(sub.path, check, xml_files._chunk_rows, 3))


@pytest.fixture
def small_chunks(monkeypatch) -> None:
    """Chunks of a few hundred bytes, so a small file crosses many chunk boundaries."""
    monkeypatch.setattr(xml_chunks, "CHUNK_BYTES", 300)
    monkeypatch.setattr(xml_files, "BATCH_ROWS", 3)


@pytest.mark.parametrize("namespace", [True, False])
def test_fast_path_rows_equal_the_element_path_rows(landing, small_chunks, namespace) -> None:
    students = [_student(i, first) for i, first in enumerate(AWKWARD)]
    students.append(_student(99, action=""))  # no action attribute: NULL, as in the element path
    students.append(
        _student(98, extra=COURSE.format(own="TX7", title="Own id"), action=' action="D"')
    )
    students.append(_student(97).replace("<FirstName>Maria</FirstName>", "<Action>I</Action>"))
    sub = _file(landing, students, namespace)
    fast = _fast_only(sub)
    element = _tables(xml_files._element_batches(sub))
    assert fast.keys() == element.keys() == {"students", "moves", "courses"}
    for record_type, table in element.items():
        assert fast[record_type].equals(table), record_type
    first_names = fast["students"]["first_name"].to_pylist()
    assert first_names[:4] == ["Ma\nria", 'O"Brien, Jr.', "a|b\tc;d", "<Student> & \u00e9\u4e2d"]
    assert first_names[4:8] == ["  ", "\u00e9\u4e2d\U0001f600", "\ue100\ue003", "x\ufdd0y > z"]
    assert fast["courses"]["state_student_id"].to_pylist()[-3:] == ["TX98", "TX7", "TX97"]


def test_tags_read_from_the_bytes_give_the_xslt_rows() -> None:
    students = [
        _student(1, "a > b"),
        _student(2, "", action=""),
        _student(3, action=' action="D"').replace("<Sex>F</Sex>", "<Sex/>"),
        _student(4).replace("<Move>", "<Move><StateStudentId>TX9</StateStudentId>"),
        '<Student action="I"></Student>',
        "<Student/>",
        "<Student><Enrollment/><Assessment><Score> 1 </Score></Assessment></Student>",
    ]
    chunk = "\n".join(students).encode()
    flatten = xml_chunks._Flattener(xml_files._chunk_rows)
    _, xslt = flatten.tools()
    tree = etree.fromstring(xml_chunks.WRAP_START + chunk + xml_chunks.WRAP_END)
    raw = xml_chunks._tables(xml_chunks._raw_tokens(chunk))
    flattened = xml_chunks._tables(xml_chunks._xslt_tokens(str(xslt(tree))))
    assert raw.keys() == flattened.keys()
    for record_type, table in flattened.items():
        assert raw[record_type].equals(table), record_type
    assert raw["students"]["action"].to_pylist() == ["U", None, "D", "U", "I", None, None]
    assert raw["assessments"]["score"].to_pylist() == [" 1 "]


@pytest.mark.parametrize("last_name", ["Ruiz", "Ruiz &amp; Diaz", "Ruiz\r"])
def test_a_students_fields_after_its_records_stay_the_students(
    landing, small_chunks, last_name
) -> None:
    """Element order inside a Student is free: its fields after one of its records (read from
    the bytes, or by the XSLT when an entity or a carriage return is there) are the Student's,
    not the record's (they went into the Move's columns, or past its last one)."""
    late = (
        "<Student><StateStudentId>TX{i}</StateStudentId><BirthDate>2010-03-14</BirthDate>"
        f"<Move><Qad>2026-09-02</Qad></Move><FirstName>Ana</FirstName><LastName1>{last_name}"
        "</LastName1><Sex>F</Sex></Student>"
    )
    move_first = (
        "<Student><Move><Qad>2026-09-02</Qad></Move><StateStudentId>TX{i}</StateStudentId>"
        f"<FirstName>Ana</FirstName><LastName1>{last_name}</LastName1><Sex>F</Sex>"
        "<BirthDate>2010-03-14</BirthDate></Student>"
    )
    sub = _file(landing, [(late if i % 2 else move_first).format(i=i) for i in range(6)])
    fast = _fast_only(sub)
    element = _tables(xml_files._element_batches(sub))
    for record_type, table in element.items():
        assert fast[record_type].equals(table), record_type
    students = fast["students"].to_pylist()
    assert [(r["state_student_id"], r["first_name"], r["sex"]) for r in students[:2]] == [
        ("TX0", "Ana", "F"),
        ("TX1", "Ana", "F"),
    ]
    assert fast["moves"]["move_from_city"].to_pylist() == [None] * 6
    assert fast["moves"]["eligibility_expiration_date"].to_pylist() == [None] * 6
    assert fast["moves"]["state_student_id"].to_pylist()[:2] == ["TX0", "TX1"]


@pytest.mark.parametrize(
    "chunk",
    [
        b"<Student><FirstName>A &amp; B</FirstName></Student>",
        b"<Student><FirstName>A\rB</FirstName></Student>",
        b"<Student action='U'></Student>",
        b"<Student><FirstName>A<!-- c --></FirstName></Student>",
    ],
)
def test_tags_the_bytes_reader_leaves_to_the_xslt(chunk) -> None:
    assert xml_chunks._raw_tokens(chunk) is None


@pytest.mark.parametrize(
    "odd",
    [
        "<Hobby>chess</Hobby>",  # unknown element: kept in extra by the element path
        "<FirstName>Ana</FirstName>",  # repeated element
        "<Move><Qad>2026-09-02</Qad><Move/></Move>",  # a record inside a record
        "<BirthCity>Lo<b>pe</b>z</BirthCity>",  # an element inside a value
        "<BirthCity>x&#xFDD0;y</BirthCity>",  # the XSLT output's separator
        '<BirthCity xmlns="urn:other">x</BirthCity>',
        "<Student><StateStudentId>TX0</StateStudentId></Student>",  # nested Student
        # markup that may hide the end tag the chunks are cut at
        "<!-- </Student> -->",
        "<BirthCity>a<![CDATA[</Student>]]>b<!-- c -->d</BirthCity>",
        "<?pi </Student> ?>",
    ],
)
def test_odd_chunks_give_the_element_path_rows(landing, small_chunks, odd) -> None:
    students = [_student(i) for i in range(12)]
    students[8] = _student(8, extra=odd)
    sub = _file(landing, students)
    element = _tables(xml_files._element_batches(sub))
    mixed = _tables(xml_files.xml_batches(sub))
    assert mixed.keys() == element.keys()
    for record_type, table in element.items():
        assert mixed[record_type].equals(table), record_type
    if "</Student>" not in odd:  # no cut inside: the chunk is read by the element path's code
        fast = _fast_only(sub)
        assert all(fast[rt].equals(table) for rt, table in element.items())


def test_a_chunk_cut_inside_a_student_hands_over_without_losing_or_repeating_rows(
    landing, small_chunks
) -> None:
    students = [_student(i) for i in range(12)]
    # a Student inside a Student: the chunk is cut at the inner end tag and is not well-formed
    inner = "<Student><BirthCity>" + "x" * 400 + "</BirthCity></Student>"
    students[8] = _student(8, extra=inner)
    sub = _file(landing, students)
    with pytest.raises(xml_chunks.NotChunkable):
        _fast_only(sub)
    batches = list(xml_files.xml_batches(sub))
    assert len(batches) > 4  # rows were given before the hand-over
    mixed = _tables(iter(batches))
    element = _tables(xml_files._element_batches(sub))
    assert mixed.keys() == element.keys()
    for record_type, table in element.items():
        assert mixed[record_type].equals(table), record_type
    assert "Student" in mixed["students"]["extra"].to_pylist()[8]


def test_an_element_other_than_student_is_rejected_as_by_the_element_path(
    landing, small_chunks
) -> None:
    students = [_student(i) for i in range(12)]
    students[9] = "<Junk/>" + students[9]
    sub = _file(landing, students)
    with pytest.raises(FileRejected) as element:
        list(xml_files._element_batches(sub))
    with pytest.raises(FileRejected) as mixed:
        list(xml_files.xml_batches(sub))
    assert str(mixed.value) == str(element.value) == "unexpected element Junk in Submission"


def test_malformed_xml_in_a_later_chunk_is_rejected_as_by_the_element_path(
    landing, small_chunks
) -> None:
    students = [_student(i) for i in range(12)]
    students[9] = students[9].replace("</LastName1>", "</LastName>")
    sub = _file(landing, students)
    with pytest.raises(FileRejected) as element:
        list(xml_files._element_batches(sub))
    with pytest.raises(FileRejected) as mixed:
        list(xml_files.xml_batches(sub))
    assert str(mixed.value) == str(element.value)
    assert str(mixed.value).startswith("malformed XML at line")


def test_a_wrong_student_count_is_found_by_the_fast_path(landing, small_chunks) -> None:
    sub = _file(landing, [_student(i) for i in range(5)], count=6)
    with pytest.raises(FileRejected, match="studentCount says 6 but the file holds 5"):
        list(xml_files.xml_batches(sub))
    assert _fast_only(sub)["students"].num_rows == 5


def test_a_file_loaded_by_the_fast_path_lands_whole(landing, small_chunks) -> None:
    _file(landing, [_student(i) for i in range(20)])
    report = landing.ingest()
    assert report.counts()["rows_loaded"] == 60
    assert landing.rows("select min(line_no), max(line_no), count(*) from raw.courses") == [
        (1, 20, 20)
    ]
    assert landing.rows("select count(distinct state_student_id) from raw.moves") == [(20,)]


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<Submission',  # chunks are read as UTF-8
        b'<?xml version="1.0"?>\n<s:Submission xmlns:s="urn:msix-warehouse:submission:1"',
    ],
)
def test_files_the_fast_path_leaves_to_the_element_path(landing, head) -> None:
    body = _student(1, "Jos\xe9").encode("latin-1") if b"ISO" in head else _student(1).encode()
    if head.startswith(b'<?xml version="1.0"?>\n<s:'):
        body = body.replace(b"<Student", b"<s:Student").replace(b"</Student", b"</s:Student")
        tail = b"</s:Submission>\n"
    else:
        tail = b"</Submission>\n"
    text = head + b' state="TX" created="2026-11-01T08:30:00" studentCount="1">\n' + body + tail
    sub = parse_path(landing.write("TX", NAME, text), landing.root)
    with pytest.raises(xml_chunks.NotChunkable):
        _fast_only(sub)
    element = _tables(xml_files._element_batches(sub))
    assert _tables(xml_files.xml_batches(sub)).keys() == element.keys()
    for record_type, table in _tables(xml_files.xml_batches(sub)).items():
        assert table.equals(element[record_type]), record_type
    assert element["students"]["first_name"].to_pylist()[0] in ("Jos\xe9", "Maria")


def test_a_caller_that_stops_early_leaves_no_worker_running(landing, small_chunks) -> None:
    sub = _file(landing, [_student(i) for i in range(30)])
    before = threading.active_count()
    batches = xml_files.xml_batches(sub)
    next(batches)
    assert threading.active_count() > before
    batches.close()
    assert threading.active_count() == before
