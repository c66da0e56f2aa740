"""The small pieces: typos, accents, dates, credits, layout date formats."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator import calendar as cal
from generator.formats import fixed_width_lines, reformat_dates
from generator.submissions import credits_text
from generator.variants import strip_accents, typo


def test_strip_accents():
    assert strip_accents("García Muñoz") == "Garcia Munoz"
    assert strip_accents("ÁLVAREZ") == "ALVAREZ"


def test_typo_changes_exactly_one_character_position():
    assert typo("Hernandez", 0, 0.0, "q") == "Hqrnandez"
    assert typo("Hernandez", 1, 0.0, "q") == "Hrnandez"
    assert typo("Hernandez", 2, 0.0, "q") == "Hrenandez"
    assert typo("Li", 0, 0.5, "q") == "Li"  # too short to edit


def test_eligibility_end_is_qad_plus_three_years_minus_a_day():
    qad = np.array([cal.day(cal.dt.date(2025, 3, 1)), cal.day(cal.dt.date(2024, 2, 29))])
    assert list(cal.iso(cal.eligibility_end(qad))) == ["2028-02-29", "2027-02-27"]


def test_iso_leaves_missing_dates_empty():
    assert list(cal.iso(np.array([0, -1]))) == ["1970-01-01", ""]


def test_credits_text():
    assert list(credits_text(np.array([50, 25, 100, 1050, -1]))) == [
        "0.50", "0.25", "1.00", "10.50", "",
    ]  # fmt: skip


def test_reformat_dates():
    iso = pd.Series(["2026-03-14", ""], dtype="str")
    assert list(reformat_dates(iso, "%m/%d/%Y")) == ["03/14/2026", ""]
    assert list(reformat_dates(iso, "%d.%m.%Y")) == ["14.03.2026", ""]
    assert list(reformat_dates(iso, "%Y%m%d")) == ["20260314", ""]


def test_fixed_width_lines_pad_and_place_fields():
    data = pd.DataFrame({"a": ["x", "yy"], "b": ["1", "22"]}, dtype="str")
    lines = fixed_width_lines(data, {"a": (1, 3), "b": (5, 2)})
    assert lines.to_pylist() == ["x   1 ", "yy  22"]


def test_state_stamps_every_two_weeks_from_go_live():
    stamps = cal.state_stamps(0)
    assert (np.diff(stamps) == 14).all()
    assert stamps[-1] <= cal.day(cal.LAST_STAMP)
