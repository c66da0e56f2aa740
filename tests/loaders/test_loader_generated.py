"""Conservation over a generated landing folder (canonical CSV, XML and the MI/NC/WA layouts):
every row of every file is loaded or quarantined, and a rescan adds nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from generator.write import generate
from loaders.contract import RECORD_TYPES, XML_ELEMENTS
from loaders.ingest import ingest_landing
from loaders.layouts import load_layout
from msix.paths import LAYOUTS_DIR

STATES = ["TX", "MI", "NC", "WA", "OH"]  # XML, three layouts, canonical CSV
RECORD_TAGS = {"Student", *XML_ELEMENTS.values()}


def rows_in_file(path: Path) -> int:
    """Records in one landing file, counted without the loader: the expected rows_read."""
    if path.suffix == ".xml":
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        return sum(
            1
            for e in tree.iter()
            if isinstance(e.tag, str) and etree.QName(e).localname in RECORD_TAGS
        )
    layout = load_layout(path.parent.name, LAYOUTS_DIR)
    with path.open(encoding=layout.encoding, newline="") as handle:
        if layout.format == "fixed_width":
            return sum(1 for line in handle if line.strip())
        return sum(1 for _ in csv.reader(handle, delimiter=layout.delimiter)) - 1


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("generated")
    generate(out, children=40, seed=11, states=STATES)
    warehouse = out / "msix.duckdb"
    ingest_landing(out / "landing", warehouse, layouts_dir=LAYOUTS_DIR)
    return out / "landing", warehouse


def test_every_generated_row_is_loaded_or_quarantined(generated) -> None:
    landing, warehouse = generated
    with duckdb.connect(str(warehouse), read_only=True) as con:
        manifest = con.execute(
            "select file_name, status, rows_read, rows_loaded, rows_quarantined from raw.load_manifest"
        ).fetchall()
        raw_rows = sum(
            con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RECORD_TYPES
        )
        quarantined = con.execute("select count(*) from raw.quarantine").fetchone()[0]
    files = {p.name: p for p in landing.rglob("*") if p.is_file()}
    assert {row[0] for row in manifest} == set(files)
    assert {row[1] for row in manifest} <= {"loaded", "duplicate"}
    loaded = [row for row in manifest if row[1] == "loaded"]
    for name, _status, read, rows_loaded, rows_quarantined in loaded:
        assert read == rows_loaded + rows_quarantined
        assert read == rows_in_file(files[name]), name
    assert raw_rows == sum(row[3] for row in loaded)
    assert quarantined == sum(row[4] for row in loaded)


def test_rescanning_the_generated_folder_adds_nothing(generated) -> None:
    landing, warehouse = generated
    report = ingest_landing(landing, warehouse, layouts_dir=LAYOUTS_DIR)
    assert report.counts()["files_unchanged"] == len([p for p in landing.rglob("*") if p.is_file()])
    assert report.counts()["rows_read"] == 0
