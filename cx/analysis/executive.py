"""What the executive summary shows: KPI tiles with significance, trends with bands, movers, the map."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.metrics.changes import metric_changes
from cx.metrics.tables import metric_table, nps_components
from cx.periods import Period
from cx.store.queries import store_directory
from cx.store.scope import Scope
from cx.store.sums import sums

KPIS = (
    ("nps", "NPS", "nps", "nps_low", "nps_high", "nps_n", "{:+.1f}", "answers"),
    (
        "csat_top2",
        "CSAT top-2-box",
        "csat_top2",
        "csat_top2_low",
        "csat_top2_high",
        "csat_n",
        "{:.1f} %",
        "answers",
    ),
    ("rating", "Review rating", "rating", "rating_low", "rating_high", "reviews_n", "{:.2f} ★", "reviews"),
    ("revenue", "Revenue", "revenue", None, None, None, "{:,.0f}", "days"),
)


def kpi_tiles(engine: Engine, *, scope: Scope, period: Period, compare: str) -> list[dict]:
    """One tile per headline metric: value, interval, n, change vs the comparison period and whether
    that change is statistically significant (p < 0.05; sales: shown without a test)."""
    now = metric_table(engine, scope=scope, period=period, by=())
    row = now.iloc[0] if len(now) else pd.Series(dtype=float)
    tiles = []
    for key, label, value, low, high, n, fmt, unit in KPIS:
        change = metric_changes(engine, metric=key, scope=scope, period=period, compare=compare)
        delta = change.iloc[0] if len(change) else None
        current = row.get(value, np.nan)
        tiles.append({
            "metric": key, "label": label, "value": _float(current), "low": _float(row.get(low)) if low else np.nan,
            "high": _float(row.get(high)) if high else np.nan, "n": _float(row.get(n)) if n else np.nan,
            "unit": unit, "format": fmt,
            "delta": _float(delta["delta"]) if delta is not None else np.nan,
            "delta_pct": _float(delta.get("delta_pct", np.nan)) if delta is not None else np.nan,
            "p_value": _float(delta["p_value"]) if delta is not None else np.nan,
            "significant": bool(delta is not None and _float(delta["p_value"]) < 0.05),
            "before": _float(delta["before"]) if delta is not None else np.nan,
        })  # fmt: skip
    return tiles


def metric_trend(
    engine: Engine, *, metric: str, scope: Scope, period: Period, grain: str = "month"
) -> pd.DataFrame:
    """``bucket, value, low, high, n`` per month (or week) of the period, with the metric's 95 % interval."""
    if metric == "nps":
        raw = sums(engine, "nps", scope=scope, period=period, grain=grain)
        if raw.empty:
            return pd.DataFrame(columns=["bucket", "value", "low", "high", "n"])
        interval = stats.nps_interval(*nps_components(raw))
    elif metric in ("csat_top2", "csat_mean"):
        raw = sums(engine, "survey", scope=scope, period=period, grain=grain)
        if raw.empty:
            return pd.DataFrame(columns=["bucket", "value", "low", "high", "n"])
        n = raw["n"].to_numpy(dtype=float)
        if metric == "csat_top2":
            share = stats.wilson_interval(raw["top2"].to_numpy(dtype=float), n)
            interval = stats.Interval(
                100 * share.estimate, 100 * share.low, 100 * share.high, n, share.se, share.reason
            )
        else:
            interval = stats.mean_interval(
                n, raw["csat_sum"].to_numpy(dtype=float), raw["csat_sq"].to_numpy(dtype=float)
            )
    elif metric == "rating":
        raw = sums(engine, "review", scope=scope, period=period, grain=grain)
        if raw.empty:
            return pd.DataFrame(columns=["bucket", "value", "low", "high", "n"])
        interval = stats.mean_interval(
            *(raw[c].to_numpy(dtype=float) for c in ("n", "rating_sum", "rating_sq"))
        )
    else:
        raise ValueError(f"No trend for metric {metric!r}.")
    frame = pd.DataFrame({"bucket": raw["bucket"], "value": interval.estimate, "low": interval.low,
                          "high": interval.high, "n": interval.n})  # fmt: skip
    return frame.sort_values("bucket").reset_index(drop=True)


def trend_window(period: Period) -> Period:
    """The period itself when it spans more than six months, else the 12 months up to its end."""
    if period.days > 180:
        return period
    start = period.end.replace(day=1)
    return Period(start.replace(year=start.year - 1), period.end)


def movers(
    engine: Engine, *, metric: str, scope: Scope, period: Period, compare: str, top: int = 5
) -> pd.DataFrame:
    """Stores whose change is significant after Benjamini-Hochberg across all stores, biggest first."""
    changes = metric_changes(
        engine, metric=metric, scope=scope, period=period, compare=compare, by=("store",)
    )
    moved = changes.loc[changes["significant"]].copy()
    moved["direction"] = np.where(moved["delta"] > 0, "up", "down")
    moved = moved.reindex(moved["delta"].abs().sort_values(ascending=False).index).head(2 * top)
    names = store_directory(engine).set_index("store_id")["name"]
    moved.insert(1, "name", moved["store"].map(names))
    return moved.reset_index(drop=True)


def store_map(engine: Engine, *, scope: Scope, period: Period, metric: str = "nps") -> pd.DataFrame:
    """Stores with coordinates and their score for the period (stores without answers keep NaN)."""
    directory = store_directory(engine).dropna(subset=["latitude", "longitude"])
    table = metric_table(engine, scope=scope, period=period, by=("store",))
    value, n = {
        "nps": ("nps", "nps_n"),
        "csat_top2": ("csat_top2", "csat_n"),
        "rating": ("rating", "reviews_n"),
    }[metric]
    scores = table.set_index("store")[[value, n]].rename(columns={value: "value", n: "n"})
    points = directory.join(scores, on="store_id", how="inner" if _narrowed(scope) else "left")
    return points.reset_index(drop=True)


def _narrowed(scope: Scope) -> bool:
    return any(v is not None for k, v in vars(scope).items() if k != "visible_stores")


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan
