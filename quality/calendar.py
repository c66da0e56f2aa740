"""Working days for the 34 CFR 200.85 clocks: weekdays that are not US federal holidays.

The clocks count working days from an event to a submission stamp. `working_day_frame` gives
every day with a running index of working days, so "working days from a to b" is
`index(b) - index(a)` (the days after `a` up to and including `b`).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import pandas as pd


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (Monday = 0) of a month; n = -1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A fixed-date holiday on Saturday is observed on Friday, on Sunday on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> set[date]:
    """The observed US federal holidays of one year (5 U.S.C. 6103)."""
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    if year >= 2021:
        fixed.append(date(year, 6, 19))  # Juneteenth
    floating = [
        _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
    ]
    days = {_observed(d) for d in fixed} | set(floating)
    # New Year's Day of the next year falling on a Saturday is observed on Dec 31 of this one.
    if date(year + 1, 1, 1).weekday() == 5:
        days.add(date(year, 12, 31))
    return days


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a federal holiday."""
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -working_days_between(end, start)
    holidays = set().union(*(federal_holidays(y) for y in range(start.year, end.year + 1)))
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            count += 1
        day += timedelta(days=1)
    return count


@lru_cache(maxsize=1)
def working_day_frame(first_year: int = 1990, last_year: int = 2045) -> pd.DataFrame:
    """One row per calendar day: `day`, `is_working_day`, `wd_index` (working days up to it).

    Cached: callers must not modify the frame.
    """
    days = pd.date_range(date(first_year, 1, 1), date(last_year, 12, 31), freq="D")
    holidays = set().union(*(federal_holidays(y) for y in range(first_year, last_year + 1)))
    holiday_index = pd.DatetimeIndex(sorted(holidays))
    working = (days.weekday < 5) & ~days.isin(holiday_index)
    return pd.DataFrame({"day": days.date, "is_working_day": working, "wd_index": working.cumsum()})


# The last day of each term type, as (years after the school year's first year, MM-DD).
# States do not submit term dates, so each clock uses these conventional ends.
TERM_ENDS: dict[str, tuple[int, str]] = {
    "FULL": (1, "06-15"),
    "SEM1": (1, "01-15"),
    "SEM2": (1, "06-15"),
    "TRI1": (0, "11-30"),
    "TRI2": (1, "03-15"),
    "TRI3": (1, "06-15"),
    "QTR1": (0, "10-31"),
    "QTR2": (1, "01-15"),
    "QTR3": (1, "03-31"),
    "QTR4": (1, "06-15"),
    "SUMR": (1, "08-15"),
}


def term_end_frame() -> pd.DataFrame:
    """`TERM_ENDS` as a relation: `term_type`, `year_offset`, `month_day`."""
    return pd.DataFrame(
        [(term, offset, month_day) for term, (offset, month_day) in TERM_ENDS.items()],
        columns=["term_type", "year_offset", "month_day"],
    )
