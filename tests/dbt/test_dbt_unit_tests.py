"""dbt's unit tests (models/*/_unit_tests.yml) run here: production builds leave them out."""

from __future__ import annotations

from pathlib import Path

from msix.dbt import run_dbt

UNIT_TESTS = {
    "eligibility_ends_at_the_earlier_of_36_months_and_age_22",
    "move_seen_by_coe_and_enrollments_is_one_move",
    "enrollments_starting_the_same_day_are_one_arrival",
    "survivorship_prefers_agreement_then_recency",
    "survivorship_spelling_ties_go_to_state_then_spelling",
    "latest_period_ties_go_to_the_key",
    "small_cells_hidden_with_their_complement",
}


def test_every_dbt_unit_test_runs_and_passes(built: Path, tmp_path: Path) -> None:
    """Move detection (same-day starts included), eligibility (ties of the latest period included),
    survivorship (ties of spelling included) and suppression, each on its own fixed rows
    (run_dbt raises naming any unit test that fails)."""
    results = run_dbt(["test", "--select", "test_type:unit"], built, target_path=tmp_path / "t")
    assert {r.name for r in results} == UNIT_TESTS
    assert {r.status for r in results} == {"pass"}
