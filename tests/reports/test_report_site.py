"""The report site: every page written, no names or birth dates, suppression respected."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from msix.settings import Settings, get_settings
from reports.site import PAGES, build_site


def _pages(site: Path) -> dict[str, str]:
    return {name: (site / name).read_text(encoding="utf-8") for name, _ in PAGES}


def test_site_has_every_page_beside_the_warehouse(analyst_settings: Settings) -> None:
    report = build_site(analyst_settings)
    site = analyst_settings.warehouse.parent / "reports"
    assert report.site_dir == site
    assert sorted(report.pages) == sorted(name for name, _ in PAGES)
    assert report.counts()["relations_missing"] == 0
    pages = _pages(site)
    assert "<svg" in pages["moves.html"] and "flow-matrix" in pages["moves.html"]
    assert "monthly-moves" in pages["monthly.html"]
    assert "credit-bins" in pages["credits.html"]
    assert "dq-states" in pages["quality.html"]


def test_no_names_or_birth_dates_on_any_page(
    analyst_settings: Settings, planted: tuple[str, ...]
) -> None:
    build_site(analyst_settings)
    for name, text in _pages(analyst_settings.reports_dir).items():
        for value in planted:
            assert value not in text, f"{value} leaked into {name}"


def test_suppressed_and_small_cells_are_shown_as_suppressed(analyst_settings: Settings) -> None:
    build_site(analyst_settings)
    pages = _pages(analyst_settings.reports_dir)
    moves = pages["moves.html"]
    assert "<title>CA to WA: s</title>" in moves  # NULL with the suppression flag
    assert "<title>CA to OR: s</title>" in moves  # published 4, below the minimum of 10
    assert "<title>TX to MI: 25+s</title>" in moves  # a total leaving out a suppressed month
    assert not re.search(r">4<", moves)
    # MI holds 3 students in rpt_credit_accrual: count and averages withheld.
    credits = pages["credits.html"]
    assert re.search(r"<td>MI</td><td class=\"num\">s</td><td class=\"num\">s</td>", credits)
    # 3 open findings for MI: below the minimum, shown as suppressed.
    quality = pages["quality.html"]
    assert "<title>MI: s</title>" in quality
    # TX: 12 warnings published, 3 errors suppressed; its bar adds the published cells only,
    # so no total (15) gives the suppressed 3 away.
    assert "<title>TX: 12</title>" in quality
    assert ">15<" not in quality and ": 15<" not in quality


def test_minimum_cell_size_is_configurable(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    warehouse = make_warehouse(tmp_path / "msix.duckdb")
    build_site(get_settings(warehouse=warehouse, min_cell_size=3))
    moves = (tmp_path / "reports" / "moves.html").read_text(encoding="utf-8")
    assert "<title>CA to OR: 4</title>" in moves


def test_missing_relations_get_a_not_built_yet_section(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    warehouse = make_warehouse(
        tmp_path / "msix.duckdb", without=("marts.rpt_moves_monthly", "marts.dq_issue")
    )
    report = build_site(get_settings(warehouse=warehouse))
    assert set(report.missing) == {"marts.rpt_moves_monthly", "marts.dq_issue"}
    assert any("not built yet" in note for note in report.notes())
    moves = (tmp_path / "reports" / "moves.html").read_text(encoding="utf-8")
    assert "Not built yet" in moves and "marts.rpt_moves_monthly" in moves
    assert "credit-bins" in (tmp_path / "reports" / "credits.html").read_text(encoding="utf-8")


def test_site_without_a_warehouse_file_still_builds(tmp_path: Path) -> None:
    report = build_site(get_settings(warehouse=tmp_path / "absent.duckdb"))
    assert len(report.pages) == len(PAGES)
    assert "marts.rpt_credit_accrual" in report.missing


def test_docs_links_point_at_generated_docs(analyst_settings: Settings) -> None:
    dbt_docs = analyst_settings.artifacts_dir / "dbt" / "manual__1" / "marts" / "index.html"
    dbt_docs.parent.mkdir(parents=True)
    dbt_docs.write_text("<html></html>")
    build_site(analyst_settings)
    index = (analyst_settings.reports_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="../artifacts/dbt/manual__1/marts/index.html"' in index
    assert "Great Expectations Data Docs: not generated yet" in index


def test_a_relation_of_another_shape_spoils_only_its_page(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    warehouse = make_warehouse(tmp_path / "msix.duckdb")
    con = duckdb.connect(str(warehouse))
    con.execute("alter table marts.dq_issue rename column severity to level")
    con.close()
    report = build_site(get_settings(warehouse=warehouse))
    assert report.unreadable == ["quality.html"]
    assert report.counts()["pages_unreadable"] == 1
    quality = (tmp_path / "reports" / "quality.html").read_text(encoding="utf-8")
    assert "Could not be read" in quality and "BinderException" in quality
    assert "flow-matrix" in (tmp_path / "reports" / "moves.html").read_text(encoding="utf-8")
