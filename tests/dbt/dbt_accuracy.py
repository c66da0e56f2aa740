"""Score the warehouse's moves and credits against the generator's ground truth (truth/*.csv).

Moves: a true interstate move is found when a detected interstate move of the same child
(national ID mapped to the truth's child through the state records) has the same origin and
destination states and an arrival date within 3 days. Credits: a secondary child's
credits_granted_total equals the truth exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

ARRIVAL_TOLERANCE_DAYS = 3


@dataclass(frozen=True)
class MoveScore:
    true_moves: int
    detected_moves: int
    found: int
    correct: int

    @property
    def recall(self) -> float:
        return self.found / self.true_moves if self.true_moves else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.detected_moves if self.detected_moves else 1.0


def _with_truth(warehouse: Path, truth_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse))
    for name in ("records", "moves", "credits"):
        path = str(truth_dir / f"{name}.csv")
        con.execute(
            f"create or replace temp table truth_{name} as select * from read_csv('{path}', all_varchar = true)"
        )
    # each national ID stands for the child most of its state records belong to
    con.execute(
        """
        create or replace temp table id_child as
        select msix_id, arg_max(child_id, records) as child_id
        from (
            select x.msix_id, r.child_id, count(*) as records
            from marts.xwalk_student_identity as x
            inner join truth_records as r using (state, state_student_id)
            group by x.msix_id, r.child_id
        )
        group by msix_id
        """
    )
    return con


def score_moves(warehouse: Path, truth_dir: Path) -> MoveScore:
    """Recall and precision of interstate moves against truth/moves.csv."""
    con = _with_truth(warehouse, truth_dir)
    try:
        con.execute(
            """
            create temp table detected as
            select row_number() over () as detected_id, i.child_id, m.from_state, m.to_state, m.arrival_date
            from marts.fct_move m join id_child i using (msix_id)
            where m.is_interstate
            """
        )
        con.execute(
            """
            create temp table truth as
            select row_number() over () as truth_id, child_id, from_state, to_state,
                   cast(arrival_date as date) as arrival_date
            from truth_moves where is_interstate = 'Y'
            """
        )
        pairs = f"""
            from truth t join detected d
              on t.child_id = d.child_id and t.from_state = d.from_state
             and t.to_state = d.to_state
             and abs(d.arrival_date - t.arrival_date) <= {ARRIVAL_TOLERANCE_DAYS}
        """
        found = con.execute(f"select count(distinct t.truth_id) {pairs}").fetchone()[0]
        correct = con.execute(f"select count(distinct d.detected_id) {pairs}").fetchone()[0]
        true_moves = con.execute("select count(*) from truth").fetchone()[0]
        detected = con.execute("select count(*) from detected").fetchone()[0]
        return MoveScore(true_moves, detected, found, correct)
    finally:
        con.close()


def credits_exact_share(warehouse: Path, truth_dir: Path) -> tuple[int, int]:
    """(secondary children whose credits_granted_total is exact, secondary children in truth)."""
    con = _with_truth(warehouse, truth_dir)
    try:
        return con.execute(
            """
            select
                count(*) filter (
                    where cast(c.credits_granted_total as decimal(8, 2)) = a.credits_granted_total
                ),
                count(*)
            from truth_credits c
            left join (
                select i.child_id, sum(a.credits_granted_total) as credits_granted_total
                from marts.rpt_credit_accrual a join id_child i using (msix_id)
                group by i.child_id
            ) a using (child_id)
            """
        ).fetchone()
    finally:
        con.close()
