"""Line numbers of a CSV file larger than one DuckDB read buffer (read in several parts)."""

from __future__ import annotations

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
