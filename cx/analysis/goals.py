"""Goals: a target for one metric over one scope (brand, region, store or format) and one period.

Goals live in the ``goal`` table. Their progress is read from the same rollups and statistics as every
other metric (:func:`cx.store.sums.sums`, :mod:`cx.stats`), so "now" on this page equals the metric
engine's value for the same scope and dates. The projection and the chance of meeting the target
are :func:`weighted_trend` and :func:`goal_forecast`. Higher is better for every metric.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx.metrics.coverage import late_start
from cx.metrics.registry import GOAL_METRICS
from cx.metrics.registry import METRICS as REGISTRY
from cx.periods import Period
from cx.stats.forecasting import Z95, Trend, goal_forecast, weighted_trend
from cx.store.queries import latest_data_day, store_directory
from cx.store.records import (
    GOAL_COLUMNS,
    GOAL_FIELDS,
    delete_goal_row,
    goal_row,
    goal_rows,
    insert_goal,
    update_goal_row,
)
from cx.store.scope import Scope
from cx.store.sums import ROLLUPS, sums

METRICS = {key: REGISTRY[key] for key in GOAL_METRICS}
SCOPE_TYPES = ("brand", "region", "store", "format")
SCOPE_COLUMNS = {"brand": "brand", "region": "region", "store": "store_id", "format": "format"}

ON_TRACK = 0.7
AT_RISK = 0.3
STATUSES = ("met", "on track", "at risk", "off track", "missed", "not started", "no data")
PROGRESS_COLUMNS = (
    *GOAL_COLUMNS, "label", "as_of", "elapsed_share", "current", "current_low", "current_high", "n", "months",
    "trend", "projected", "projected_low", "projected_high", "probability", "status", "note",
)  # fmt: skip


# --- Storing goals ------------------------------------------------------------------------------


def create_goal(
    engine: Engine,
    *,
    metric: str,
    scope_type: str,
    scope_value: str | None,
    period_start: dt.date,
    period_end: dt.date,
    target: float,
    created_by: str | None = None,
) -> int:
    """Check and store a goal (``created_by``: who, default the OS user); return its id. Bad values
    raise ``ValueError`` saying what to change."""
    goal = validate_goal(
        engine, metric=metric, scope_type=scope_type, scope_value=scope_value,
        period_start=period_start, period_end=period_end, target=target,
    )  # fmt: skip
    return insert_goal(engine, goal, created_by=created_by)


def update_goal(
    engine: Engine, goal_id: int, *, version: int, updated_by: str | None = None, **fields
) -> None:
    """Change some of a goal's fields (e.g. ``target`` or the period); the result is checked whole.
    ``version`` is the goal's version when the editor read it: if someone saved it since, the change
    is refused (:class:`cx.store.records.StaleEdit`)."""
    unknown = sorted(set(fields) - set(GOAL_FIELDS))
    if unknown:
        raise ValueError(
            f"A goal has no field {', '.join(unknown)}; you can change {', '.join(GOAL_FIELDS)}."
        )
    current = _goal_row(engine, goal_id)
    goal = validate_goal(engine, **{**{name: current[name] for name in GOAL_FIELDS}, **fields})
    update_goal_row(engine, goal_id, goal, version=version, updated_by=updated_by)


def delete_goal(engine: Engine, goal_id: int, *, version: int, deleted_by: str | None = None) -> None:
    """Remove a goal for good, unless someone changed it after the version the caller read
    (``deleted_by``: who, default the OS user)."""
    _goal_row(engine, goal_id)
    delete_goal_row(engine, goal_id, version=version, deleted_by=deleted_by)


def list_goals(engine: Engine, *, scope: Scope | None = None) -> pd.DataFrame:
    """Every goal the scope's caller may see (default: all), oldest first: ``id``, the goal's fields,
    its ``version`` and who made and last changed it when."""
    return goal_rows(engine, scope=scope or Scope())


def _goal_row(engine: Engine, goal_id: int) -> dict:
    row = goal_row(engine, goal_id, scope=Scope())
    if row is None:
        raise ValueError(f"There is no goal {goal_id}; it may have been deleted. Reload the goals list.")
    return row


def validate_goal(
    engine: Engine,
    *,
    metric: str,
    scope_type: str,
    scope_value: str | None,
    period_start: dt.date | str,
    period_end: dt.date | str,
    target: float,
) -> dict:
    """The goal's fields, normalised, or ``ValueError`` with a sentence saying what to change.

    The metric must be one of ``METRICS`` and the target inside its range (NPS -100..100, CSAT
    top-2-box 0-100, CSAT mean and rating 1-5, revenue 0 or more); the scope value must name a brand,
    region, store or format in the stores table (a brand goal may leave it empty: the whole brand).
    """
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(METRICS)}.")
    if scope_type not in SCOPE_TYPES:
        raise ValueError(f"Unknown scope type {scope_type!r}: choose one of {', '.join(SCOPE_TYPES)}.")
    scope_value = str(scope_value).strip() if scope_value is not None else ""
    if not scope_value and scope_type != "brand":
        raise ValueError(
            f"A {scope_type} goal needs the {scope_type} it is for; pick one from the stores list."
        )
    if scope_value:
        known = sorted(store_directory(engine)[SCOPE_COLUMNS[scope_type]].dropna().astype(str).unique())
        if not known:
            raise ValueError("No stores are loaded yet; import the stores file before setting goals.")
        if scope_value not in known:
            listed = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
            raise ValueError(f"No store has {scope_type} {scope_value!r}; known values: {listed}.")
    start, end = _date("period_start", period_start), _date("period_end", period_end)
    if end < start:
        raise ValueError(f"The goal period ends ({end}) before it starts ({start}); swap the dates.")
    if target is None:
        raise ValueError("A goal needs a target; enter a number.")
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise ValueError(f"The target must be a number, got {target!r}.") from None
    spec = METRICS[metric]
    if not math.isfinite(value):
        raise ValueError(f"The target must be a finite number, got {target!r}.")
    low, high = spec.scale
    if value < low or value > high:
        allowed = f"{low:g} or more" if math.isinf(high) else f"between {low:g} and {high:g}"
        raise ValueError(f"The {spec.label} target must be {allowed}; got {value:g}.")
    return {"metric": metric, "scope_type": scope_type, "scope_value": scope_value or None,
            "period_start": start, "period_end": end, "target": value}  # fmt: skip


def _date(name: str, value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name} must be a date such as 2026-01-31, got {value!r}.") from None


# --- Progress ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Observed:
    """A goal's data so far, on the scale the forecast works in (revenue: per day)."""

    current: float
    low: float
    high: float
    n: float
    se: float
    trend: Trend


def goal_progress(
    engine: Engine, *, as_of: dt.date | None = None, scope: Scope | None = None
) -> pd.DataFrame:
    """One row per goal the scope's caller may see (default: every goal): value so far, projection,
    chance of meeting the target and a status.

    ``as_of`` (default: the last day with data, as the sidebar periods) splits each goal period into
    the part observed and the part to come. For each goal:

    * ``current``, ``current_low``, ``current_high``, ``n``: the metric from the period start to
      ``as_of`` with its 95 % interval, from the same sums and interval functions as
      :func:`cx.metrics.tables.metric_table`. Revenue: the total so far, ``n`` the days with sales.
    * ``elapsed_share``: days elapsed / days in the period.
    * ``trend``: :func:`weighted_trend` over the monthly values of the goal period so far (weights:
      responses, or days for revenue, whose monthly values are revenue per day), with the sampling
      variance of one response as the floor; nan with fewer than 3 months, and the projection is then
      the current value (revenue: the current daily rate). The current value's SE is the larger of
      the statistic's own SE and its 95 % interval's half-width / 1.96 (not 0 when all answers agree).
    * ``projected``, ``projected_low``, ``projected_high``, ``probability``: :func:`goal_forecast`.
      Revenue is forecast as revenue per day (SE from the day-to-day spread) and scaled to the
      period total, then compared with the target total.
    * ``status``: ``not started`` (period after ``as_of``), ``no data`` (nothing yet, too little
      for an SE, or data that begin after the first 20 % of the days so far: the coverage rule of
      :func:`cx.metrics.coverage.late_start`; see ``note``), ``met`` (period over and target reached, or revenue already above
      it), ``missed`` (period over, target not reached), else ``on track`` (probability >= 0.7),
      ``at risk`` (0.3 to 0.7) or ``off track`` (< 0.3).
    """
    if as_of is None:
        as_of = latest_data_day(engine) or dt.date.today()
    goals = list_goals(engine, scope=scope)
    rows = [{**goal, **_progress(engine, goal, as_of)} for goal in goals.to_dict("records")]
    return pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))


def _progress(engine: Engine, goal: dict, as_of: dt.date) -> dict:
    start, end, target = goal["period_start"], goal["period_end"], goal["target"]
    row = {"label": goal_label(goal), "as_of": as_of, "elapsed_share": 0.0, "status": "not started",
           "note": f"starts {start:%Y-%m-%d}"}  # fmt: skip
    if as_of < start:
        return row
    whole, so_far = Period(start, end), Period(start, min(as_of, end))
    elapsed = so_far.days / whole.days
    scope = _scope(goal["scope_type"], goal["scope_value"])
    revenue = goal["metric"] == "revenue"
    observed = (
        _revenue_observed(engine, scope, so_far) if revenue else _rate_observed(engine, goal["metric"], scope, so_far)
    )  # fmt: skip
    row.update(elapsed_share=elapsed, status="no data", note="no data in the goal period yet")
    if observed is None:
        return row
    late = late_start(engine, METRICS[goal["metric"]].source, scope=scope, period=so_far)
    if late:
        row["note"] = f"not comparable: {late.replace('the period', 'the goal period so far')}"
        return row
    trend = observed.trend
    has_trend = trend.k >= 3
    remaining = _remaining_centre(start, so_far.end, end)
    scale = whole.days if revenue else 1.0
    current = observed.current * (so_far.days if revenue else 1.0)
    forecast = goal_forecast(
        observed.current, observed.se, target / scale, elapsed_share=elapsed,
        slope=trend.slope if has_trend else 0.0, slope_se=trend.se if has_trend else 0.0,
        horizon=remaining - trend.centre if has_trend and math.isfinite(remaining) else 0.0,
    )  # fmt: skip
    row.update(
        current=current, current_low=observed.low, current_high=observed.high, n=observed.n, months=trend.k,
        trend=trend.slope, projected=forecast.projected * scale, projected_low=forecast.low * scale,
        projected_high=forecast.high * scale, probability=forecast.probability, note=trend.reason,
    )  # fmt: skip
    if revenue and current >= target:
        row.update(probability=1.0, status="met", note="the revenue so far already exceeds the target")
    elif elapsed == 1:
        row.update(status="met" if current >= target else "missed", note="the period is over")
    elif math.isnan(forecast.probability):
        row.update(status="no data", note=forecast.reason)
    else:
        row["status"] = _status(forecast.probability)
    return row


def _status(probability: float) -> str:
    if probability >= ON_TRACK:
        return "on track"
    return "at risk" if probability >= AT_RISK else "off track"


def _scope(scope_type: str, scope_value: str | None) -> Scope:
    return Scope(**{scope_type: scope_value}) if _named(scope_value) else Scope()


def _named(scope_value) -> bool:
    return scope_value is not None and not pd.isna(scope_value) and scope_value != ""


def _month_number(day) -> int:
    return day.year * 12 + day.month


def _remaining_centre(start: dt.date, last_observed: dt.date, end: dt.date) -> float:
    """Mean month number (0 = the start's month) over the days after ``last_observed`` up to ``end``."""
    days = pd.date_range(last_observed + dt.timedelta(days=1), end, freq="D")
    if days.empty:
        return math.nan
    return float(np.mean(days.year * 12 + days.month - _month_number(start)))


def _rate_observed(engine: Engine, metric: str, scope: Scope, period: Period) -> _Observed | None:
    spec = METRICS[metric]
    measures = list(ROLLUPS[spec.source].measures)
    months = sums(engine, spec.source, scope=scope, period=period, grain="month")
    if months.empty:
        return None
    months = months.loc[months[measures].apply(pd.to_numeric).sum(axis=1) > 0]
    monthly = spec.estimator.interval(months)
    n = np.atleast_1d(np.asarray(monthly.n, dtype=float))
    if n.sum() == 0:
        return None
    total = spec.estimator.interval(months[measures].sum().to_frame().T)
    current, low, high = (float(np.ravel(value)[0]) for value in (total.estimate, total.low, total.high))
    # The interval's half-width keeps the SE above 0 when every answer is alike (e.g. 3 promoters of 3).
    se = max(float(np.ravel(total.se)[0]), (high - low) / (2 * Z95))
    t = np.array([_month_number(bucket) for bucket in months["bucket"]]) - _month_number(period.start)
    trend = weighted_trend(
        t, np.atleast_1d(monthly.estimate), n, unit_variance=np.nan_to_num(se**2 * n.sum())
    )
    return _Observed(current, low, high, float(n.sum()), se, trend)


def _revenue_observed(engine: Engine, scope: Scope, period: Period) -> _Observed | None:
    """Revenue per calendar day so far; its SE from the spread of daily revenue (days with sales)."""
    days = sums(engine, "sales", scope=scope, period=period, grain="day")
    days = days.loc[days["revenue"].notna()] if len(days) else days
    if days.empty:
        return None
    revenue = days["revenue"].to_numpy(dtype=float)
    daily_variance = float(np.var(revenue, ddof=1)) if len(revenue) > 1 else math.nan
    months = days.groupby(days["bucket"].dt.to_period("M"))["revenue"].sum()
    covered = [_overlap_days(month.start_time.date(), period) for month in months.index]
    t = np.array([_month_number(month) for month in months.index]) - _month_number(period.start)
    trend = weighted_trend(
        t, months.to_numpy(dtype=float) / covered, covered, unit_variance=np.nan_to_num(daily_variance)
    )
    rate = revenue.sum() / period.days
    return _Observed(
        rate, math.nan, math.nan, float(len(revenue)), math.sqrt(daily_variance / period.days), trend
    )


def _overlap_days(month_start: dt.date, period: Period) -> int:
    month = Period.containing("month", month_start)
    return (min(month.end, period.end) - max(month.start, period.start)).days + 1


# --- What the page shows -------------------------------------------------------------------------------


def at_risk_goals(progress: pd.DataFrame) -> pd.DataFrame:
    """The goals at risk or off track, worst (lowest chance of meeting the target) first."""
    risky = progress.loc[progress["status"].isin(["at risk", "off track"])]
    return risky.sort_values(["probability", "period_end"], kind="stable").reset_index(drop=True)


def scope_options(directory: pd.DataFrame, scope_type: str) -> dict[str, str]:
    """The values a goal of this scope type can name, from :func:`cx.store.queries.store_directory`, with labels."""
    if scope_type == "store":
        return {row.store_id: f"{row.store_id} · {row.name}" for row in directory.itertuples()}
    values = sorted(directory[SCOPE_COLUMNS[scope_type]].dropna().astype(str).unique())
    return {value: value for value in values}


def scope_label(scope_type: str, scope_value: str | None) -> str:
    """``Gulf``, ``store ST001``, ``mall stores`` or the brand's name (``the whole brand`` when unnamed)."""
    if not _named(scope_value):
        return "the whole brand"
    return {"store": f"store {scope_value}", "format": f"{scope_value} stores"}.get(scope_type, scope_value)


def period_label(start: dt.date, end: dt.date) -> str:
    """``2026`` for a calendar year, else ``1 Jan 2026 – 31 Mar 2026``."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def goal_label(goal) -> str:
    """``#3 NPS · Gulf · 2026``: short, unique per goal."""
    metric = METRICS[goal["metric"]].short_label
    scope = scope_label(goal["scope_type"], goal["scope_value"])
    return f"#{goal['id']} {metric} · {scope} · {period_label(goal['period_start'], goal['period_end'])}"


def format_value(metric: str, value: float) -> str:
    """A value in the metric's units (``31.2``, ``4.15``, ``1,234,567``); ``–`` when missing."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{METRICS[metric].decimals}f}"


def _format_target(metric: str, value: float) -> str:
    text = format_value(metric, value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def goal_sentence(row) -> str:
    """``NPS in Gulf: 31.2 now, projected 33.0 by 31 Dec, target 40: 12 % chance``."""
    metric, end = row["metric"], row["period_end"]
    name = METRICS[metric].short_label
    by = f"{end.day} {end:%b}" if end.year == row["as_of"].year else f"{end.day} {end:%b %Y}"
    now = "so far" if metric == "revenue" else "now"
    return (
        f"{name} in {scope_label(row['scope_type'], row['scope_value'])}: {format_value(metric, row['current'])} "
        f"{now}, projected {format_value(metric, row['projected'])} by {by}, target "
        f"{_format_target(metric, row['target'])}: {100 * row['probability']:.0f} % chance"
    )


def goal_table(progress: pd.DataFrame) -> pd.DataFrame:
    """The progress frame for display: values written in each goal's units, shares kept as 0-1 numbers."""

    def formatted(column: str) -> list[str]:
        return [format_value(m, v) for m, v in zip(progress["metric"], progress[column], strict=True)]

    interval = [
        f"{format_value(m, low)} to {format_value(m, high)}" if pd.notna(low) else "–"
        for m, low, high in zip(progress["metric"], progress["current_low"], progress["current_high"], strict=True)
    ]  # fmt: skip
    return pd.DataFrame({
        "goal": progress["label"], "status": progress["status"], "current": formatted("current"),
        "interval": interval, "n": progress["n"], "elapsed": progress["elapsed_share"],
        "projected": formatted("projected"), "target": [_format_target(m, v) for m, v in zip(
            progress["metric"], progress["target"], strict=True)],
        "probability": progress["probability"], "note": progress["note"],
    })  # fmt: skip
