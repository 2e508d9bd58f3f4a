"""Reporting periods: day, week, month, quarter or a custom range, and their comparison periods."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GRAINS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Period:
    """Inclusive date range ``start`` .. ``end``."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"The period ends ({self.end}) before it starts ({self.start}); swap the dates.")

    @classmethod
    def containing(cls, grain: str, day: dt.date) -> Period:
        """The calendar day, ISO week (Monday first), month or quarter that holds ``day``."""
        if grain == "day":
            return cls(day, day)
        if grain == "week":
            monday = day - dt.timedelta(days=day.weekday())
            return cls(monday, monday + dt.timedelta(days=6))
        if grain in ("month", "quarter"):
            first_month = day.month if grain == "month" else 3 * ((day.month - 1) // 3) + 1
            start = dt.date(day.year, first_month, 1)
            return cls(start, _add_months(start, 1 if grain == "month" else 3) - dt.timedelta(days=1))
        raise ValueError(f"Unknown grain {grain!r}: use one of {', '.join(GRAINS)}.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before: the previous month for a whole month, else the
        same number of days immediately before."""
        if self.is_whole_months():
            months = _month_index(self.end) - _month_index(self.start) + 1
            start = _add_months(self.start, -months)
            return Period(start, self.start - dt.timedelta(days=1))
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def last_year(self) -> Period:
        """The same dates one year earlier (29 February becomes 28 February)."""
        return Period(_minus_year(self.start), _minus_year(self.end))

    def is_whole_months(self) -> bool:
        return self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1

    def split_months(self) -> tuple[Period | None, list[Period]]:
        """Whole months inside the period (read from monthly rollups) and the edge days around them."""
        first = self.start if self.start.day == 1 else _add_months(self.start.replace(day=1), 1)
        after = _add_months(self.end.replace(day=1), 1)
        last = (
            self.end
            if after - dt.timedelta(days=1) == self.end
            else self.end.replace(day=1) - dt.timedelta(days=1)
        )
        if first > last:
            return None, [self]
        edges = []
        if self.start < first:
            edges.append(Period(self.start, first - dt.timedelta(days=1)))
        if last < self.end:
            edges.append(Period(last + dt.timedelta(days=1), self.end))
        return Period(first, last), edges

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _add_months(day: dt.date, months: int) -> dt.date:
    index = _month_index(day) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _minus_year(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


PRESETS = {
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "year_to_date": "Year to date",
    "last_12_months": "Last 12 months",
    "custom": "Custom range",
}


def preset_period(
    preset: str, latest: dt.date, *, start: dt.date | None = None, end: dt.date | None = None
) -> Period:
    """The period a preset names, counted back from ``latest`` (the last day with data)."""
    if preset == "last_30_days":
        return Period(latest - dt.timedelta(days=29), latest)
    if preset == "last_90_days":
        return Period(latest - dt.timedelta(days=89), latest)
    if preset in ("this_month", "this_quarter"):
        whole = Period.containing(preset.removeprefix("this_"), latest)
        return Period(whole.start, latest)
    if preset in ("last_month", "last_quarter"):
        grain = preset.removeprefix("last_")
        return Period.containing(grain, Period.containing(grain, latest).start - dt.timedelta(days=1))
    if preset == "year_to_date":
        return Period(dt.date(latest.year, 1, 1), latest)
    if preset == "last_12_months":
        return Period(_add_months(latest.replace(day=1), -11), latest)
    if preset == "custom":
        if start is None or end is None:
            raise ValueError("A custom period needs a start and an end date.")
        return Period(start, end)
    raise ValueError(f"Unknown period preset {preset!r}: choose one of {', '.join(PRESETS)}.")
