"""Line numbers of a CSV file larger than one DuckDB read buffer (read in several parts)."""

from __future__ import annotations

from contextlib import contextmanager

from loaders import csv_files, manifest
from tests.loaders.conftest import STUDENT_HEADER, csv_text

ROWS = 250_000  # about 12 MB: DuckDB scans it in several parts (8 MB a thread)
NAME = "Maria-Guadalupe-Isabel"
BROKEN_EVERY = 61_111


def test_line_numbers_follow_the_file_across_read_buffers(landing) -> None:
    rows = [
        landing.student(f"TX{i}", NAME, birth="bad" if i % BROKEN_EVERY == 7 else "2012-01-01")
        for i in range(ROWS)
    ]
    landing.students("TX", rows, header=None)
    landing.ingest()
    broken = [i for i in range(ROWS) if i % BROKEN_EVERY == 7]
    assert landing.rows("select line_no, state_student_id from raw.quarantine order by 1") == [
        (i + 2, f"TX{i}") for i in broken
    ]
    # every loaded row's line is its position in the file (header = line 1)
    assert (
        landing.one(
            "select count(*) from raw.students "
            "where line_no <> try_cast(substr(state_student_id, 3) as integer) + 2"
        )
        == 0
    )
    assert landing.one("select count(*) from raw.students") == ROWS - len(broken)


def test_scan_counts_each_line_break_once_across_chunks(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(manifest, "CHUNK_BYTES", 4)
    cases = {
        b"h\r\nab\r\ncd\r\n": (3, True),  # the second \r\n is split across two 4-byte chunks
        b"h\rab\rcd": (2, False),
        b"h\nab\n\ncd\r": (4, True),
        b"": (0, False),
    }
    for body, (breaks, ends) in cases.items():
        path = tmp_path / "f.csv"
        path.write_bytes(body)
        found = manifest.scan(path)
        assert (found.line_breaks, found.ends_with_break) == (breaks, ends), body
        assert found.checksum == manifest.hashlib.sha256(body).hexdigest()


def test_broken_rows_are_quarantined_when_records_span_lines_or_end_in_cr(landing) -> None:
    """Fewer records than lines (a quoted line break) or only \\r between records: the loaded
    count alone cannot tell that a row was left out, so the broken row is still found."""
    rows = [landing.student("TX1", "Ana\nMaria"), landing.student("TX2", birth="bad")]
    rows += [landing.student(f"TX{i}") for i in range(3, 6)]
    landing.students("TX", rows)
    cr_only = landing.csv_text(STUDENT_HEADER, [landing.student("NE1", birth="bad")])
    cr_only += "NE2,Ana,Ruiz,F,2012-05-01\n"
    landing.write("NE", "NE_20261101T083000_students.csv", cr_only.replace("\n", "\r"))
    report = landing.ingest()
    assert report.counts()["files_rejected"] == 0, report.notes()
    assert landing.rows("select file_name, line_no from raw.quarantine order by 1") == [
        ("NE_20261101T083000_students.csv", 2),  # line_no numbers records (header = 1)
        ("TX_20261101T083000_students.csv", 3),
    ]
    assert landing.one("select count(*) from raw.students") == 5


def _record(fields: list[str]) -> str:
    """One CSV record without its line end (quoted as the test files are)."""
    return csv_text(fields, [])[:-1]


def test_a_file_mixing_crlf_and_lf_loads_like_a_file_with_one_line_end(
    landing, monkeypatch
) -> None:
    """Same rows, same line numbers (also of quarantined rows and of a repeated key's reason)
    as the file written with `\\n` only; a quoted field keeps its `\\r\\n` or `\\n`. Only a file
    holding both kinds is copied with one kind of record end; the others go straight to
    DuckDB."""
    copied = {}
    original = csv_files.one_line_end

    @contextmanager
    def spy(path, scan, delimiter):
        with original(path, scan, delimiter) as readable:
            copied[path.name[:2]] = readable != path
            yield readable

    monkeypatch.setattr(csv_files, "one_line_end", spy)
    rows = [
        landing.student("S1", "Ana\r\nMaria"),
        landing.student("S2", birth="bad"),
        landing.student("S3", 'Ana "Lupe"\nRuiz'),
        landing.student("S4"),
        landing.student("S4", "Eva"),  # repeats line 5's key (this line is kept)
        landing.student("S5", "Eva,Luz", sex="Q"),
    ]
    records = [_record(STUDENT_HEADER)] + [_record(row) for row in rows]
    ends = ["\r\n" if i % 2 else "\n" for i in range(len(records))]
    landing.write("TX", "TX_20261101T083000_students.csv", "".join(map(str.__add__, records, ends)))
    landing.write("NE", "NE_20261101T083000_students.csv", "\n".join(records) + "\n")
    plain = [_record(STUDENT_HEADER)] + [_record(rows[i]) for i in (1, 3, 5)]  # no break
    landing.write("KS", "KS_20261101T083000_students.csv", "\r\n".join(plain) + "\r\n")
    landing.write("OK", "OK_20261101T083000_students.csv", "\n".join(plain[:3]))
    report = landing.ingest()
    assert report.counts()["files_rejected"] == 0, report.notes()
    # NE has \n record ends and a quoted \r\n: copied too (unchanged), with the same result
    assert copied == {"TX": True, "NE": True, "KS": False, "OK": False}

    def of(state: str, table: str, columns: str) -> list[tuple]:
        return landing.rows(
            f"select line_no, {columns} from raw.{table} where state = '{state}' order by 1, 2"
        )

    students = "state_student_id, first_name, last_name_1, sex, birth_date, action, extra"
    quarantine = "state_student_id, field, reason, record"
    assert of("TX", "students", students) == of("NE", "students", students)
    assert of("TX", "quarantine", quarantine) == of("NE", "quarantine", quarantine)
    assert [r[:3] for r in of("TX", "quarantine", "state_student_id, field")] == [
        (3, "S2", "birth_date"),
        (5, "S4", "state_student_id"),
        (7, "S5", "sex"),
    ]
    firsts = dict(
        landing.rows("select state_student_id, first_name from raw.students where state = 'TX'")
    )
    assert firsts == {"S1": "Ana\r\nMaria", "S3": 'Ana "Lupe"\nRuiz', "S4": "Eva"}
    assert of("KS", "students", "state_student_id") == [(3, "S4")]
    assert landing.rows(
        "select state, rows_read, rows_loaded, rows_quarantined from raw.load_manifest order by 1"
    ) == [("KS", 3, 1, 2), ("NE", 6, 3, 3), ("OK", 2, 1, 1), ("TX", 6, 3, 3)]


def test_line_ends_are_made_one_outside_quoted_fields_only(tmp_path) -> None:
    """Record ends become `\\n`; `\\r\\n` inside a quoted field (also after an escaped quote or
    a delimiter), a quote inside an unquoted field and a lone `\\r` stay as they are."""
    cases = [
        (
            ",",
            b'a,b\r\n1,"x\r\ny"\n2,"q""\r\n,"\r\n3,x"y\r\n4,"\r\n"\n5,z\rw\n',
            b'a,b\n1,"x\r\ny"\n2,"q""\r\n,"\n3,x"y\n4,"\r\n"\n5,z\rw\n',
        ),
        ("|", b'a|b\r\n"1|\r\n"|2\n"x"|"y\r\n"\r\n', b'a|b\n"1|\r\n"|2\n"x"|"y\r\n"\n'),
        # a quoted field opening the file, after a byte-order mark or not
        (",", b'"a\r\n",b\r\n1,2\n', b'"a\r\n",b\n1,2\n'),
        (",", b'\xef\xbb\xbf"a\r\n",b\r\n1,2\n', b'\xef\xbb\xbf"a\r\n",b\n1,2\n'),
    ]
    for delimiter, body, expected in cases:
        path = tmp_path / "f.csv"
        path.write_bytes(body)
        scan = manifest.scan(path)
        assert scan.mixes_line_ends
        with csv_files.one_line_end(path, scan, delimiter) as copy:
            assert copy.read_bytes() == expected
            assert manifest.scan(copy).line_breaks == scan.line_breaks
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b'a,b\r\n1,"x\r\ny"\r\n')
    with csv_files.one_line_end(plain, manifest.scan(plain), ",") as same:
        assert same == plain
