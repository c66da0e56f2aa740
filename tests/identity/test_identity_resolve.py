"""End-to-end resolution on hand-made records: links, twins, incremental runs, rebuilds, decisions."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from identity.decisions import COLUMNS
from identity.registry import is_valid_id
from identity.resolve import resolve
from identity.testdata import write_input
from msix.settings import get_settings

FAMILY = {
    "last_name_1": "Ruiz",
    "last_name_2": "Soto",
    "birth_city": "Morelia",
    "birth_country": "MX",
    "parent1_first_name": "Guadalupe",
    "parent1_last_name": "Soto",
    "parent2_first_name": "Ramón",
    "parent2_last_name": "Ruiz",
}
NO_FAMILY = dict.fromkeys(FAMILY)


def record(state: str, ssid: str, first: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "state": state,
        "state_student_id": ssid,
        "stamp": dt.datetime(2026, 3, 2),
        "is_deleted": False,
        "msix_id": None,
        "first_name": first,
        "middle_name": None,
        "suffix": None,
        "sex": "M",
        "birth_date": dt.date(2014, 5, 6),
        "multiple_birth": None,
        "birth_state": None,
        **FAMILY,
    }
    return {**base, **values}


def base_records() -> list[dict[str, object]]:
    twins = {"sex": "F", "birth_date": dt.date(2012, 9, 14), "parent2_first_name": "Pedro"}
    return [
        # one boy, recorded three ways: accents, surname order and hyphen, nickname, day/month swap
        record("TX", "T1", "Francisco", middle_name="Javier"),
        record("CA", "C7", "PACO", last_name_1="SOTO-RUIZ", last_name_2=None),
        record(
            "FL",
            "F3",
            "Francisco",
            last_name_1="Ruíz",
            last_name_2=None,
            birth_date=dt.date(2014, 6, 5),
        ),
        # twins: same birth date and parents, different first names; flagged in TX only
        record("TX", "T10", "María", multiple_birth=True, **twins),
        record("TX", "T11", "Rosa", multiple_birth=True, **twins),
        record("CA", "C20", "MARIA", **twins),
        record("CA", "C21", "ROSA", **twins),
        # a sibling: same family, other birth date
        record("WA", "W5", "Ramón", birth_date=dt.date(2010, 1, 30)),
        # two unrelated children
        record(
            "OH",
            "O1",
            "Kevin",
            birth_date=dt.date(2011, 2, 3),
            **{**NO_FAMILY, "last_name_1": "Nguyen"},
        ),
        record(
            "MI",
            "M1",
            "Jennifer",
            sex="F",
            birth_date=dt.date(2015, 7, 8),
            **{**NO_FAMILY, "last_name_1": "Tran"},
        ),
    ]


def xwalk(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select record_key, msix_id from identity.xwalk").fetchall()
    finally:
        con.close()
    return dict(rows)


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def write_decisions(warehouse: Path, rows: list[dict[str, str]]) -> None:
    folder = warehouse.parent / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    frame.to_csv(folder / "coordinators.csv", index=False)


@pytest.fixture
def resolved(tmp_path: Path) -> Path:
    warehouse = tmp_path / "wh" / "msix.duckdb"
    write_input(warehouse, pd.DataFrame(base_records()))
    report = resolve(get_settings(warehouse=warehouse), run_date=dt.datetime(2026, 3, 3))
    assert report.counts()["records"] == 10
    return warehouse


def test_one_child_recorded_differently_gets_one_id(resolved: Path) -> None:
    ids = xwalk(resolved)
    assert ids["TX:T1"] == ids["CA:C7"] == ids["FL:F3"]
    assert all(is_valid_id(v) for v in ids.values())


def test_twins_and_siblings_keep_their_own_ids(resolved: Path) -> None:
    ids = xwalk(resolved)
    assert ids["TX:T10"] == ids["CA:C20"]
    assert ids["TX:T11"] == ids["CA:C21"]
    assert ids["TX:T10"] != ids["TX:T11"]
    assert ids["WA:W5"] != ids["TX:T1"]
    assert len(set(ids.values())) == 6
    near = query(resolved, "select * from identity.near_matches where twin_suspect")
    assert {"undecided"} == set(near["status"]) and len(near) >= 2


def test_weekly_delta_joins_existing_ids_and_changes_nothing_else(resolved: Path) -> None:
    before = xwalk(resolved)
    rows = base_records() + [
        record("OH", "O9", "Pancho", last_name_1="Ruiz Soto", last_name_2=None)
    ]
    write_input(resolved, pd.DataFrame(rows))
    report = resolve(get_settings(warehouse=resolved), run_date=dt.datetime(2026, 3, 17))
    after = xwalk(resolved)
    assert report.counts()["dirty"] == 1
    assert after["OH:O9"] == before["TX:T1"]
    assert {k: after[k] for k in before} == before
    runs = query(resolved, "select mode from identity.runs order by run_at")
    assert list(runs["mode"]) == ["full", "incremental"]


def test_full_rebuild_from_the_same_inputs_reproduces_the_ids(
    resolved: Path, tmp_path: Path
) -> None:
    rebuilt = tmp_path / "rebuilt" / "msix.duckdb"
    write_input(rebuilt, pd.DataFrame(base_records()))
    resolve(get_settings(warehouse=rebuilt), run_date=dt.datetime(2026, 4, 1))
    assert xwalk(rebuilt) == xwalk(resolved)


def test_decisions_same_different_merge_and_split_are_honoured_every_run(resolved: Path) -> None:
    ids = xwalk(resolved)
    who = {"decided_by": "coord@example.org", "decided_at": "2026-03-10T09:00:00"}
    write_decisions(
        resolved,
        [
            {
                "decision": "split",
                "state_l": "FL",
                "state_student_id_l": "F3",
                "msix_id_l": ids["FL:F3"],
                "reason": "other child",
                **who,
            },
            {
                "decision": "merge",
                "msix_id_l": ids["OH:O1"],
                "msix_id_r": ids["MI:M1"],
                "reason": "same COE",
                **who,
            },
            {
                "decision": "same",
                "state_l": "WA",
                "state_student_id_l": "W5",
                "state_r": "TX",
                "state_student_id_r": "T1",
                "reason": "test",
                **who,
            },
            {
                "decision": "different",
                "state_l": "TX",
                "state_student_id_l": "T10",
                "state_r": "CA",
                "state_student_id_r": "C20",
                "reason": "test",
                **who,
            },
        ],
    )
    settings = get_settings(warehouse=resolved)
    for day in (11, 25):  # applied once, and still honoured on the next run
        resolve(settings, run_date=dt.datetime(2026, 3, day))
        now = xwalk(resolved)
        assert now["FL:F3"] != ids["FL:F3"] and now["FL:F3"] not in ids.values()
        assert now["TX:T1"] == now["CA:C7"] == now["WA:W5"] == ids["TX:T1"]
        assert now["OH:O1"] == now["MI:M1"]
        assert now["TX:T10"] != now["CA:C20"]
    registry = query(resolved, "select * from identity.national_ids")
    retired = registry[registry["status"] == "retired"].set_index("msix_id")
    assert set(retired.index) == {ids["WA:W5"], ids["MI:M1"]} - {now["OH:O1"]} | (
        {ids["OH:O1"]} - {now["OH:O1"]}
    )
    assert set(retired["resolved_to"]) == {now["OH:O1"], now["TX:T1"]}
    events = query(resolved, "select event from identity.id_events")
    assert {"decision", "merged", "split", "issued"} <= set(events["event"])
    decided = query(resolved, "select count(*) as n from identity.decisions")
    assert decided["n"][0] == 4


def test_echoed_id_that_contradicts_the_match_is_flagged(resolved: Path) -> None:
    ids = xwalk(resolved)
    rows = base_records()
    rows[1] = {**rows[1], "msix_id": ids["OH:O1"]}  # CA:C7 echoes another child's ID
    write_input(resolved, pd.DataFrame(rows))
    report = resolve(get_settings(warehouse=resolved), run_date=dt.datetime(2026, 3, 17))
    assert xwalk(resolved)["CA:C7"] == ids["TX:T1"]
    assert report.counts()["echo_conflicts"] == 1


def test_missing_input_relation_is_a_clear_error(tmp_path: Path) -> None:
    warehouse = tmp_path / "empty" / "msix.duckdb"
    with pytest.raises(RuntimeError, match="int_student_records_latest is missing"):
        resolve(get_settings(warehouse=warehouse))
    shutil.rmtree(warehouse.parent)


def test_worklist_and_decide_commands_feed_the_next_run(
    resolved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from msix.cli import main

    wh = ["--warehouse", str(resolved)]
    assert main(["worklist", "--state", "TX", *wh]) == 0
    listed = capsys.readouterr().out
    pair_id = query(
        resolved,
        "select pair_id from identity.near_matches where twin_suspect and 'TX' in (state_l, state_r) "
        "order by pair_id limit 1",
    )["pair_id"][0]
    assert pair_id in listed and "[twin?]" in listed
    assert (
        main(["decide", "same", "--pair", pair_id, "--by", "ann", "--reason", "one child", *wh])
        == 0
    )
    assert main(["decide", "merge", "--ids", "12", "34", "--by", "ann", "--reason", "x", *wh]) == 2
    keys = query(
        resolved,
        f"select state_l || ':' || state_student_id_l as l, state_r || ':' || state_student_id_r as r "
        f"from identity.near_matches where pair_id = '{pair_id}'",
    )
    resolve(get_settings(warehouse=resolved), run_date=dt.datetime(2026, 3, 20))
    ids = xwalk(resolved)
    assert ids[keys["l"][0]] == ids[keys["r"][0]]
    status = query(
        resolved, f"select status from identity.near_matches where pair_id = '{pair_id}'"
    )
    assert list(status["status"]) == ["decided"]


def test_a_decision_naming_an_unknown_record_is_rejected_not_issued_an_id(resolved: Path) -> None:
    ids = xwalk(resolved)
    who = {"decided_by": "coord@example.org", "decided_at": "2026-03-10T09:00:00"}
    pair = {"state_l": "TX", "state_r": "CA", "reason": "test", **who}
    write_decisions(
        resolved,
        [
            {"decision": "different", "state_student_id_l": "T99", "state_student_id_r": "C20"}
            | pair,  # T99: a typo, no such record
            {"decision": "different", "state_student_id_l": "T10", "state_student_id_r": "C20"}
            | pair,
        ],
    )
    issued_before = len(query(resolved, "select msix_id from identity.national_ids"))
    settings = get_settings(warehouse=resolved)
    for day in (11, 25):
        report = resolve(settings, run_date=dt.datetime(2026, 3, day))
        assert report.counts()["decisions_rejected"] == 1
        assert any("coordinators.csv:2: names a record" in n for n in report.notes())
        assert xwalk(resolved)["TX:T10"] != xwalk(resolved)["CA:C20"]
    issued = query(resolved, "select msix_id from identity.national_ids")
    assert len(issued) == issued_before + 1  # the real "different" splits the twins once
    assert "TX:T99" not in xwalk(resolved) and ids.keys() == xwalk(resolved).keys()


def test_triplets_keep_three_ids_and_sex_x_links(tmp_path: Path) -> None:
    """Three children of one birth (one of them sex X), each recorded in two states: three IDs,
    one per child, never merged by the shared birth date and parents."""
    warehouse = tmp_path / "wh" / "msix.duckdb"
    triplets = {"birth_date": dt.date(2013, 4, 2), "multiple_birth": True}
    records = [
        *base_records(),
        record("TX", "T30", "Lucía", sex="F", **triplets),
        record("TX", "T31", "Mateo", **triplets),
        record("TX", "T32", "Alex", sex="X", **triplets),
        record("CA", "C30", "LUCIA", sex="F", **{**triplets, "multiple_birth": None}),
        record("CA", "C31", "MATEO", **{**triplets, "multiple_birth": None}),
        record("CA", "C32", "ALEX", sex="X", **{**triplets, "multiple_birth": None}),
    ]
    write_input(warehouse, pd.DataFrame(records))
    resolve(get_settings(warehouse=warehouse), run_date=dt.datetime(2026, 3, 3))
    ids = xwalk(warehouse)
    assert ids["TX:T30"] == ids["CA:C30"]
    assert ids["TX:T31"] == ids["CA:C31"]
    assert ids["TX:T32"] == ids["CA:C32"]
    assert len({ids["TX:T30"], ids["TX:T31"], ids["TX:T32"]}) == 3
    assert len(set(ids.values())) == 9
