"""The truth files agree with the submissions and with each other."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pandas as pd

from generator.planted import RULES


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def test_every_record_is_in_a_students_file_and_back(generated):
    records = generated.truth["records"]
    sent = set(
        zip(
            generated.rows["students"]["state"],
            generated.rows["students"]["state_student_id"],
            strict=True,
        )
    )
    truth = set(zip(records["state"], records["state_student_id"], strict=True))
    assert truth == sent
    assert not records.duplicated(["state", "state_student_id"]).any()


def test_retracted_records_are_the_ones_sent_with_d(generated):
    students = generated.rows["students"]
    latest = students.sort_values("stamp").groupby(["state", "state_student_id"]).tail(1)
    retracted = set(
        zip(
            latest.loc[latest["action"] == "D", "state"],
            latest.loc[latest["action"] == "D", "state_student_id"],
            strict=True,
        )
    )
    records = generated.truth["records"]
    flagged = records[records["retracted"] == "Y"]
    assert retracted == set(zip(flagged["state"], flagged["state_student_id"], strict=True))
    assert retracted


def test_twins_share_birth_date_and_parents_but_not_first_name(generated):
    children = generated.truth["children"]
    twins = children[children["twin_group"] != ""]
    assert 0.015 <= len(twins) / len(children) <= 0.035
    for _, pair in twins.groupby("twin_group"):
        assert len(pair) == 2
        assert pair["birth_date"].nunique() == 1
        assert pair["first_name"].nunique() == 2
        assert (pair["multiple_birth"] == "Y").all()
    records = generated.truth["records"].merge(twins[["child_id", "twin_group"]], on="child_id")
    students = generated.rows["students"].drop_duplicates(
        ["state", "state_student_id"], keep="last"
    )
    sent = records.merge(students, on=["state", "state_student_id"])
    mothers = sent["parent1_first_name"].map(_fold)
    assert (mothers.groupby(sent["twin_group"]).nunique() == 1).all()


def test_planted_issues_cover_every_rule_and_name_real_records(generated):
    planted = generated.truth["planted_issues"]
    assert set(planted["rule"]) == set(RULES)
    assert (planted.groupby("rule").size() >= 3).all()
    records = generated.truth["records"]
    known = set(zip(records["state"], records["state_student_id"], strict=True))
    assert set(zip(planted["state"], planted["state_student_id"], strict=True)) <= known
    assert planted.groupby(["state", "state_student_id"])["rule"].nunique().max() == 1


def _current(rows: pd.DataFrame, students: pd.DataFrame) -> pd.DataFrame:
    """Rows of the latest stamp that carried the type per student, minus retracted students."""
    latest = rows.groupby(["state", "state_student_id"])["stamp"].transform("max")
    current = rows[rows["stamp"] == latest]
    last_student = students.sort_values("stamp").groupby(["state", "state_student_id"]).tail(1)
    gone = last_student[last_student["action"] == "D"][["state", "state_student_id"]]
    merged = current.merge(gone, how="left", indicator=True, on=["state", "state_student_id"])
    return merged[merged["_merge"] == "left_only"]


def test_credit_truth_follows_from_the_submissions(generated):
    courses = _current(generated.rows["courses"], generated.rows["students"])
    records = generated.truth["records"]
    courses = courses.merge(records, on=["state", "state_student_id"])
    granted = courses.groupby("child_id")["credits_granted"].agg(
        lambda v: sum((Decimal(x) for x in v if x), Decimal("0"))
    )
    in_progress = courses.groupby("child_id")["in_progress"].agg(lambda v: int((v == "Y").sum()))
    credits = generated.truth["credits"].set_index("child_id")
    for child_id, row in credits.iterrows():
        assert Decimal(row["credits_granted_total"]) == granted.get(child_id, Decimal("0")), (
            child_id
        )
        assert int(row["credits_in_progress"]) == in_progress.get(child_id, 0), child_id
    assert set(granted.index) <= set(credits.index)
    partial = generated.rows["courses"]["credits_granted"].isin(["0.25"])
    assert partial.any()
    in_prog = generated.rows["courses"]
    assert (in_prog.loc[in_prog["in_progress"] == "Y", "grade_to_date"] != "").all()


def test_secondary_share_and_moves(generated):
    children = generated.truth["children"]
    share = (children["is_secondary"] == "Y").mean()
    assert 0.3 <= share <= 0.5
    moves = generated.truth["moves"]
    assert (moves["departure_date"] < moves["arrival_date"]).all()
    assert ((moves["from_state"] != moves["to_state"]) == (moves["is_interstate"] == "Y")).all()
    streams = set(zip(moves["from_state"], moves["to_state"], strict=True))
    assert {("TX", "MI"), ("FL", "NC"), ("CA", "WA")} <= streams


def test_only_planted_coes_are_submitted_late(generated):
    moves = generated.rows["moves"]
    moves = moves[moves["qad"] != ""].copy()
    moves["stamp_day"] = pd.to_datetime(moves["stamp"].str[:8], format="%Y%m%d")
    moves["qad_day"] = pd.to_datetime(moves["qad"])
    subs = generated.truth["submissions"]
    go_live = subs[subs["kind"] == "initial"].set_index("state")["stamp"].str[:8]
    moves["go_live"] = pd.to_datetime(moves["state"].map(go_live), format="%Y%m%d")
    first = moves.groupby(["state", "state_student_id", "qad"]).agg(
        first_sent=("stamp_day", "min"), qad_day=("qad_day", "first"), go_live=("go_live", "first")
    )
    first = first[(first["qad_day"] >= first["go_live"]) & (first["qad_day"] < first["first_sent"])]
    late = first[(first["first_sent"] - first["qad_day"]).dt.days > 14].reset_index()
    planted = generated.truth["planted_issues"]
    planted = planted[planted["rule"] == "late_submission"]
    late_keys = set(zip(late["state"], late["state_student_id"], strict=True))
    assert late_keys == set(zip(planted["state"], planted["state_student_id"], strict=True))


def test_some_students_are_completed_by_a_later_delta(generated):
    students = generated.rows["students"].sort_values("stamp")
    grouped = students.groupby(["state", "state_student_id"])["middle_name"]
    first, last = grouped.first(), grouped.last()
    assert ((first == "") & (last != "")).any()


def test_only_planted_children_are_lost(generated):
    """A recorded withdrawal with no enrollment or QAD of the child from 30 days before to 60
    days after it (another school's) marks a lost child; only the planted ones may match."""
    students = generated.rows["students"]
    records = generated.truth["records"][["state", "state_student_id", "child_id"]]
    enr = _current(generated.rows["enrollments"], students).merge(records)
    moves = _current(generated.rows["moves"], students).merge(records)
    last_stamp = pd.to_datetime(generated.truth["submissions"]["stamp"].str[:8]).max()
    arrivals = pd.concat(
        [
            enr[["child_id", "school_id", "enrollment_date"]].rename(
                columns={"enrollment_date": "day"}
            ),
            moves[["child_id", "qad"]].rename(columns={"qad": "day"}).assign(school_id=""),
        ]
    )
    arrivals = arrivals[arrivals["day"] != ""].assign(day=lambda f: pd.to_datetime(f["day"]))
    left = enr[enr["withdrawal_date"] != ""].copy()
    left["left"] = pd.to_datetime(left["withdrawal_date"])
    left = left[left["left"] <= last_stamp - pd.Timedelta(days=60)].reset_index(drop=True)
    left["departure"] = left.index
    pairs = left.merge(arrivals, on="child_id", suffixes=("", "_next"))
    near = pairs[
        (pairs["school_id_next"] != pairs["school_id"])
        & (pairs["day"] >= pairs["left"] - pd.Timedelta(days=30))
        & (pairs["day"] <= pairs["left"] + pd.Timedelta(days=60))
    ]
    found = set(left.loc[~left["departure"].isin(near["departure"]), "child_id"])
    planted = generated.truth["planted_issues"]
    planted = planted[planted["rule"] == "lost_child"].merge(records)
    assert found == set(planted["child_id"])
