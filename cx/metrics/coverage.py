"""Whether two windows can be compared at all: the coverage rule every comparison checks first.

A change between two windows means something only when both hold data for the same kind of
period and the same stores. When the data start half-way through the comparison window (or a
source stopped being loaded), the change measures the gap, not the customers: revenue "up
117 %" against a half-empty year. So, per source and before any test:

- **days**: a day of a window is covered when it has data, or lies in a gap of at most
  :data:`MAX_GAP_DAYS` days between two days with data (a quiet week at a small store is not
  missing data; a month without one answer in the whole scope is). Each window needs at least
  :data:`MIN_SHARE` of its days covered.
- **stores**: the window with fewer reporting stores needs at least :data:`MIN_SHARE` as many as
  the other, so openings and closures cannot pass for a change.

Below either threshold the comparison is "not comparable", with the reason in words. Coverage
error as in Groves et al. (2009), *Survey Methodology*, 2nd ed., Wiley, chapter 3.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from cx.metrics.registry import metric as metric_named
from cx.periods import Period
from cx.store.coverage import data_days, reporting_stores
from cx.store.scope import Scope

MIN_SHARE = 0.8
MAX_GAP_DAYS = 31


@dataclass(frozen=True)
class Coverage:
    """Days covered and stores reporting in the current window (``now``) and the comparison window."""

    source: str
    days_now: int
    of_days_now: int
    days_before: int
    of_days_before: int
    stores_now: int
    stores_before: int

    @property
    def reason(self) -> str | None:
        """Why the windows cannot be compared, in words; ``None`` when they can."""
        if self.stores_now == 0 and self.stores_before == 0:
            return "neither period has any data"
        for days, of_days, which in (
            (self.days_before, self.of_days_before, "the comparison period"),
            (self.days_now, self.of_days_now, "the current period"),
        ):
            if days < MIN_SHARE * of_days:
                return f"{which} has data for {days:,} of {of_days:,} days"
        fewer, more = sorted((self.stores_now, self.stores_before))
        if fewer < MIN_SHARE * more:
            which = "the comparison period" if self.stores_before < self.stores_now else "the current period"
            return f"{which} has data from {fewer:,} of {more:,} stores"
        return None

    @property
    def comparable(self) -> bool:
        return self.reason is None

    def as_json(self) -> dict:
        return {"source": self.source, "comparable": self.comparable, "reason": self.reason,
                "days_now": self.days_now, "of_days_now": self.of_days_now, "days_before": self.days_before,
                "of_days_before": self.of_days_before, "stores_now": self.stores_now,
                "stores_before": self.stores_before, "min_share": MIN_SHARE}  # fmt: skip


def covered_days(days: list[dt.date], period: Period) -> int:
    """Days of ``period`` that have data or lie in a gap of at most :data:`MAX_GAP_DAYS` days between
    two days with data (``days``: the days with data, sorted, reaching up to ``MAX_GAP_DAYS`` beyond
    the period on both sides)."""
    if not days:
        return 0
    have = np.array([day.toordinal() for day in days])
    every = np.arange(period.start.toordinal(), period.end.toordinal() + 1)
    right = np.searchsorted(have, every, side="left")  # first day with data on or after each day
    left = np.searchsorted(have, every, side="right") - 1  # last day with data on or before it
    inside = (left >= 0) & (right < len(have))
    gap = np.where(inside, have[np.minimum(right, len(have) - 1)] - have[np.maximum(left, 0)], np.inf)
    return int(((gap <= MAX_GAP_DAYS) & inside).sum())


def window_coverage(engine: Engine, *, source: str, scope: Scope, now: Period, before: Period) -> Coverage:
    """The coverage of ``source`` in ``scope`` over the two windows (see the module docstring)."""
    source, scope = _readable(source, scope)
    days_now, days_before = (days_covered(engine, source, scope=scope, period=w) for w in (now, before))
    stores_now, stores_before = (
        reporting_stores(engine, source, scope=scope, period=w) for w in (now, before)
    )
    return Coverage(source, days_now, now.days, days_before, before.days, stores_now, stores_before)


def days_covered(engine: Engine, source: str, *, scope: Scope, period: Period) -> int:
    """Days of ``period`` covered by ``source`` in ``scope`` (see :func:`covered_days`)."""
    source, scope = _readable(source, scope)
    margin = dt.timedelta(days=MAX_GAP_DAYS)
    days = data_days(engine, source, scope=scope, period=Period(period.start - margin, period.end + margin))
    return covered_days(days, period)


def late_start(engine: Engine, source: str, *, scope: Scope, period: Period) -> str | None:
    """Why a single window (such as a goal's period so far) cannot be read whole: its data begin only
    after more than ``1 - MIN_SHARE`` of its days; ``None`` when they begin in time."""
    source, scope = _readable(source, scope)
    days = data_days(engine, source, scope=scope, period=period)
    missing = (days[0] - period.start).days if days else period.days
    if missing <= (1 - MIN_SHARE) * period.days:
        return None
    return f"the period has no data for its first {missing:,} of {period.days:,} days"


def _readable(source: str, scope: Scope) -> tuple[str, Scope]:
    """Attributes come with the surveys; reviews and sales carry no touchpoint (every touchpoint of
    the same stores)."""
    source = "surveys" if source == "attributes" else source
    return source, scope.all_touchpoints() if source in ("reviews", "sales") else scope


def metric_coverage(engine: Engine, *, metric: str, scope: Scope, now: Period, before: Period) -> Coverage:
    """:func:`window_coverage` of the source ``metric`` reads."""
    return window_coverage(engine, source=metric_named(metric).source, scope=scope, now=now, before=before)
