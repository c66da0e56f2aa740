"""The report site rendered in headless Chromium: charts drawn, no console errors.

Chromium (Debian's `chromium` package) is installed by the session fixture when missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msix.settings import Settings
from reports.render_check import RenderError, ensure_chromium, render_pages
from reports.site import PAGES, build_site

CHART_PAGES = ("moves.html", "monthly.html", "credits.html", "quality.html")


@pytest.fixture(scope="session")
def chromium() -> str:
    try:
        return ensure_chromium()
    except RenderError as exc:
        pytest.fail(f"headless Chromium is needed for this test: {exc}")


def test_every_page_renders_with_charts_and_no_console_errors(
    analyst_settings: Settings, chromium: str
) -> None:
    build_site(analyst_settings)
    site = analyst_settings.reports_dir
    renders = {Path(r.url).name: r for r in render_pages([site / f for f, _ in PAGES], chromium)}
    assert set(renders) == {f for f, _ in PAGES}
    for name, page in renders.items():
        assert page.errors == [], f"{name}: {page.errors}"
        assert page.title.endswith("MSIX warehouse reports")
    for name in CHART_PAGES:
        page = renders[name]
        assert page.charts >= 1, f"{name} has no chart"
        assert page.drawn_marks == page.marks > 0, f"{name}: {page.drawn_marks}/{page.marks} drawn"


def test_the_check_sees_console_errors_and_undrawn_pages(tmp_path: Path, chromium: str) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!doctype html><title>x</title><link rel='icon' href='data:,'>"
        "<script>console.error('boom'); undefinedFunction();</script>",
        encoding="utf-8",
    )
    (page,) = render_pages([broken], chromium)
    assert any("boom" in e for e in page.errors)
    assert any("undefinedFunction" in e for e in page.errors)
    assert page.charts == 0 and page.drawn_marks == 0
