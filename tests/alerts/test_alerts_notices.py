"""Move notices kept by check_quality for send_alerts, and the fallback when they do not fit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from alerts.coordinators import Coordinator
from alerts.deliver import build_digests
from alerts.notices import move_notices, stored_notices
from quality.findings import prepare
from quality.fixtures import Warehouse
from quality.run import publish_findings

AS_OF = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 1, 5, 8, 0)
FL = Coordinator(
    name="FL Admin", email="fl.data@example.org", state="FL", district=None,
    role="data_administrator", account_status="approved", verifier="a@example.org",
    approver="b@example.org", training_date=date(2026, 1, 10),
)  # fmt: skip
MOVE_TX_TO_FL = {
    "state": "TX", "state_student_id": "TX2", "qad": date(2026, 2, 2), "move_to_state": "FL",
    "stamp": datetime(2026, 2, 3),
}  # fmt: skip


def build(path: Path) -> None:
    """A child moving TX -> FL: a departure notice and an arrival notice for FL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        wh = Warehouse(con)
        wh.student("TX", "TX2", "000000000002", stamp=T0)
        wh.student("FL", "FL2", "000000000002", stamp=T0)
        enrollment = {"school_name": "School", "enrollment_type": "01", "stamp": T0,
                      "grade_level": "09"}  # fmt: skip
        wh.add(
            "raw.enrollments",
            [
                {**enrollment, "state": "TX", "state_student_id": "TX2",
                 "school_id": "480000000002", "enrollment_date": date(2025, 8, 20),
                 "withdrawal_date": date(2026, 1, 30)},
                {**enrollment, "state": "FL", "state_student_id": "FL2",
                 "school_id": "120000000001", "enrollment_date": date(2026, 2, 9)},
            ],
        )  # fmt: skip
        wh.add("raw.moves", [MOVE_TX_TO_FL])
        publish_findings(con, AS_OF)


def computed(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame:
    prepare(con, as_of)
    return move_notices(con)


def test_check_quality_keeps_the_notices_of_its_clock(warehouse: Path) -> None:
    build(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        kept = stored_notices(con, AS_OF)
        assert kept is not None and sorted(kept["kind"]) == ["arrival", "departure"]
        pd.testing.assert_frame_equal(kept, computed(con, AS_OF))
        assert stored_notices(con, datetime(2026, 3, 9, 12, 0, tzinfo=UTC)) is None


def test_send_alerts_reads_the_kept_notices_for_the_same_clock(warehouse: Path) -> None:
    build(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # a kept notice that the data would not give: only the kept table can be its source
        con.execute(
            "update quality.move_notice set previous_school = 'kept' where kind = 'arrival'"
        )
        digests = build_digests(con, [FL], AS_OF)
    assert list(digests[0].notices["previous_school"]).count("kept") == 1


def test_send_alerts_computes_the_notices_for_another_clock(warehouse: Path) -> None:
    build(warehouse)
    later = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)  # the move is older than 60 days then
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update quality.move_notice set previous_school = 'kept'")
        digests = build_digests(con, [FL], later)
        assert digests == [] or digests[0].notices.empty
        notices = build_digests(con, [FL], datetime(2026, 3, 3, 12, 0, tzinfo=UTC))[0].notices
    assert len(notices) == 2 and "kept" not in set(notices["previous_school"])


def test_send_alerts_computes_the_notices_when_data_arrived_since(warehouse: Path) -> None:
    build(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update quality.move_notice set previous_school = 'kept'")
        Warehouse(con).add(
            "raw.courses",
            [{"state": "TX", "state_student_id": "TX2", "school_id": "480000000002",
              "school_year": "2025-2026", "term_type": "SEM1", "subject_area": "02",
              "course_title": "Algebra I", "in_progress": "Y", "stamp": datetime(2026, 3, 1)}],
        )  # fmt: skip
        assert stored_notices(con, AS_OF) is None
        notices = build_digests(con, [FL], AS_OF)[0].notices
    assert "kept" not in set(notices["previous_school"])
    assert "Algebra I" in set(notices["courses_in_progress"])
