"""CX and sales metrics for any scope, grouping and period, each with its n and uncertainty.

Everything is computed from the sufficient statistics in :mod:`cx.store.sums` (database GROUP BY over
rollups), then :mod:`cx.stats`. Percentages and NPS are on a 0-100 / -100..100 scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.periods import Period
from cx.store.scope import Scope
from cx.store.sums import NPS_COUNTS, sums

METRIC_COLUMNS = (
    "nps", "nps_low", "nps_high", "nps_n", "promoters_pct", "passives_pct", "detractors_pct",
    "csat_mean", "csat_top2", "csat_top2_low", "csat_top2_high", "csat_n", "ces_mean", "ces_n",
    "rating", "rating_shrunk", "reviews_n", "revenue", "transactions", "avg_ticket",
)  # fmt: skip


DETAIL_COLUMNS = (
    "csat_mean_low", "csat_mean_high", "ces_mean_low", "ces_mean_high", "ces_agree_pct", "ces_agree_low",
    "ces_agree_high", "rating_low", "rating_high", "low_rating_pct",
    "stars_1_pct", "stars_2_pct", "stars_3_pct", "stars_4_pct", "stars_5_pct",
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

    Columns: the group keys, ``METRIC_COLUMNS`` (the CLI contract) and ``DETAIL_COLUMNS`` (mean
    intervals, CES % agree with its Wilson interval, the share of 1-2 star reviews and the star mix).

    ``rating_shrunk`` pulls each group's mean rating toward the overall mean rating of the groups
    shown (empirical Bayes, tau² by DerSimonian-Laird); with a single group it equals the raw rating.
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
    for column in METRIC_COLUMNS + DETAIL_COLUMNS:
        if column not in table:
            table[column] = np.nan
    for column in COUNT_COLUMNS:
        table[column] = table[column].round().astype("Int64")
    return table[keys + list(METRIC_COLUMNS) + list(DETAIL_COLUMNS)]


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
    csat = stats.mean_interval(
        n, sums_["csat_sum"].to_numpy(dtype=float), sums_["csat_sq"].to_numpy(dtype=float)
    )
    ces_n = sums_["ces_n"].to_numpy(dtype=float)
    ces = stats.mean_interval(
        ces_n, sums_["ces_sum"].to_numpy(dtype=float), sums_["ces_sq"].to_numpy(dtype=float)
    )
    agree = stats.wilson_interval(sums_["ces_agree"].to_numpy(dtype=float), ces_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _with_keys(sums_, keys, {
            "csat_mean": csat.estimate, "csat_mean_low": csat.low, "csat_mean_high": csat.high,
            "csat_top2": 100 * top2.estimate, "csat_top2_low": 100 * top2.low, "csat_top2_high": 100 * top2.high,
            "csat_n": n, "ces_mean": np.where(ces_n > 0, ces.estimate, np.nan), "ces_mean_low": ces.low,
            "ces_mean_high": ces.high, "ces_n": ces_n, "ces_agree_pct": 100 * agree.estimate,
            "ces_agree_low": 100 * agree.low, "ces_agree_high": 100 * agree.high,
        })  # fmt: skip


def _review_metrics(sums_: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums_ = _nonempty(sums_, ("n",))
    n = sums_["n"].to_numpy(dtype=float)
    interval = stats.mean_interval(
        n, sums_["rating_sum"].to_numpy(dtype=float), sums_["rating_sq"].to_numpy(dtype=float)
    )
    mean = np.asarray(interval.estimate, dtype=float)
    shrunk = mean
    variance = pooled_variance(sums_)
    if len(sums_) > 1 and np.isfinite(variance) and variance > 0:
        brand = sums_["rating_sum"].to_numpy(dtype=float).sum() / n.sum()
        shrunk = stats.shrink(mean, variance / n, target=brand).values
    columns = {"rating": mean, "rating_low": interval.low, "rating_high": interval.high, "rating_shrunk": shrunk,
               "reviews_n": n, "low_rating_pct": 100 * sums_["low"].to_numpy(dtype=float) / n}  # fmt: skip
    for stars in range(1, 6):
        columns[f"stars_{stars}_pct"] = 100 * sums_[f"r{stars}"].to_numpy(dtype=float) / n
    return _with_keys(sums_, keys, columns)


def attribute_means(
    engine: Engine, *, scope: Scope, period: Period | None = None, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Mean rating per survey attribute (and group) with its t-interval and n."""
    raw = sums(engine, "attribute", scope=scope, period=period, by=(*by, "attribute"))
    raw = _nonempty(raw, ("n",))
    interval = stats.mean_interval(*(raw[c].to_numpy(dtype=float) for c in ("n", "rating_sum", "rating_sq")))
    return _with_keys(raw, [*by, "attribute"], {"mean": interval.estimate, "low": interval.low,
                                                 "high": interval.high, "n": raw["n"].to_numpy(dtype=float)})  # fmt: skip


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
