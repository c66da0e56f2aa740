"""Unit tests: normalisation, the ID registry, constrained clustering, decisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from identity.cluster import build_clusters
from identity.decisions import constraints_from, parse_row, read_decisions
from identity.features import build_features
from identity.registry import assign_ids, candidate_id, is_valid_id, luhn_digit, resolve_chain


def _features(rows: list[dict]) -> pd.DataFrame:
    base = {
        "stamp": dt.datetime(2026, 3, 1),
        "is_deleted": False,
        "msix_id": None,
        "middle_name": None,
        "last_name_2": None,
        "suffix": None,
        "sex": "F",
        "birth_date": dt.date(2014, 5, 6),
        "multiple_birth": None,
        "birth_city": None,
        "birth_state": None,
        "birth_country": None,
        "parent1_first_name": None,
        "parent1_last_name": None,
        "parent2_first_name": None,
        "parent2_last_name": None,
    }
    con = duckdb.connect()
    con.register("src", pd.DataFrame([{**base, **r} for r in rows]))
    build_features(con, "src")
    return con.execute("select * from identity_features order by unique_id").df()


def test_surnames_compare_as_one_set_in_every_arrangement() -> None:
    rows = [
        {"state": "TX", "state_student_id": str(i), "first_name": "Ana", **names}
        for i, names in enumerate(
            [
                {"last_name_1": "García-López"},
                {"last_name_1": "LOPEZ", "last_name_2": "garcía"},
                {"last_name_1": "Garcia Lopez"},
                {"last_name_1": "García", "last_name_2": "López"},
            ]
        )
    ]
    feats = _features(rows)
    assert set(feats["sn_key"]) == {"GARCIA LOPEZ"}


def test_particles_accents_and_apostrophes_are_normalised() -> None:
    feats = _features(
        [
            {
                "state": "TX",
                "state_student_id": "1",
                "first_name": "José",
                "last_name_1": "De la Cruz",
            },
            {
                "state": "CA",
                "state_student_id": "2",
                "first_name": "JOSE",
                "last_name_1": "O'Brien",
            },
        ]
    )
    assert list(feats["sn_key"]) == ["OBRIEN", "CRUZ"]
    assert list(feats["sn_joined"]) == ["OBRIEN", "DELACRUZ"]
    assert set(feats["fn"]) == {"JOSE"}


def test_nicknames_share_a_formal_name() -> None:
    feats = _features(
        [
            {"state": "TX", "state_student_id": "1", "first_name": "Pancho", "last_name_1": "Ruiz"},
            {
                "state": "CA",
                "state_student_id": "2",
                "first_name": "Francisco",
                "last_name_1": "Ruiz",
            },
        ]
    )
    pancho, francisco = feats.iloc[1], feats.iloc[0]
    assert "FRANCISCO" in list(pancho["fn_names"])
    assert pancho["fn_canon"] == francisco["fn_canon"] == "FRANCISCO"


def test_parent_tokens_ignore_order_of_parents() -> None:
    a = {
        "parent1_first_name": "Lupe",
        "parent1_last_name": "Ruiz",
        "parent2_first_name": "Juan",
        "parent2_last_name": "Soto",
    }
    b = {
        "parent1_first_name": "Juan",
        "parent1_last_name": "Soto",
        "parent2_first_name": "Guadalupe",
        "parent2_last_name": "Ruiz",
    }
    feats = _features(
        [
            {
                "state": "TX",
                "state_student_id": "1",
                "first_name": "Ana",
                "last_name_1": "Soto",
                **a,
            },
            {
                "state": "CA",
                "state_student_id": "2",
                "first_name": "Ana",
                "last_name_1": "Soto",
                **b,
            },
        ]
    )
    assert list(feats.iloc[0]["parent_tokens"]) == list(feats.iloc[1]["parent_tokens"])


def test_ids_are_twelve_digits_with_a_check_digit_and_deterministic() -> None:
    first = candidate_id("TX:123")
    assert first == candidate_id("TX:123")
    assert len(first) == 12 and first[0] != "0" and is_valid_id(first)
    assert candidate_id("TX:123", 1) != first
    assert luhn_digit("7992739871") == "3"
    assert not is_valid_id(first[:11] + str((int(first[11]) + 1) % 10))


def test_new_ids_never_reuse_an_issued_id() -> None:
    taken = candidate_id("TX:1")
    result = assign_ids([["TX:1"]], {}, {}, [taken])
    assert result.record_ids["TX:1"] == candidate_id("TX:1", 1)


def test_existing_ids_stay_and_clusters_that_join_merge_into_the_smaller_anchor() -> None:
    previous = {"CA:9": "200000000001", "TX:1": "100000000001", "FL:5": "100000000001"}
    anchors = {"200000000001": "CA:9", "100000000001": "TX:1"}
    result = assign_ids([["CA:9", "FL:5", "TX:1"], ["WA:3"]], previous, anchors, list(anchors))
    assert result.record_ids["TX:1"] == "200000000001"  # CA:9 < TX:1
    assert result.merged == {"100000000001": "200000000001"}
    assert result.record_ids["WA:3"] == candidate_id("WA:3")


def test_a_split_cluster_keeps_the_id_where_most_records_are() -> None:
    previous = {"CA:1": "111", "FL:1": "111", "TX:1": "111"}
    result = assign_ids([["CA:1"], ["FL:1", "TX:1"]], previous, {"111": "CA:1"}, ["111"])
    assert result.record_ids["FL:1"] == "111"
    assert result.record_ids["CA:1"] not in ("111",)
    assert resolve_chain({"a": "b", "b": "c", "c": None}, "a") == "c"


def test_cannot_links_and_transitive_same_state_chains_are_refused() -> None:
    components, refused = build_clusters(
        ["CA:1", "TX:1", "TX:2", "FL:1", "FL:2"],
        must_links=[],
        fixed_groups=[],
        links=[("CA:1", "TX:1", 0.999), ("CA:1", "TX:2", 0.998), ("FL:1", "FL:2", 0.997)],
        cannot_links=[("FL:1", "FL:2")],
    )
    assert ["CA:1", "TX:1"] in components
    assert ["TX:2"] in components and ["FL:1"] in components
    assert refused == 2


def test_same_state_records_may_join_when_their_own_pair_is_plausible() -> None:
    components, _ = build_clusters(
        ["CA:1", "TX:1", "TX:2"],
        must_links=[],
        fixed_groups=[],
        links=[("CA:1", "TX:1", 0.999), ("CA:1", "TX:2", 0.998)],
        cannot_links=[],
        plausible=[("TX:1", "TX:2")],
    )
    assert components == [["CA:1", "TX:1", "TX:2"]]


def test_must_links_and_fixed_groups_join_unconditionally() -> None:
    components, _ = build_clusters(
        ["A:1", "B:1", "C:1", "D:1"],
        must_links=[("A:1", "B:1")],
        fixed_groups=[["C:1", "D:1"]],
        links=[],
        cannot_links=[("A:1", "B:1")],
    )
    assert components == [["A:1", "B:1"], ["C:1", "D:1"]]


def _row(**values: str) -> dict[str, str]:
    return {
        "decided_by": "coord@tx",
        "decided_at": "2026-05-01T10:00:00",
        "reason": "checked COE",
        **values,
    }


def test_decision_rows_are_validated_without_echoing_values() -> None:
    assert (
        parse_row(_row(decision="maybe"), "f:2")
        == "decision must be one of same, different, merge, split"
    )
    assert "needs" in str(parse_row(_row(decision="same", state_l="TX"), "f:2"))
    assert parse_row(_row(decision="merge", msix_id_l="12", msix_id_r="123456789012"), "f:2") == (
        "msix_id_l must be 12 digits"
    )
    bad_time = _row(
        decision="different",
        state_l="TX",
        state_student_id_l="1",
        state_r="CA",
        state_student_id_r="2",
    )
    bad_time["decided_at"] = "yesterday"
    assert "decided_at" in str(parse_row(bad_time, "f:2"))


def test_read_decisions_names_file_and_line_of_rejected_rows(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "decision,state_l,state_student_id_l,state_r,state_student_id_r,decided_by,decided_at,reason\n"
        "same,TX,1,CA,2,ann,2026-05-01,same COE\n"
        "same,TX,1,,,ann,2026-05-01,oops\n"
    )
    found = read_decisions(tmp_path)
    assert len(found.decisions) == 1 and found.decisions[0].key_r == "CA:2"
    assert found.rejected == [
        "a.csv:3: same needs state_l, state_student_id_l, state_r, state_student_id_r"
    ]


def test_latest_decision_on_a_pair_wins_and_splits_cut_off_from_the_rest() -> None:
    rows = [
        _row(
            decision="same",
            state_l="TX",
            state_student_id_l="1",
            state_r="CA",
            state_student_id_r="2",
        ),
        {
            **_row(
                decision="different",
                state_l="CA",
                state_student_id_l="2",
                state_r="TX",
                state_student_id_r="1",
            ),
            "decided_at": "2026-06-01",
        },
        _row(decision="split", state_l="FL", state_student_id_l="7", msix_id_l="300000000003"),
        _row(decision="merge", msix_id_l="100000000001", msix_id_r="200000000002"),
    ]
    decisions = sorted((parse_row(r, "t") for r in rows), key=lambda d: d.decided_at)  # type: ignore[union-attr]
    result = constraints_from(
        decisions,
        members_of={"300000000003": ["FL:7", "OH:1", "WA:2"]},
        anchors={"100000000001": "A:1", "200000000002": "B:1"},
        resolve={},
    )
    assert ("CA:2", "TX:1") in result.cannot_links
    assert ("FL:7", "OH:1") in result.cannot_links and ("FL:7", "WA:2") in result.cannot_links
    assert ("A:1", "B:1") in result.must_links
    assert result.split_records == {"FL:7": "300000000003"}


@pytest.mark.parametrize("value", ["123456789012", "000000000000"])
def test_twelve_digit_strings_parse(value: str) -> None:
    assert not isinstance(
        parse_row(_row(decision="merge", msix_id_l=value, msix_id_r=value), "t"), str
    )


def test_train_command_writes_a_usable_model(tmp_path: Path) -> None:
    import json

    from identity.model import load_model, model_paths
    from msix.cli import main

    before = model_paths()
    out = tmp_path / "model_v99.json"
    assert main(["train", "--synthetic", "1500", "--seed", "3", "--out", str(out)]) == 0
    trained = load_model(out)
    assert model_paths() == before  # --out leaves the committed versions alone
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1
    assert json.loads(out.read_text())["link_type"] == "dedupe_only"
