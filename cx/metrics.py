"""CX and sales metrics for any scope, grouping and period, each with its n and uncertainty.

Everything is computed from the sufficient statistics in :mod:`cx.aggregates` (database GROUP BY over
rollups), then :mod:`cx.stats`. Percentages and NPS are on a 0-100 / -100..100 scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.aggregates import NPS_COUNTS, sums
from cx.periods import Period
from cx.scope import Scope

METRIC_COLUMNS = (
    "nps", "nps_low", "nps_high", "nps_n", "promoters_pct", "passives_pct", "detractors_pct",
    "csat_mean", "csat_top2", "csat_top2_low", "csat_top2_high", "csat_n", "ces_mean", "ces_n",
    "rating", "rating_shrunk", "reviews_n", "revenue", "transactions", "avg_ticket",
)  # fmt: skip


COUNT_COLUMNS = ("nps_n", "csat_n", "ces_n", "reviews_n")


def nps_components(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Promoters (9-10), passives (7-8) and detractors (0-6) from the per-score counts."""
    values = counts[list(NPS_COUNTS)].to_numpy(dtype=float)
    return values[:, 9:].sum(axis=1), values[:, 7:9].sum(axis=1), values[:, :7].sum(axis=1)


def metric_table(
    engine: Engine, *, scope: Scope, period: Period | None = None, by: tuple[str, ...] = ("brand",)
) -> pd.DataFrame:
    """One row per group with every headline metric, its n and interval (null where a source has no data).

    ``rating_shrunk`` pulls each group's mean rating toward the mean over all groups shown
    (empirical Bayes); with a single group it equals the raw rating.
    """
    nps = sums(engine, "nps", scope=scope, period=period, by=by)
    survey = sums(engine, "survey", scope=scope, period=period, by=by)
    review = sums(engine, "review", scope=scope, period=period, by=by)
    sales = sums(engine, "sales", scope=scope, period=period, by=by)
    keys = list(by)
    frames = [_nps_metrics(nps, keys), _survey_metrics(survey, keys), _review_metrics(review, keys),
              _sales_metrics(sales, keys)]  # fmt: skip
    table = frames[0]
    for frame in frames[1:]:
        table = table.merge(frame, on=keys, how="outer") if keys else pd.concat([table, frame], axis=1)
    if keys:
        table = table.sort_values(keys, na_position="last").reset_index(drop=True)
    for column in METRIC_COLUMNS:
        if column not in table:
            table[column] = np.nan
    for column in COUNT_COLUMNS:
        table[column] = table[column].round().astype("Int64")
    return table[keys + list(METRIC_COLUMNS)]


def _nps_metrics(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    counts = _nonempty(counts, NPS_COUNTS)
    promoters, passives, detractors = nps_components(counts)
    n = promoters + passives + detractors
    interval = stats.nps_interval(promoters, passives, detractors)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _with_keys(counts, keys, {
            "nps": interval.estimate, "nps_low": interval.low, "nps_high": interval.high, "nps_n": n,
            "promoters_pct": 100 * promoters / n, "passives_pct": 100 * passives / n,
            "detractors_pct": 100 * detractors / n,
        })  # fmt: skip


def _survey_metrics(sums_: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums_ = _nonempty(sums_, ("n",))
    n = sums_["n"].to_numpy(dtype=float)
    top2 = stats.wilson_interval(sums_["top2"].to_numpy(dtype=float), n)
    ces_n = sums_["ces_n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _with_keys(sums_, keys, {
            "csat_mean": sums_["csat_sum"].to_numpy(dtype=float) / n,
            "csat_top2": 100 * top2.estimate, "csat_top2_low": 100 * top2.low, "csat_top2_high": 100 * top2.high,
            "csat_n": n, "ces_mean": np.where(ces_n > 0, sums_["ces_sum"].to_numpy(dtype=float) / ces_n, np.nan),
            "ces_n": ces_n,
        })  # fmt: skip


def _review_metrics(sums_: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums_ = _nonempty(sums_, ("n",))
    n = sums_["n"].to_numpy(dtype=float)
    mean = sums_["rating_sum"].to_numpy(dtype=float) / np.where(n > 0, n, np.nan)
    shrunk = mean
    if len(sums_) > 1:
        shrunk = stats.shrink(mean, pooled_variance(sums_) / n).values
    return _with_keys(sums_, keys, {"rating": mean, "rating_shrunk": shrunk, "reviews_n": n})


def _sales_metrics(sums_: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums_ = _nonempty(sums_, ("days",))
    paired = sums_["transactions_paired"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ticket = np.where(paired > 0, sums_["revenue_paired"].to_numpy(dtype=float) / paired, np.nan)
    return _with_keys(sums_, keys, {
        "revenue": sums_["revenue"].to_numpy(dtype=float), "transactions": sums_["transactions"].to_numpy(dtype=float),
        "avg_ticket": ticket,
    })  # fmt: skip


def pooled_variance(
    sums_: pd.DataFrame, n: str = "n", total: str = "rating_sum", total_sq: str = "rating_sq"
) -> float:
    """Pooled within-group variance sum((x - mean_g)^2) / (N - G) from per-group sums."""
    count = sums_[n].to_numpy(dtype=float)
    total_ = sums_[total].to_numpy(dtype=float)
    within = sums_[total_sq].to_numpy(dtype=float) - np.divide(
        total_**2, count, where=count > 0, out=np.zeros_like(count)
    )
    dof = count.sum() - (count > 0).sum()
    return float(within.sum() / dof) if dof > 0 else np.nan


def _nonempty(frame: pd.DataFrame, counts: tuple[str, ...]) -> pd.DataFrame:
    present = (
        frame[list(counts)].apply(pd.to_numeric).sum(axis=1) > 0 if len(frame) else pd.Series(dtype=bool)
    )
    return frame.loc[present].reset_index(drop=True)


def _with_keys(source: pd.DataFrame, keys: list[str], columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame({key: source[key].to_numpy() for key in keys})
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float) if len(source) else np.array([], dtype=float)
    if not keys and frame.empty:
        frame = pd.DataFrame({name: [np.nan] for name in columns})
    return frame
