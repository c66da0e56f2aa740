"""A warehouse built delivery by delivery (incremental models, scoped snapshots) equals one
built in full from the same data: every relation in `marts` and `intermediate` (bookkeeping
aside) and the current rows of the snapshots.

The deliveries are the handcrafted scenario (dbt_scenario.py) plus a later delivery that moves
the as-of date: a child whose records arrive in no new file becomes a departure without arrival
and stops being eligible only because the as-of date passed those dates, and a state replaces a child's enrollments (the
snapshot must close the retracted one).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import MIN_CELL_SIZE, build_like_the_pipeline
from dbt_raw_fixture import append_rows, child_row, query, student_row
from dbt_scenario import (
    AS_OF,
    CO_OWN_ID,
    ELDER,
    INTRA,
    JOSE,
    LOST,
    REPLACED,
    ROSA,
    SMALL_CELL_CHILDREN,
    course,
    deliver_first,
    deliver_late,
    enrollment,
    link_new_child,
)

# NM: withdrew 2026-01-20, nothing after (lost once the as-of date passes 2026-03-21); eligible
# until 2026-03-14 (QAD 2023-03-15)
QUIET = "100000000008"
QUIET_STAMP = "2026-01-25 08:00:00"
# NM: withdrew 2026-01-25 (crossed by the as-of move too), but enrolled in CO since 2026-02-01:
# never a departure without arrival, so the as-of move does not rebuild it
BUSY = "100000000012"
FL_2 = "2026-04-01 08:00:00"  # the later delivery: the as-of date moves here from 2026-03-01

SNAPSHOT_COLUMNS = "* exclude (dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to)"

# Children whose records the later delivery re-sends with the same values and a later stamp
# (a re-send can change a vote without changing any value): two records tied 1-1 on first_name
# (the latest stamp wins) ...
TIED = "100000000009"  # TX "Ana" then AZ "Anna"; TX's re-send makes "Ana" win
KEPT = "100000000010"  # TX "Maria" then AZ "Mara"; AZ's re-send spells the winner: no change
# ... and one value spelled two ways (the latest record's spelling wins)
SPELLED = "100000000011"  # TX "Jose" then NM "José"; TX's re-send makes "Jose" the spelling
FIRST_STAMPS = ("2026-01-01 08:00:00", "2026-01-02 08:00:00")
# identity's later runs: KEPT's TX record is split off to a new ID, ELDER merged into INTRA,
# then ELDER active again and JOSE merged into LOST (CO's record two merges away)
SPLIT_OFF = "100000000013"


def deliver_quiet_child(warehouse: Path) -> None:
    """A child with one enrollment that ended 2026-01-20, in the first delivery."""
    append_rows(
        warehouse,
        "raw.students",
        [student_row("NM", QUIET_STAMP, "nm2", 2, "N8", first_name="Lia")],
    )
    append_rows(
        warehouse,
        "raw.moves",
        [child_row("NM", QUIET_STAMP, "nm2", 2, "N8", qad="2023-03-15", move_from_state="TX")],
    )
    append_rows(
        warehouse,
        "raw.enrollments",
        [child_row("NM", QUIET_STAMP, "nm2", 2, "N8", **enrollment("350000000003", "3500003", "2025-12-01", "2026-01-20"))],
    )  # fmt: skip
    link_new_child(warehouse, "NM", "N8", QUIET)


def deliver_busy_child(warehouse: Path) -> None:
    """A child whose NM enrollment ends in the as-of window while its CO one is still open."""
    append_rows(
        warehouse,
        "raw.students",
        [
            student_row("NM", QUIET_STAMP, "nm2", 3, "N9", first_name="Teo", sex="M"),
            student_row("CO", QUIET_STAMP, "co2", 2, "C9", first_name="Teo", sex="M"),
        ],
    )
    append_rows(
        warehouse,
        "raw.enrollments",
        [
            child_row("NM", QUIET_STAMP, "nm2", 3, "N9", **enrollment("350000000003", "3500003", "2025-12-01", "2026-01-25")),
            child_row("CO", QUIET_STAMP, "co2", 2, "C9", **enrollment("080000000001", "0800001", "2026-02-01", None)),
        ],
    )  # fmt: skip
    link_new_child(warehouse, "NM", "N9", BUSY)
    append_rows(
        warehouse,
        "identity.xwalk",
        [{"state": "CO", "state_student_id": "C9", "msix_id": BUSY, "match_method": "auto", "assigned_at": AS_OF}],
    )  # fmt: skip


def two_record_children() -> list[tuple[str, tuple[str, str], tuple[str, str]]]:
    """(national ID, (state, first name) of the older record, of the newer one)."""
    return [
        (TIED, ("TX", "Ana"), ("AZ", "Anna")),
        (KEPT, ("TX", "Maria"), ("AZ", "Mara")),
        (SPELLED, ("TX", "Jose"), ("NM", "José")),
    ]


def deliver_two_record_children(warehouse: Path) -> None:
    """Each child of two_record_children: two state records, the second one day later."""
    rows, links = [], []
    for n, (msix_id, *records) in enumerate(two_record_children()):
        for (state, first_name), stamp in zip(records, FIRST_STAMPS, strict=True):
            state_student_id = f"V{n}{state}"
            rows.append(student_row(state, stamp, f"v{state}{stamp[9]}", 2 + n, state_student_id, first_name=first_name))  # fmt: skip
            links.append({"state": state, "state_student_id": state_student_id, "msix_id": msix_id, "match_method": "auto", "assigned_at": AS_OF})  # fmt: skip
    append_rows(warehouse, "raw.students", rows)
    append_rows(warehouse, "identity.xwalk", links)
    append_rows(
        warehouse,
        "identity.national_ids",
        [{"msix_id": m, "status": "active", "issued_at": AS_OF} for m, *_ in two_record_children()],
    )


def deliver_stamp_only_resends(warehouse: Path) -> None:
    """The later delivery re-sends, values unchanged and stamp FL_2: TIED's and SPELLED's older
    record (the stamp changes their votes) and KEPT's newer one (it does not)."""
    rows = []
    for n, (msix_id, older, newer) in enumerate(two_record_children()):
        state, first_name = newer if msix_id == KEPT else older
        rows.append(student_row(state, FL_2, f"v{state}r", 2 + n, f"V{n}{state}", first_name=first_name))  # fmt: skip
    append_rows(warehouse, "raw.students", rows)


def near_match(pair_id: str, left: tuple[str, str], right: tuple[str, str], **extra) -> dict:
    """An identity.near_matches row between two state records."""
    return {
        "pair_id": pair_id, "state_l": left[0], "state_student_id_l": left[1],
        "state_r": right[0], "state_student_id_r": right[1], "match_probability": 0.7,
        "agreeing_fields": "sex", "disagreeing_fields": "first_name", "first_seen": AS_OF,
        "status": "undecided", **extra,
    }  # fmt: skip


def deliver_pairs(warehouse: Path) -> None:
    """Two undecided pairs between the two-record children: p3 (its TX record is split off
    later), p4 (decided later)."""
    append_rows(
        warehouse,
        "identity.near_matches",
        [
            near_match("p3", ("TX", "V1TX"), ("AZ", "V0AZ")),
            near_match("p4", ("TX", "V2TX"), ("AZ", "V0AZ")),
        ],
    )


def execute(warehouse: Path, *statements: tuple[str, list]) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        for sql, parameters in statements:
            con.execute(sql, parameters)
    finally:
        con.close()


def deliver_identity_changes(warehouse: Path) -> None:
    """Identity's run of the later delivery: a split (a record re-pointed to a new ID), a merge,
    a decided pair and a new one."""
    append_rows(
        warehouse,
        "identity.national_ids",
        [{"msix_id": SPLIT_OFF, "status": "active", "issued_at": FL_2}],
    )
    execute(
        warehouse,
        (
            "update identity.xwalk set msix_id = ?, match_method = 'split', assigned_at = ?"
            " where state = 'TX' and state_student_id = 'V1TX'",
            [SPLIT_OFF, FL_2],
        ),
        (
            "update identity.national_ids set status = 'retired', merged_into = ?,"
            " retired_at = ? where msix_id = ?",
            [INTRA, FL_2, ELDER],
        ),
        ("update identity.near_matches set status = 'decided' where pair_id = 'p4'", []),
    )
    append_rows(
        warehouse, "identity.near_matches", [near_match("p5", ("AZ", "V1AZ"), ("TX", "V0TX"))]
    )


def deliver_identity_only(warehouse: Path) -> None:
    """A run with no new file, only identity changes: ELDER's ID active again, JOSE's ID
    merged into LOST's (CO's record now resolves through two merges), p3 rescored."""
    execute(
        warehouse,
        (
            "update identity.national_ids set status = 'active', merged_into = null,"
            " retired_at = null where msix_id = ?",
            [ELDER],
        ),
        (
            "update identity.national_ids set status = 'retired', merged_into = ?,"
            " retired_at = ? where msix_id = ?",
            [LOST, FL_2, JOSE],
        ),
        ("update identity.near_matches set match_probability = 0.65 where pair_id = 'p3'", []),
    )


def worklist(warehouse: Path) -> list[tuple]:
    return query(
        warehouse, "select pair_id, msix_id_l, msix_id_r from marts.near_match_worklist order by 1"
    )


def deliver_co_course_and_assessment(warehouse: Path) -> None:
    """A course and an assessment of CO's record of JOSE, which the later merge re-links while
    no new CO file arrives (fct_course and fct_assessment rebuild it only as a relinked record)."""
    append_rows(
        warehouse,
        "raw.courses",
        [child_row("CO", AS_OF, "co1c", 2, "C4", **course("Algebra I", "2025-2026", "SEM1", "02", "1.00", "1.00", school_id="080000000001", final_grade="A", in_progress="N"))],
    )  # fmt: skip
    append_rows(
        warehouse,
        "raw.assessments",
        [child_row("CO", AS_OF, "co1a", 2, "C4", assessment_title="CMAS Math", content_area="mathematics", administration_date="2025-11", score="750", interpretation="proficient")],
    )  # fmt: skip


def deliver_student_rows_only(warehouse: Path) -> None:
    """Student rows without child records, in the later delivery: NM retracts INTRA's record,
    corrects ELDER's birth date (her eligibility no longer ends at 22 first) and re-sends a
    child of the monthly report (one qualifying move, nothing else) unchanged."""
    append_rows(
        warehouse,
        "raw.students",
        [
            student_row("NM", FL_2, "nm3", 2, "N7", action="D", first_name="Ines", birth_date="2011-07-07"),
            student_row("NM", FL_2, "nm3", 3, "N5", first_name="Ana", birth_date="2007-01-15"),
            student_row("NM", FL_2, "nm3", 4, "S0", first_name="Kid0"),
        ],
    )  # fmt: skip


def deliver_later_florida(warehouse: Path) -> None:
    """FL resubmits ROSA: her enrollment is replaced by one at another school, and a course."""
    append_rows(
        warehouse,
        "raw.students",
        [student_row("FL", FL_2, "fl2", 2, "F1", first_name="Rosa", birth_date="2010-05-01")],
    )
    append_rows(
        warehouse,
        "raw.enrollments",
        [child_row("FL", FL_2, "fl2", 2, "F1", **enrollment("120000000002", "1200002", "2026-01-06", None))],
    )  # fmt: skip
    append_rows(
        warehouse,
        "raw.courses",
        [child_row("FL", FL_2, "fl2", 2, "F1", school_id="120000000002", school_year="2025-2026", term_type="SEM2", course_title="Chemistry", subject_area="03", credits_attempted="0.50", credits_granted="0.50", in_progress="N")],
    )  # fmt: skip


def quiet_child(warehouse: Path) -> tuple[list[tuple], bool]:
    """The quiet child's departures without arrival, and whether it is eligible now."""
    lost = query(
        warehouse,
        "select source, departure_date::varchar from marts.fct_move"
        f" where msix_id = '{QUIET}' and to_state is null",
    )
    eligible = query(
        warehouse, f"select is_currently_eligible from marts.dim_student where msix_id = '{QUIET}'"
    )
    return lost, eligible[0][0]


def first_names(warehouse: Path) -> dict[str, str]:
    """dim_student's first name of each child of two_record_children."""
    ids = ", ".join(f"'{msix_id}'" for msix_id, *_ in two_record_children())
    return dict(
        query(
            warehouse, f"select msix_id, first_name from marts.dim_student where msix_id in ({ids})"
        )
    )


def affected_rows(warehouse: Path, model: str) -> list[tuple]:
    """What the model's last build rebuilt: national IDs, or (state, state_student_id)."""
    return query(warehouse, f"select * from intermediate.{model}__affected")


def co_record_ids(warehouse: Path) -> list[tuple]:
    """The national ID on CO's record of JOSE in fct_course and in fct_assessment."""
    return query(
        warehouse,
        "select msix_id from marts.fct_course where state = 'CO' and state_student_id = 'C4'"
        " union all"
        " select msix_id from marts.fct_assessment where state = 'CO' and state_student_id = 'C4'",
    )


def contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every model in marts and intermediate, and the snapshots' current rows, sorted."""
    models = query(
        warehouse,
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_schema in ('marts', 'intermediate') and table_name not like '%\\_\\_%' escape '\\'"
        " order by 1",
    )
    relations = {
        relation: query(warehouse, f"select * from {relation} order by all")
        for (relation,) in models
    }
    for snapshot in ("snp_student_records", "snp_enrollments"):
        relations[snapshot] = query(
            warehouse,
            f"select {SNAPSHOT_COLUMNS} from snapshots.{snapshot} where dbt_valid_to is null order by all",
        )
    return relations


def assert_same_contents(stepwise: Path, full: Path) -> None:
    """The warehouse built delivery by delivery holds the full build's relations and rows."""
    stepwise_contents, full_contents = contents(stepwise), contents(full)
    assert stepwise_contents.keys() == full_contents.keys()
    for relation, rows in full_contents.items():
        assert stepwise_contents[relation] == rows, relation


def test_delivery_by_delivery_equals_a_full_build(tmp_path: Path) -> None:
    stepwise, full = tmp_path / "stepwise" / "msix.duckdb", tmp_path / "full" / "msix.duckdb"
    deliver_first(stepwise)
    deliver_quiet_child(stepwise)
    deliver_co_course_and_assessment(stepwise)
    deliver_two_record_children(stepwise)
    deliver_busy_child(stepwise)
    deliver_pairs(stepwise)
    build_like_the_pipeline(stepwise, tmp_path / "t1")
    assert quiet_child(stepwise) == ([], True)
    assert co_record_ids(stepwise) == [(CO_OWN_ID,), (CO_OWN_ID,)]
    assert first_names(stepwise) == {TIED: "Anna", KEPT: "Mara", SPELLED: "José"}

    deliver_late(stepwise)
    deliver_later_florida(stepwise)
    deliver_student_rows_only(stepwise)
    deliver_stamp_only_resends(stepwise)
    deliver_identity_changes(stepwise)
    build_like_the_pipeline(stepwise, tmp_path / "t1")

    deliver_first(full)
    deliver_quiet_child(full)
    deliver_co_course_and_assessment(full)
    deliver_two_record_children(full)
    deliver_busy_child(full)
    deliver_pairs(full)
    deliver_late(full)
    deliver_later_florida(full)
    deliver_student_rows_only(full)
    deliver_stamp_only_resends(full)
    deliver_identity_changes(full)
    deliver_identity_only(full)
    build_like_the_pipeline(full, tmp_path / "t2")

    # the as-of date alone made the quiet child lost and no longer eligible, and the delta
    # rebuilt only some children
    assert quiet_child(stepwise) == ([("departure_without_arrival", "2026-01-20")], False)
    for model in ("int_moves_detected", "fct_move", "rpt_credit_accrual", "dim_student"):
        affected, total = query(
            stepwise,
            f"select (select count(*) from intermediate.{model}__affected),"
            " (select count(*) from marts.dim_student)",
        )[0]
        assert 0 < affected < total, model
    # the state-record facts rebuilt CO's relinked record and not every record of its child
    assert co_record_ids(stepwise) == [(JOSE,), (JOSE,)]
    for model in ("fct_course", "fct_assessment"):
        affected = affected_rows(stepwise, model)
        assert ("CO", "C4") in affected, model
        assert ("AZ", "A4") not in affected, model  # JOSE's AZ record: no new file, same ID
    # a student row re-sent without child records changes only the models that read student
    # values; a retraction, every model of the record's child rows
    assert ("NM", "S0") not in affected_rows(stepwise, "fct_course")
    for model in ("fct_enrollment", "int_moves_detected", "rpt_credit_accrual"):
        affected = affected_rows(stepwise, model)
        assert (INTRA,) in affected and (SMALL_CELL_CHILDREN[0],) not in affected, model
    for model in ("fct_eligibility", "dim_student"):
        assert (ELDER,) in affected_rows(stepwise, model), model
    # the as-of move rebuilt the child it made lost, not the one still enrolled elsewhere
    for model in ("int_moves_detected", "fct_move"):
        affected = affected_rows(stepwise, model)
        assert (QUIET,) in affected and (BUSY,) not in affected, model
    # re-sends with the same values and a later stamp: where the stamp changes a vote (a tie,
    # a spelling) the delta must rebuild the child, not only where the values changed
    assert first_names(stepwise) == {TIED: "Ana", KEPT: "Mara", SPELLED: "Jose"}
    # the snapshot closed ROSA's retracted FL enrollment
    assert query(
        stepwise,
        "select count(*) from snapshots.snp_enrollments"
        " where state = 'FL' and school_id = '120000000001' and dbt_valid_to is not null",
    ) == [(1,)]
    assert ROSA in {
        row[0] for row in query(stepwise, "select msix_id from intermediate.fct_move__affected")
    }

    # the crosswalk relations rewrote the records and pairs the delivery changed: the split
    # record, the merged child's record, the records of new student loads; the pairs with a
    # re-pointed record, decided or new
    resolved = affected_rows(stepwise, "int_xwalk_resolved")
    assert {("TX", "V1TX"), ("NM", "N5"), ("CO", "C4")} <= set(resolved)
    assert ("AZ", "A4") not in resolved and ("FL", "F1") not in resolved
    identities = affected_rows(stepwise, "xwalk_student_identity")
    assert {("TX", "V1TX"), ("NM", "N5"), ("FL", "F1")} <= set(identities)
    assert ("AZ", "A4") not in identities
    assert sorted(affected_rows(stepwise, "near_match_worklist")) == [("p3",), ("p4",), ("p5",)]
    assert worklist(stepwise) == [
        ("p1", REPLACED, INTRA),
        ("p3", SPLIT_OFF, TIED),
        ("p5", KEPT, TIED),
    ]

    # a run with identity changes only: a merge undone, a merge two hops away, a rescored pair
    deliver_identity_only(stepwise)
    build_like_the_pipeline(stepwise, tmp_path / "t1")
    resolved = affected_rows(stepwise, "int_xwalk_resolved")
    assert {("NM", "N5"), ("CO", "C4"), ("AZ", "A4"), ("NM", "N4")} <= set(resolved)
    assert ("FL", "F1") not in resolved
    assert set(affected_rows(stepwise, "xwalk_student_identity")) == set(resolved)
    assert query(
        stepwise,
        "select state_student_id, msix_id from marts.xwalk_student_identity"
        " where state_student_id in ('N5', 'C4', 'A4') order by 1",
    ) == [("A4", LOST), ("C4", LOST), ("N5", ELDER)]

    assert_same_contents(stepwise, full)


def two_record_warehouses(tmp_path: Path) -> tuple[Path, Path]:
    """Two warehouses with the first delivery and the two-record children; the first (built
    delivery by delivery) built once, the second (built in full at the end) not yet."""
    stepwise, full = tmp_path / "stepwise" / "msix.duckdb", tmp_path / "full" / "msix.duckdb"
    for warehouse in (stepwise, full):
        deliver_first(warehouse)
        deliver_two_record_children(warehouse)
    build_like_the_pipeline(stepwise, tmp_path / "t1")
    return stepwise, full


VALUES_STAMP, RESENT_STAMP = FL_2, "2026-04-08 08:00:00"
VALUES_BOOKKEEPING = (
    "intermediate.int_student_records_latest__values_changed",
    "intermediate.int_student_records_latest__values_loads",
)


def deliver_changed_values(warehouse: Path, stamp: str, load_id: str) -> None:
    """KEPT's TX record now spells AZ's winning first name "Mara" (its child no longer
    conflicts), and ROSA's FL record a birth date that makes her turn 22 before her eligibility
    ends; the later delivery re-sends both unchanged with a later stamp, which alone would
    change nothing in the votes (the record spells the winner) nor in fct_eligibility."""
    append_rows(
        warehouse,
        "raw.students",
        [
            student_row("TX", stamp, load_id, 2, "V1TX", first_name="Mara"),
            student_row("FL", stamp, load_id, 3, "F1", first_name="Rosa", birth_date="2004-05-01"),
        ],
    )  # fmt: skip


@pytest.mark.parametrize("upgraded", [False, True])
def test_staging_builds_between_marts_builds(tmp_path: Path, upgraded: bool) -> None:
    """Two staging builds between marts builds: the first changes values, the second re-sends
    the same records stamp-only. The marts models see the first build's changes through their own
    new loads (not only the last staging build's). `upgraded`: the first staging build ran before
    the values bookkeeping existed (its loads are not covered: every record they carry counts as
    changed)."""
    from msix.dbt import run_dbt
    from msix.pipeline import staging_build_args

    stepwise, full = two_record_warehouses(tmp_path)
    assert first_names(stepwise)[KEPT] == "Mara"

    deliver_changed_values(stepwise, VALUES_STAMP, "va")
    run_dbt(staging_build_args(), stepwise, target_path=tmp_path / "t1")
    if upgraded:
        execute(stepwise, *((f"drop table {table}", []) for table in VALUES_BOOKKEEPING))
    deliver_changed_values(stepwise, RESENT_STAMP, "vb")
    run_dbt(staging_build_args(), stepwise, target_path=tmp_path / "t1")
    changed = query(
        stepwise,
        "select load_id, state, state_student_id, birth_date_changed"
        " from intermediate.int_student_records_latest__values_changed where load_id like 'v_'",
    )
    # the stamp-only re-send changed no value: only the first delivery's records are recorded
    assert sorted(changed) == (
        [] if upgraded else [("va", "FL", "F1", True), ("va", "TX", "V1TX", False)]
    )
    build_like_the_pipeline(stepwise, tmp_path / "t1")

    deliver_changed_values(full, VALUES_STAMP, "va")
    deliver_changed_values(full, RESENT_STAMP, "vb")
    build_like_the_pipeline(full, tmp_path / "t2")

    assert query(
        stepwise,
        f"select has_conflict from intermediate.int_student_field_votes where msix_id = '{KEPT}'"
        " and field_name = 'first_name'",
    ) == [(False,)]
    assert query(
        stepwise,
        f"select expiration_reason from marts.fct_eligibility where msix_id = '{ROSA}' and state = 'FL'",
    ) == [("turns 22",)]
    # dim_student's latest stamp of a child whose re-send changed nothing else moved up
    assert query(
        stepwise, f"select latest_stamp::varchar from marts.dim_student where msix_id = '{KEPT}'"
    ) == [(RESENT_STAMP,)]
    assert_same_contents(stepwise, full)


def build_staging_and_one_model(warehouse: Path, target: Path, model: str) -> None:
    """dbt staging + intermediate, then `model` alone (the models after it are not built)."""
    from msix.dbt import run_dbt
    from msix.pipeline import staging_build_args

    run_dbt(staging_build_args(), warehouse, target_path=target)
    run_dbt(
        ["build", "--select", model],
        warehouse,
        target_path=target,
        vars_={"min_cell_size": MIN_CELL_SIZE},
    )


def resend_tied_record(warehouse: Path, state: str, stamp: str, load_id: str) -> None:
    """TIED's record of `state` again, its first name unchanged, with a later stamp."""
    first_name = {"TX": "Ana", "AZ": "Anna"}[state]
    append_rows(
        warehouse,
        "raw.students",
        [student_row(state, stamp, load_id, 2, f"V0{state}", first_name=first_name)],
    )


def votes_first_name(warehouse: Path, msix_id: str) -> str:
    return query(
        warehouse,
        "select best_value from intermediate.int_student_field_votes"
        f" where msix_id = '{msix_id}' and field_name = 'first_name'",
    )[0][0]


def test_votes_check_spellings_against_their_own_rows_when_dim_student_lags(
    tmp_path: Path,
) -> None:
    """The votes read the children's best values from dim_student only while dim_student was
    built from the votes as they are. Here the votes are built alone once (TX's re-send makes
    TIED's "Ana" win), so dim_student still says "Anna"; then AZ re-sends "Anna": against
    dim_student that record spells the winner and nothing would be rebuilt, against the votes
    it does not, and its later stamp makes "Anna" win again."""

    stepwise, full = two_record_warehouses(tmp_path)
    assert first_names(stepwise)[TIED] == "Anna"
    build_ids = (
        "select (select invocation_id from intermediate.int_student_field_votes__builds),"
        " (select invocation_id from intermediate.dim_student__upstream_read)"
    )
    built, read = query(stepwise, build_ids)[0]
    assert built == read  # a marts build: dim_student read the votes of this invocation

    resend_tied_record(stepwise, "TX", VALUES_STAMP, "lag1")
    build_staging_and_one_model(stepwise, tmp_path / "t1", "int_student_field_votes")
    assert votes_first_name(stepwise, TIED) == "Ana"
    assert first_names(stepwise)[TIED] == "Anna"
    built, read = query(stepwise, build_ids)[0]
    assert built != read

    resend_tied_record(stepwise, "AZ", RESENT_STAMP, "lag2")
    build_like_the_pipeline(stepwise, tmp_path / "t1")

    resend_tied_record(full, "TX", VALUES_STAMP, "lag1")
    resend_tied_record(full, "AZ", RESENT_STAMP, "lag2")
    build_like_the_pipeline(full, tmp_path / "t2")

    assert votes_first_name(stepwise, TIED) == "Anna"
    assert first_names(stepwise)[TIED] == "Anna"
    assert_same_contents(stepwise, full)


def test_fct_move_works_out_its_children_when_it_missed_a_build_of_the_moves(
    tmp_path: Path,
) -> None:
    """fct_move takes the children int_moves_detected rebuilt only when it read that model's
    previous build. Here the moves are built alone once (FL's later delivery rebuilds ROSA),
    then a build of everything follows NM's student rows (INTRA's retraction): fct_move must
    rebuild ROSA too, whom the moves' last build did not touch."""

    stepwise, full = tmp_path / "stepwise" / "msix.duckdb", tmp_path / "full" / "msix.duckdb"
    deliver_first(stepwise)
    build_like_the_pipeline(stepwise, tmp_path / "t1")

    deliver_later_florida(stepwise)
    build_staging_and_one_model(stepwise, tmp_path / "t1", "int_moves_detected")
    assert (ROSA,) in affected_rows(stepwise, "int_moves_detected")

    deliver_student_rows_only(stepwise)
    build_like_the_pipeline(stepwise, tmp_path / "t1")
    moves_rebuilt = affected_rows(stepwise, "int_moves_detected")
    assert (INTRA,) in moves_rebuilt and (ROSA,) not in moves_rebuilt
    assert {(INTRA,), (ROSA,)} <= set(affected_rows(stepwise, "fct_move"))

    deliver_first(full)
    deliver_later_florida(full)
    deliver_student_rows_only(full)
    build_like_the_pipeline(full, tmp_path / "t2")
    assert_same_contents(stepwise, full)
