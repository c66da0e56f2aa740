"""Every planted problem of a generated data set becomes a finding, stable across a rerun.

The generator plants problems and lists them in `truth/planted_issues.csv`. This test loads its
submissions with the real loader and links records with the true crosswalk from
`truth/records.csv` (identity resolution is tested on its own), so a miss here is a rule's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from generator.write import generate
from loaders.ingest import ingest_landing
from msix.paths import LAYOUTS_DIR
from quality.fixtures import IDENTITY_DDL
from quality.run import publish_findings

AS_OF = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # after the generator's last submission

# The generator's names for the problems it plants -> the rule that must find each.
PLANTED_RULE = {
    "missing_qad": "missing_qad",
    "missing_withdrawal": "missing_withdrawal_date",
    "missing_course_history": "missing_course_history",
    "conflicting_birth_date": "conflicting_identity",
    "conflicting_sex": "conflicting_identity",
    "eligibility_expiration_mismatch": "conflicting_eligibility_expiration",
    "overlapping_enrollment": "impossible_overlapping_enrollments",
    "withdrawal_before_enrollment": "impossible_withdrawal_before_enrollment",
    "credits_granted_above_attempted": "impossible_credits",
    "grade_implausible_for_age": "impossible_grade_for_age",
    "qad_in_future": "impossible_future_qad",
    "lost_child": "lost_student",
    "late_submission": "late_coe",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("generated")
    generate(out=out, children=500, seed=11, states=["TX", "FL", "CA"])
    warehouse = out / "msix.duckdb"
    ingest_landing(out / "landing", warehouse, layouts_dir=LAYOUTS_DIR)
    records = pd.read_csv(out / "truth" / "records.csv", dtype=str)
    records["msix_id"] = records["child_id"].str[1:].str.zfill(12)
    with duckdb.connect(str(warehouse)) as con:
        for ddl in IDENTITY_DDL:
            con.execute(ddl)
        con.register("xwalk", records[["state", "state_student_id", "msix_id"]])
        con.execute("insert into marts.xwalk_student_identity select * from xwalk")
    planted = pd.read_csv(out / "truth" / "planted_issues.csv", dtype=str)
    return warehouse, planted


def test_every_planted_problem_is_found_and_ids_are_stable(
    generated: tuple[Path, pd.DataFrame],
) -> None:
    warehouse, planted = generated
    assert set(planted["rule"]) == set(PLANTED_RULE)
    with duckdb.connect(str(warehouse)) as con:
        first = publish_findings(con, AS_OF)
        issues = con.execute(
            "select issue_id, rule, state, state_student_id, detail from marts.dq_issue"
        ).df()
        again = publish_findings(con, AS_OF)
        rerun = con.execute(
            "select issue_id, rule, state, state_student_id, detail from marts.dq_issue"
        ).df()
    found = set(zip(issues["rule"], issues["state"], issues["state_student_id"], strict=True))
    missed = [
        (row.rule, row.state, row.state_student_id)
        for row in planted.itertuples()
        if (PLANTED_RULE[row.rule], row.state, row.state_student_id) not in found
    ]
    assert missed == []
    assert first.counts()["opened"] == len(issues) and first.counts()["rules"] == 18
    assert again.counts()["opened"] == again.counts()["changed"] == again.counts()["resolved"] == 0
    pd.testing.assert_frame_equal(issues, rerun)
