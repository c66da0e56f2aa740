"""Dates as integer day numbers (days since 1970-01-01) and the submission calendar.

The generator does its date arithmetic on int64 day numbers in numpy and turns them into
`YYYY-MM-DD` strings only when writing. Every state submits an initial backfill at its go-live
date and then a delta every 14 days, so a new COE is always submitted within 10 working days
of its QAD unless the generator holds it back on purpose (planted `late_submission`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EPOCH = dt.date(1970, 1, 1)
HISTORY_START = dt.date(2024, 7, 1)  # earliest qualifying arrival in the data
GO_LIVE = dt.date(2026, 3, 6)  # a Friday: the first (backfill) submission of the first state
LAST_STAMP = dt.date(2026, 10, 30)  # no submission after this day
CADENCE_DAYS = 14
STAMP_TIMES: tuple[str, ...] = ("083000", "170500", "021500", "120000", "191500", "064500")


def day(date: dt.date) -> int:
    """The day number of a date."""
    return (date - EPOCH).days


def iso(days: np.ndarray) -> pd.Series:
    """`YYYY-MM-DD` strings of day numbers; negative numbers (missing) become empty strings."""
    arr = np.asarray(days, dtype=np.int64)
    text = np.datetime_as_string(arr.astype("datetime64[D]"), unit="D")
    out = pd.Series(text, dtype="str")
    return out.where(arr >= 0, "")


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day of month of day numbers."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    dd = (d - months).astype(np.int64) + 1
    return y, m, dd


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day numbers of (year, month, day) arrays; the day is clipped to the month's length."""
    months = (np.asarray(y) - 1970) * 12 + (np.asarray(m) - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    next_first = (months + 1).astype("datetime64[M]").astype("datetime64[D]")
    length = (next_first - first).astype(np.int64)
    return first.astype(np.int64) + np.minimum(np.asarray(d), length) - 1


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    y, m, d = year_month_day(days)
    return from_ymd(y + years, m, d)


def eligibility_end(qad: np.ndarray) -> np.ndarray:
    """QAD + 3 years - 1 day (the domain rule; no child in the data turns 22 earlier)."""
    return add_years(qad, 3) - 1


def school_year_start(days: np.ndarray) -> np.ndarray:
    """The calendar year in which the school year holding each date began (August cutover)."""
    y, m, _ = year_month_day(days)
    return np.where(m >= 8, y, y - 1)


def state_stamps(offset: int) -> np.ndarray:
    """Submission days of one state: a backfill at go-live, then every 14 days to the end."""
    first = day(GO_LIVE) - 4 + offset % 5  # Monday..Friday of the go-live week
    return np.arange(first, day(LAST_STAMP) + 1, CADENCE_DAYS, dtype=np.int64)


def stamp_text(stamp_day: int, time: str) -> str:
    """`YYYYMMDDThhmmss` of a submission day and time."""
    return (EPOCH + dt.timedelta(days=int(stamp_day))).strftime("%Y%m%d") + "T" + time
