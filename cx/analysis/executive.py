"""What the executive summary shows: KPI tiles with significance, trends with bands, movers, the map."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx.metrics.changes import MIN_STATED_ANSWERS, comparison_period, metric_changes
from cx.metrics.coverage import Coverage, metric_coverage, window_coverage
from cx.metrics.registry import KPI, METRICS, keys_for
from cx.metrics.tables import metric_table
from cx.periods import Period
from cx.store.queries import SOURCES, store_directory
from cx.store.scope import Scope
from cx.store.sums import sums


def kpi_tiles(engine: Engine, *, scope: Scope, period: Period, compare: str) -> list[dict]:
    """One tile per KPI metric of the registry: value, interval, n, change vs the comparison period
    and whether that change is statistically significant (p < 0.05; sales: shown without a test).

    ``coverage`` (:mod:`cx.metrics.coverage`) says whether the two periods can be compared at all;
    when they cannot, the tile carries no change (``delta`` nan, not significant)."""
    now = metric_table(engine, scope=scope, period=period, by=())
    row = now.iloc[0] if len(now) else pd.Series(dtype=float)
    earlier = comparison_period(period, compare)
    coverages: dict[str, Coverage] = {}
    tiles = []
    for key in keys_for(KPI):
        spec = METRICS[key]
        if spec.source not in coverages:
            coverages[spec.source] = window_coverage(
                engine, source=spec.source, scope=scope, now=period, before=earlier
            )
        coverage = coverages[spec.source]
        change = metric_changes(engine, metric=key, scope=scope, period=period, compare=compare)
        delta = change.iloc[0] if len(change) and coverage.comparable else None
        tiles.append({
            "metric": key, "label": spec.short_label, "value": _float(row.get(key, np.nan)),
            "low": _float(row.get(spec.low)) if spec.has_interval else np.nan,
            "high": _float(row.get(spec.high)) if spec.has_interval else np.nan,
            "n": _float(row.get(spec.n_column)) if spec.n_column else np.nan, "unit": spec.n_unit,
            "format": spec.level,
            "delta": _float(delta["delta"]) if delta is not None else np.nan,
            "delta_pct": _float(delta.get("delta_pct", np.nan)) if delta is not None else np.nan,
            "p_value": _float(delta["p_value"]) if delta is not None else np.nan,
            "significant": bool(delta is not None and _float(delta["p_value"]) < 0.05),
            "before": _float(delta["before"]) if delta is not None else np.nan,
            "coverage": coverage.as_json(),
        })  # fmt: skip
    return tiles


def metric_trend(
    engine: Engine, *, metric: str, scope: Scope, period: Period, grain: str = "month"
) -> pd.DataFrame:
    """``bucket, value, low, high, n`` per month (or week) of the period, with the metric's 95 % interval."""
    spec = METRICS[metric]
    raw = sums(engine, spec.source, scope=scope, period=period, grain=grain)
    if raw.empty:
        return pd.DataFrame(columns=["bucket", "value", "low", "high", "n"])
    interval = spec.estimator.interval(raw)
    frame = pd.DataFrame({"bucket": raw["bucket"], "value": interval.estimate, "low": interval.low,
                          "high": interval.high, "n": spec.estimator.answers(raw)})  # fmt: skip
    return frame.sort_values("bucket").reset_index(drop=True)


MOVER_COLUMNS = ["store", "name", "before", "after", "delta", "low", "high", "p_value", "q_value", "significant",
                 "n_before", "n_after", "direction", "small"]  # fmt: skip


def trend_window(period: Period) -> Period:
    """The period itself when it spans more than six months, else the 12 months up to its end."""
    if period.days > 180:
        return period
    start = period.end.replace(day=1)
    return Period(start.replace(year=start.year - 1), period.end)


def movers(
    engine: Engine, *, metric: str, scope: Scope, period: Period, compare: str, top: int = 5
) -> pd.DataFrame:
    """Stores whose change is significant after Benjamini-Hochberg across all stores, biggest first;
    none when the two periods are not comparable for the scope (:mod:`cx.metrics.coverage`).
    ``small``: fewer than 30 answers in a window (a small sample, flagged on the page)."""
    earlier = comparison_period(period, compare)
    if not metric_coverage(engine, metric=metric, scope=scope, now=period, before=earlier).comparable:
        return pd.DataFrame(columns=MOVER_COLUMNS)
    changes = metric_changes(
        engine, metric=metric, scope=scope, period=period, compare=compare, by=("store",)
    )
    moved = changes.loc[changes["significant"]].copy()
    moved["direction"] = np.where(moved["delta"] > 0, "up", "down")
    moved["small"] = moved[["n_before", "n_after"]].min(axis=1) < MIN_STATED_ANSWERS
    moved = moved.reindex(moved["delta"].abs().sort_values(ascending=False).index).head(2 * top)
    names = store_directory(engine).set_index("store_id")["name"]
    moved.insert(1, "name", moved["store"].map(names))
    return moved.reset_index(drop=True)


def store_map(engine: Engine, *, scope: Scope, period: Period, metric: str = "nps") -> pd.DataFrame:
    """Stores with coordinates and their score for the period (stores without answers keep NaN): every
    store for the whole brand; for a narrowed scope, the stores any source has data for in the period."""
    directory = store_directory(engine, scope=scope).dropna(subset=["latitude", "longitude"])
    narrowed = _narrowed(scope)
    sources = tuple(SOURCES) if narrowed else (METRICS[metric].source,)
    table = metric_table(engine, scope=scope, period=period, by=("store",), sources=sources)
    value, n = metric, METRICS[metric].n_column
    scores = table.set_index("store")[[value, n]].rename(columns={value: "value", n: "n"})
    points = directory.join(scores, on="store_id", how="inner" if narrowed else "left")
    return points.reset_index(drop=True)


def _narrowed(scope: Scope) -> bool:
    return any(v is not None for k, v in vars(scope).items() if k != "visible_stores")


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


BENCHMARK_COLUMNS = ["metric", "label", "value", "low", "high", "n", "unit", "median_store", "stores"]


def brand_benchmark(engine: Engine, *, period: Period) -> pd.DataFrame:
    """The whole brand's KPI values as a benchmark for a manager who sees only some stores: per KPI
    metric its value, 95 % interval and n over every store, and the median of the stores' values
    (``stores``: how many stores have data). Aggregates only: no row names a store."""
    brand = metric_table(engine, scope=Scope(), period=period, by=())
    per_store = metric_table(engine, scope=Scope(), period=period, by=("store",))
    row = brand.iloc[0] if len(brand) else pd.Series(dtype=float)
    rows = []
    for key in keys_for(KPI):
        spec = METRICS[key]
        values = pd.to_numeric(per_store[key], errors="coerce").dropna() if key in per_store else pd.Series()
        rows.append({
            "metric": key, "label": spec.short_label, "value": _float(row.get(key, np.nan)),
            "low": _float(row.get(spec.low)) if spec.has_interval else np.nan,
            "high": _float(row.get(spec.high)) if spec.has_interval else np.nan,
            "n": _float(row.get(spec.n_column)) if spec.n_column else np.nan, "unit": spec.n_unit,
            "median_store": float(values.median()) if len(values) else np.nan, "stores": len(values),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=BENCHMARK_COLUMNS)
