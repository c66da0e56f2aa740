"""Line numbers of a CSV file larger than one DuckDB read buffer (read in several parts)."""

from __future__ import annotations

from loaders import manifest
from tests.loaders.conftest import STUDENT_HEADER

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
