"""The manifest and idempotency: rescan, duplicate, late old file, fixed file, name reuse."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from loaders import manifest
from loaders.ingest import discover, ingest_file

TABLES = ("students", "quarantine", "load_manifest")


def _sizes(landing) -> dict[str, int]:
    return {t: landing.one(f"select count(*) from raw.{t}") for t in TABLES}


def test_rescanning_the_landing_folder_adds_nothing(landing) -> None:
    landing.students("TX", [landing.student("TX1"), landing.student("TX2", birth="x")])
    landing.write("TX", "TX_20261101T083000.xml", landing.xml_text())
    landing.ingest()
    before = _sizes(landing)
    report = landing.ingest()
    assert _sizes(landing) == before
    assert report.counts()["files_unchanged"] == 2
    assert report.counts()["rows_read"] == 0


def test_same_bytes_under_another_name_is_one_duplicate_row(landing) -> None:
    first = landing.students("TX", [landing.student("TX1")])
    landing.write("TX", "TX_20261105T083000_students.csv", first.read_bytes())
    report = landing.ingest()
    landing.ingest()
    assert report.counts()["files_duplicate"] == 1
    assert [(r[0], r[1]) for r in landing.manifest()] == [
        ("TX_20261101T083000_students.csv", "loaded"),
        ("TX_20261105T083000_students.csv", "duplicate"),
    ]
    assert landing.one("select count(*) from raw.students") == 1


def test_a_late_file_with_an_older_stamp_is_loaded_with_its_own_stamp(landing) -> None:
    landing.students("TX", [landing.student("TX1", first="New")], stamp="20261110T000000")
    landing.ingest()
    landing.students("TX", [landing.student("TX1", first="Old")], stamp="20261001T000000")
    landing.ingest()
    rows = landing.rows(
        "select first_name, strftime(stamp, '%Y%m%d') from raw.students order by stamp"
    )
    assert rows == [("Old", "20261001"), ("New", "20261110")]


def test_a_rejected_file_fixed_under_the_same_name_is_loaded_as_a_new_row(landing) -> None:
    path = landing.students("TX", [["TX1", "Ana"]], header=["student_id", "first_name"])
    landing.ingest()
    landing.students("TX", [landing.student("TX1")])
    assert path.exists()
    landing.ingest()
    assert [r[1] for r in landing.manifest()] == ["loaded", "rejected"]
    assert landing.one("select count(*) from raw.students") == 1


def test_new_bytes_under_the_name_of_a_loaded_file_are_rejected(landing) -> None:
    landing.students("TX", [landing.student("TX1")])
    landing.ingest()
    landing.students("TX", [landing.student("TX1"), landing.student("TX2")])
    landing.ingest()
    statuses = sorted(r[1] for r in landing.manifest())
    assert statuses == ["loaded", "rejected"]
    assert landing.one("select count(*) from raw.students") == 1


def test_discover_lists_only_new_files_and_ingest_file_loads_one(landing) -> None:
    first = landing.students("TX", [landing.student("TX1")])
    second = landing.students("NE", [landing.student("NE1")])
    assert discover(landing.root, landing.warehouse) == [second, first]
    outcome = ingest_file(
        first, landing.warehouse, landing=landing.root, layouts_dir=landing.layouts
    )
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1)
    assert outcome.as_dict()["file_name"] == first.name
    assert discover(landing.root, landing.warehouse) == [second]
    assert discover(landing.root, landing.warehouse, states=["TX"]) == []


def test_badly_named_files_are_reported_each_run_and_left_in_place(landing) -> None:
    odd = landing.write("TX", "TX_2026_students.csv", "x\n")
    outside: Path = landing.root / "README.txt"
    outside.write_text("hello")
    for _ in range(2):
        report = landing.ingest()
        assert report.counts()["files_skipped_name"] == 2
    assert odd.exists() and outside.exists()
    assert landing.one("select count(*) from raw.load_manifest") == 0


# ------------------------------------------------------------------ the landing file index


def _age(path: Path, seconds: int = 60) -> None:
    """Give the file an mtime well in the past, as files that landed earlier have."""
    stamp = time.time_ns() - seconds * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def _count_reads(monkeypatch) -> list[str]:
    """Record the name of every file whose bytes the loaders read for a checksum."""
    reads: list[str] = []
    real_scan = manifest.scan

    def counting(path: Path) -> manifest.FileScan:
        reads.append(path.name)
        return real_scan(path)

    monkeypatch.setattr(manifest, "scan", counting)
    return reads


def test_files_the_index_vouches_for_are_not_read_again(landing, monkeypatch) -> None:
    _age(landing.students("TX", [landing.student("TX1")]))
    _age(landing.write("TX", "TX_20261101T083000.xml", landing.xml_text()))
    landing.ingest()
    reads = _count_reads(monkeypatch)
    report = landing.ingest()
    assert report.counts()["files_unchanged"] == 2
    assert reads == []
    assert discover(landing.root, landing.warehouse) == []
    assert reads == []


def test_a_touched_file_is_read_again_and_then_vouched_for(landing, monkeypatch) -> None:
    path = landing.students("TX", [landing.student("TX1")])
    _age(path, 120)
    landing.ingest()
    _age(path, 60)  # same bytes, new mtime (copied again, say)
    reads = _count_reads(monkeypatch)
    assert landing.ingest().counts()["files_unchanged"] == 1
    assert reads == [path.name]
    landing.ingest()
    assert reads == [path.name]


def test_a_rewrite_within_the_timestamp_granularity_is_still_caught(landing) -> None:
    """Same size, same mtime, new bytes, checked right after the first write: the index row is
    not trusted (written within RACY_NS of the mtime), so the new bytes are found."""
    path = landing.students("TX", [landing.student("TX1", first="Ana")])
    mtime = path.stat().st_mtime_ns
    landing.ingest()
    landing.students("TX", [landing.student("TX1", first="Eva")])
    os.utime(path, ns=(mtime, mtime))
    landing.ingest()
    assert sorted(r[1] for r in landing.manifest()) == ["loaded", "rejected"]


def test_the_index_is_not_trusted_for_a_file_the_manifest_lost(landing, monkeypatch) -> None:
    _age(landing.students("TX", [landing.student("TX1")]))
    landing.ingest()
    with duckdb.connect(str(landing.warehouse)) as con:
        con.execute("delete from raw.load_manifest")
    reads = _count_reads(monkeypatch)
    landing.ingest()
    assert len(reads) == 1
