"""The finding rules: one SQL file per rule in `quality/rules/`, described here.

Every rule file is one `select` returning the same columns, `RULE_COLUMNS`: the state that
must act, the child (`msix_id` and/or `state_student_id`), a `subject_key` naming what the
finding is about inside the child's record (a school and date, a field, a COE) and a
`detail` for the coordinator. The rule SQL reads the `cur_*` relations of `rules/_current.sql`,
the `raw_*` views of the raw tables (whole, or the records in scope of an incremental run),
the `latest_*` views of every record's latest visible rows (quality/records.py),
`quality.working_day`, `quality.term_end` and the marts, with `getvariable('as_of')` (DATE)
and `getvariable('as_of_ts')` (TIMESTAMP) as the only clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RULES_DIR = Path(__file__).resolve().parent / "rules"
RULE_COLUMNS = ("state", "msix_id", "state_student_id", "subject_key", "detail")

# Relations the `cur_*` relations read; without them no rule can run.
BASE_RELATIONS = (
    "raw.students",
    "raw.moves",
    "raw.enrollments",
    "raw.courses",
    "raw.assessments",
    "raw.quarantine",
    "raw.load_manifest",
    "marts.xwalk_student_identity",
)

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    """One finding rule: its SQL file, how bad it is, what it means and how to resolve it."""

    name: str
    category: str
    severity: Severity
    description: str
    resolution: str
    needs: tuple[str, ...] = ()
    # True: each finding depends on one child's records only (an incremental run evaluates it
    # for the children in scope, quality/scope.py); False: evaluated whole on every run.
    per_child: bool = True

    @property
    def sql_path(self) -> Path:
        return RULES_DIR / f"{self.name}.sql"

    def sql(self) -> str:
        return self.sql_path.read_text(encoding="utf-8")


RULES: tuple[Rule, ...] = (
    Rule(
        "missing_course_history",
        "missing",
        "warning",
        "A secondary student withdrew more than 30 days ago and no course history was sent.",
        "Submit the student's courses from that school, with credits and grades to date.",
    ),
    Rule(
        "missing_qad",
        "missing",
        "error",
        "A COE row came without its qualifying arrival date and was quarantined.",
        "Resubmit the student's moves with the QAD from the Certificate of Eligibility.",
    ),
    Rule(
        "missing_student_record",
        "missing",
        "error",
        "Moves, enrollments, courses or assessments came for a student the state never sent.",
        "Submit the student's record (students file or Student element) with these records.",
    ),
    Rule(
        "missing_clock_hours",
        "missing",
        "warning",
        "A course has no credits granted and no clock hours (required when no credit is given).",
        "Submit the course's clock hours, or its credits granted once they are known.",
    ),
    Rule(
        "missing_withdrawal_date",
        "missing",
        "warning",
        "An enrollment has no withdrawal date although the child enrolled in another state later.",
        "Submit the withdrawal date of the enrollment.",
    ),
    Rule(
        "conflicting_identity",
        "conflicting",
        "warning",
        "Birth date, sex, multiple-birth flag or names disagree with another state's record.",
        "Check the child's documents; correct your record or ask the other state to.",
    ),
    Rule(
        "conflicting_msix_id",
        "conflicting",
        "error",
        "The national ID the state sent belongs to another child.",
        "Correct the national ID in your system (see the consolidated record).",
    ),
    Rule(
        "conflicting_eligibility_expiration",
        "conflicting",
        "warning",
        "The COE's eligibility expiration contradicts QAD + 36 months - 1 day / age 22.",
        "Correct the expiration date or leave it blank to have it derived.",
    ),
    Rule(
        "impossible_overlapping_enrollments",
        "impossible",
        "error",
        "The child is enrolled in two states at the same time for more than 7 days.",
        "Check the enrollment and withdrawal dates with the other state.",
    ),
    Rule(
        "impossible_withdrawal_before_enrollment",
        "impossible",
        "error",
        "A withdrawal date is earlier than its enrollment date.",
        "Correct the enrollment or withdrawal date.",
    ),
    Rule(
        "impossible_credits",
        "impossible",
        "error",
        "A course grants more credits than were attempted.",
        "Correct the credits attempted or granted.",
    ),
    Rule(
        "impossible_grade_for_age",
        "impossible",
        "warning",
        "The grade level is implausible for the child's age at enrollment.",
        "Check the grade level and the birth date.",
    ),
    Rule(
        "impossible_future_qad",
        "impossible",
        "error",
        "The qualifying arrival date lies after the run date.",
        "Correct the QAD on the COE.",
    ),
    Rule(
        "lost_student",
        "lost",
        "warning",
        "A departure to another state with no enrollment anywhere within 60 days.",
        "Confirm where the family went; record the destination or the child's return.",
    ),
    Rule(
        "late_coe",
        "late",
        "warning",
        "A new COE was submitted more than 10 working days after the QAD (34 CFR 200.85).",
        "Submit new COEs within 10 working days.",
    ),
    Rule(
        "late_term_end",
        "late",
        "warning",
        "Term-end course updates came more than 30 days after the term (34 CFR 200.85).",
        "Submit term-end updates within 30 calendar days.",
    ),
    Rule(
        "late_after_move_notice",
        "late",
        "warning",
        "No data within 4 working days of another state's move notice (34 CFR 200.85).",
        "Submit the arriving child's data within 4 working days of the notice.",
    ),
    Rule(
        "stale_worklist",
        "stale",
        "info",
        "A near match has waited for a decision for more than 10 working days.",
        "Decide the pair in the near-match worklist (same child or different children).",
        needs=("marts.near_match_worklist", "identity.near_matches"),
        per_child=False,
    ),
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
