"""Accuracy against ground truth: pairwise precision and recall, mixed IDs, merged twins.

Truth is the generator's `truth/records.csv` (child_id, state, state_student_id) and
`truth/children.csv` (child_id, twin_group). A pair is two records; it is predicted when both
carry the same msix_id and true when both belong to the same child.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from identity.sql import scalar


@dataclass(frozen=True)
class Accuracy:
    """Pairwise accuracy of one crosswalk."""

    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    mixed_ids: int
    twins_merged: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def lines(self) -> list[str]:
        return [
            f"records          {self.records}",
            f"true pairs       {self.true_pairs}",
            f"predicted pairs  {self.predicted_pairs}",
            f"precision        {self.precision:.4f}",
            f"recall           {self.recall:.4f}",
            f"mixed IDs        {self.mixed_ids}",
            f"twins merged     {self.twins_merged}",
        ]


def accuracy_of(xwalk: pd.DataFrame, truth: pd.DataFrame, children: pd.DataFrame) -> Accuracy:
    """Accuracy of `xwalk` (state, state_student_id, msix_id) against `truth` (state,
    state_student_id, child_id) and `children` (child_id, twin_group)."""
    con = duckdb.connect()
    try:
        con.register("xw", xwalk[["state", "state_student_id", "msix_id"]].astype(str))
        con.register("tr", truth[["state", "state_student_id", "child_id"]].astype(str))
        kids = children[["child_id", "twin_group"]].copy()
        kids["child_id"] = kids["child_id"].astype(str)
        kids["twin_group"] = kids["twin_group"].astype("string")
        con.register("kids", kids)
        scalar(
            con,
            "create table joined as select xw.msix_id, tr.child_id from xw "
            "join tr using (state, state_student_id)",
        )

        def pairs(group_by: str) -> int:
            sql = (
                f"select coalesce(sum(n * (n - 1) // 2), 0) from "
                f"(select count(*) as n from joined group by {group_by})"
            )
            return int(scalar(con, sql))

        mixed = scalar(
            con,
            "select count(*) from (select msix_id from joined group by msix_id "
            "having count(distinct child_id) > 1)",
        )
        twins = scalar(
            con,
            "select count(*) from (select j.msix_id, k.twin_group from joined as j "
            "join kids as k using (child_id) where k.twin_group is not null "
            "and k.twin_group <> '' group by 1, 2 having count(distinct j.child_id) > 1)",
        )
        return Accuracy(
            records=int(scalar(con, "select count(*) from joined")),
            true_pairs=pairs("child_id"),
            predicted_pairs=pairs("msix_id"),
            correct_pairs=pairs("msix_id, child_id"),
            mixed_ids=int(mixed),
            twins_merged=int(twins),
        )
    finally:
        con.close()


def evaluate_warehouse(truth_dir: Path, warehouse: Path) -> Accuracy:
    """Accuracy of `identity.xwalk` in `warehouse` against the truth files in `truth_dir`."""
    records_csv, children_csv = truth_dir / "records.csv", truth_dir / "children.csv"
    for path in (records_csv, children_csv):
        if not path.is_file():
            raise FileNotFoundError(f"truth file {path} is missing")
    truth = pd.read_csv(records_csv, dtype=str)
    children = pd.read_csv(children_csv, dtype=str)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        xwalk = con.execute("select state, state_student_id, msix_id from identity.xwalk").df()
    finally:
        con.close()
    return accuracy_of(xwalk, truth, children)
