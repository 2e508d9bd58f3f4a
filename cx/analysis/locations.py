"""Per-location statistics of one metric, and the league table / funnel plot built on them.

Each metric is described the same way for every location: value, interval, n, the per-answer mean and
variance (for ICC and ANOVA), the answer counts per scale value (for Kruskal-Wallis), and the brand
target with its per-answer variance V0 (funnel limits, shrinkage and rank intervals use V0 / n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sqlalchemy import Engine, select

from cx import stats
from cx.metrics.tables import nps_components, pooled_variance
from cx.periods import Period
from cx.store.models import Region, Store
from cx.store.scope import Scope
from cx.store.sums import NPS_COUNTS, sums

COMPARABLE = ("nps", "csat_top2", "csat_mean", "rating")
LOCATION_KEYS = ("store", "region", "format")


@dataclass(frozen=True)
class LocationStats:
    """One metric per location, ready for comparison and consistency statistics."""

    metric: str
    frame: pd.DataFrame  # store, region, format, n, value, low, high, mean, var
    counts: np.ndarray  # locations x scale values
    target: float  # brand value over the scope
    unit_variance: float  # V0: variance of one answer, in the metric's units squared
    band: float  # default tolerance around the brand for "within band"


def location_stats(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None
) -> LocationStats:
    """The metric for every store in scope with data (stores without answers are left out)."""
    if metric not in COMPARABLE:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(COMPARABLE)}.")
    family = {"nps": "nps", "rating": "review"}.get(metric, "survey")
    raw = sums(engine, family, scope=scope, period=period, by=LOCATION_KEYS)
    builder = {"nps": _nps, "csat_top2": _top2, "csat_mean": _mean_of("csat"), "rating": _mean_of("rating")}[
        metric
    ]
    raw = raw.loc[_answers(raw, family) > 0].reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return builder(raw)


def _answers(raw: pd.DataFrame, family: str) -> pd.Series:
    if family == "nps":
        return raw[list(NPS_COUNTS)].sum(axis=1)
    return raw["n"].astype(float)


def _base(raw: pd.DataFrame) -> pd.DataFrame:
    return raw[list(LOCATION_KEYS)].reset_index(drop=True)


def _nps(raw: pd.DataFrame) -> LocationStats:
    promoters, passives, detractors = nps_components(raw)
    n = promoters + passives + detractors
    interval = stats.nps_interval(promoters, passives, detractors)
    p, d = promoters / n, detractors / n
    per_answer_var = (p + d - (p - d) ** 2) * n / np.maximum(n - 1, 1)  # scores coded +1/0/-1
    frame = _base(raw).assign(n=n, value=interval.estimate, low=interval.low, high=interval.high,
                              mean=p - d, var=per_answer_var)  # fmt: skip
    tp, td, tn = promoters.sum(), detractors.sum(), n.sum()
    brand_p, brand_d = tp / tn, td / tn
    v0 = 100**2 * (brand_p + brand_d - (brand_p - brand_d) ** 2)
    return LocationStats(
        "nps", frame, raw[list(NPS_COUNTS)].to_numpy(dtype=float), 100 * (brand_p - brand_d), v0, 5.0
    )


def _top2(raw: pd.DataFrame) -> LocationStats:
    n = raw["n"].to_numpy(dtype=float)
    k = raw["top2"].to_numpy(dtype=float)
    interval = stats.wilson_interval(k, n)
    p = k / n
    frame = _base(raw).assign(n=n, value=100 * p, low=100 * interval.low, high=100 * interval.high,
                              mean=p, var=p * (1 - p) * n / np.maximum(n - 1, 1))  # fmt: skip
    brand = k.sum() / n.sum()
    counts = np.column_stack([n - k, k])
    return LocationStats("csat_top2", frame, counts, 100 * brand, 100**2 * brand * (1 - brand), 5.0)


def _mean_of(measure: str):
    total, total_sq = ("csat_sum", "csat_sq") if measure == "csat" else ("rating_sum", "rating_sq")
    buckets = [f"c{i}" for i in range(1, 6)] if measure == "csat" else [f"r{i}" for i in range(1, 6)]

    def build(raw: pd.DataFrame) -> LocationStats:
        n = raw["n"].to_numpy(dtype=float)
        interval = stats.mean_interval(
            n, raw[total].to_numpy(dtype=float), raw[total_sq].to_numpy(dtype=float)
        )
        moments = stats.group_moments(
            n, raw[total].to_numpy(dtype=float), raw[total_sq].to_numpy(dtype=float)
        )
        frame = _base(raw).assign(n=n, value=interval.estimate, low=interval.low, high=interval.high,
                                  mean=moments.mean, var=moments.var)  # fmt: skip
        v0 = pooled_variance(raw, total=total, total_sq=total_sq)
        target = raw[total].to_numpy(dtype=float).sum() / n.sum()
        metric = "csat_mean" if measure == "csat" else "rating"
        band = 0.1 if measure == "csat" else 0.2
        return LocationStats(metric, frame, raw[buckets].to_numpy(dtype=float), target, v0, band)

    return build


def peer_scope(engine: Engine, *, store_id: str, by: str, scope: Scope | None = None) -> Scope:
    """The scope of a store's peers: the stores sharing its ``format`` or its ``region``."""
    if by not in ("format", "region"):
        raise ValueError(f"Peer groups are by 'format' or 'region', not {by!r}.")
    column = Store.format if by == "format" else Region.name
    with engine.connect() as connection:
        value = connection.execute(
            select(column)
            .select_from(Store)
            .join(Region, Region.id == Store.region_id)
            .where(Store.store_id == store_id)
        ).scalar()
    base = scope or Scope()
    return Scope(**{**vars(base), by: value})


def league_table(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None, seed: int = 0
) -> tuple[pd.DataFrame, dict]:
    """Stores ranked on ``metric`` with intervals, shrunk values, rank intervals and funnel verdicts.

    Returns the table and the funnel summary (target, over-dispersion phi, tau², limits in force).
    ``funnel_95``/``funnel_998`` compare each store with the brand at 95 % and 99.8 % (Spiegelhalter
    2005); ``verdict`` badges a store above or below only when its Benjamini-Hochberg q <= 0.05.
    """
    located = location_stats(engine, metric=metric, scope=scope, period=period)
    frame = located.frame.copy()
    if frame.empty:
        return frame.assign(shrunk=[], rank=[], rank_low=[], rank_high=[], funnel_95=[], funnel_998=[]), {
            "metric": metric, "target": np.nan, "phi": np.nan, "tau2": np.nan, "limits": "", "stores": 0,
        }  # fmt: skip
    n = frame["n"].to_numpy()
    values = frame["value"].to_numpy()
    if np.isfinite(located.unit_variance) and located.unit_variance > 0:
        sampling_var = located.unit_variance / n
        frame["shrunk"] = stats.shrink(values, sampling_var, target=located.target).values
        ranks = stats.rank_intervals(values, np.sqrt(sampling_var), seed=seed)
    else:  # every answer alike (or one answer per store): nothing to shrink, ranks are ties
        frame["shrunk"] = values
        ranks = stats.rank_intervals(values, np.zeros_like(values), seed=seed)
    frame["rank"], frame["rank_low"], frame["rank_high"] = ranks.rank, ranks.low, ranks.high
    funnel = stats.funnel_assessment(values, n, located.target, located.unit_variance)
    # no spread to judge against (e.g. every answer alike): not distinguishable from the brand
    frame["funnel_95"] = np.where(funnel.verdict95 == "no data", "within", funnel.verdict95)
    frame["funnel_998"] = np.where(funnel.verdict998 == "no data", "within", funnel.verdict998)
    frame["limit_low_95"], frame["limit_high_95"] = funnel.low95, funnel.high95
    frame["limit_low_998"], frame["limit_high_998"] = funnel.low998, funnel.high998
    # many stores are judged at once: the badge uses Benjamini-Hochberg over the funnel z-scores
    p_values = 2 * scipy_stats.norm.sf(np.abs(np.asarray(funnel.z_adjusted, dtype=float)))
    frame["q_value"] = stats.fdr(p_values).adjusted
    frame["verdict"] = np.where(
        frame["q_value"] <= 0.05, np.where(values > located.target, "above", "below"), "within"
    )
    summary = {"metric": metric, "target": located.target, "phi": funnel.phi, "tau2": funnel.tau2,
               "limits": funnel.limits, "stores": len(frame), "unit_variance": located.unit_variance}  # fmt: skip
    frame["n"] = frame["n"].round().astype("int64")
    return frame.sort_values(["rank", "store"]).reset_index(drop=True), summary


def funnel_curve(summary: dict, unit_variance: float, n_max: float, points: int = 80) -> pd.DataFrame:
    """Control limits as smooth curves over n, for drawing the funnel."""
    n = np.unique(np.geomspace(1, max(n_max, 2), points).round())
    rows = {"n": n}
    for level, name in ((0.95, "95"), (0.998, "998")):
        limits = stats.funnel_limits(summary["target"], unit_variance, n, level, tau2=summary["tau2"])
        rows[f"low_{name}"], rows[f"high_{name}"] = limits.low, limits.high
    return pd.DataFrame(rows)
