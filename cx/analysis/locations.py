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
from sqlalchemy import Engine

from cx import stats
from cx.metrics.registry import COMPARABLE, METRICS, Metric, side_by_side_rows
from cx.periods import Period
from cx.store.queries import store_directory
from cx.store.scope import Scope
from cx.store.sums import sums

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
    return location_stats_of(
        metric, sums(engine, METRICS[metric].source, scope=scope, period=period, by=LOCATION_KEYS)
    )


def location_stats_of(metric: str, raw: pd.DataFrame) -> LocationStats:
    """:func:`location_stats` from the metric's summed rollup rows per ``LOCATION_KEYS``."""
    spec = METRICS[metric]
    estimator = spec.estimator
    raw = raw.loc[estimator.answers(raw) > 0].reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        interval = estimator.interval(raw)
        mean, var = estimator.per_answer(raw)
        frame = raw[list(LOCATION_KEYS)].reset_index(drop=True).assign(
            n=estimator.answers(raw), value=interval.estimate, low=interval.low, high=interval.high, mean=mean, var=var
        )  # fmt: skip
        total = raw.drop(columns=list(LOCATION_KEYS)).sum().to_frame().T
        target = float(np.ravel(estimator.interval(total).estimate)[0]) if len(raw) else np.nan
        return LocationStats(
            metric, frame, estimator.counts(raw), target, estimator.unit_variance(raw), spec.band
        )


def peer_scope(engine: Engine, *, store_id: str, by: str, scope: Scope | None = None) -> Scope:
    """The scope of a store's peers: the stores sharing its ``format`` or its ``region``."""
    if by not in ("format", "region"):
        raise ValueError(f"Peer groups are by 'format' or 'region', not {by!r}.")
    found = store_directory(engine, scope=Scope(store=store_id))
    value = found[by].iloc[0] if len(found) else None
    base = scope or Scope()
    return Scope(**{**vars(base), by: value})


def league_table(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None, seed: int = 0
) -> tuple[pd.DataFrame, dict]:
    """Stores ranked on ``metric`` with intervals, shrunk values, rank intervals and funnel verdicts.

    Returns the table and the funnel (target, over-dispersion phi, tau², limits in force).
    ``funnel_95``/``funnel_998`` compare each store with the brand at 95 % and 99.8 % (Spiegelhalter
    2005); ``verdict`` badges a store above or below only when its Benjamini-Hochberg q <= 0.05.
    """
    located = location_stats(engine, metric=metric, scope=scope, period=period)
    better = METRICS[metric].higher_is_better
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
        ranks = stats.rank_intervals(values, np.sqrt(sampling_var), higher_is_better=better, seed=seed)
    else:  # every answer alike (or one answer per store): nothing to shrink, ranks are ties
        frame["shrunk"] = values
        ranks = stats.rank_intervals(values, np.zeros_like(values), higher_is_better=better, seed=seed)
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
    funnel_facts = {"metric": metric, "target": located.target, "phi": funnel.phi, "tau2": funnel.tau2,
               "limits": funnel.limits, "stores": len(frame), "unit_variance": located.unit_variance}  # fmt: skip
    frame["n"] = frame["n"].round().astype("int64")
    return frame.sort_values(["rank", "store"]).reset_index(drop=True), funnel_facts


def funnel_curve(funnel: dict, unit_variance: float, n_max: float, points: int = 80) -> pd.DataFrame:
    """Control limits as smooth curves over n, for drawing the funnel."""
    n = np.unique(np.geomspace(1, max(n_max, 2), points).round())
    rows = {"n": n}
    for level, name in ((0.95, "95"), (0.998, "998")):
        limits = stats.funnel_limits(funnel["target"], unit_variance, n, level, tau2=funnel["tau2"])
        rows[f"low_{name}"], rows[f"high_{name}"] = limits.low, limits.high
    return pd.DataFrame(rows)


def league_order(table: pd.DataFrame, *, worst_first: bool) -> pd.DataFrame:
    """The league table from the worst rank to the best (``worst_first``) or the other way round;
    ties in store order."""
    ordered = table.sort_values(["rank", "store"], ascending=[not worst_first, True])
    return ordered.reset_index(drop=True)


def side_by_side(metrics: pd.DataFrame, stores: list[str]) -> pd.DataFrame:
    """The stores side by side as text, one row per :func:`side_by_side_rows` entry (index: its label)
    and one column per store: each metric in its own format with its 95 % interval (``36.4 (30.1 to
    42.0)``), counts as whole numbers (``1,204``), ``no data`` where a store has none."""
    rows = metrics.set_index("store").reindex(stores)
    cells = {
        name: [_cell(column, record) for _, record in rows.iterrows()]
        for column, name in side_by_side_rows().items()
    }
    return pd.DataFrame(cells, index=stores).T.rename_axis("metric")


def _cell(column: str, record: pd.Series) -> str:
    value = record.get(column)
    if value is None or pd.isna(value):
        return "no data"
    spec = METRICS.get(column.removesuffix("_shrunk"))
    if spec is None:  # a count column
        return f"{int(value):,}"
    text = spec.format_level(float(value))
    low, high = record.get(spec.low), record.get(spec.high)
    if column == spec.key and spec.has_interval and pd.notna(low) and pd.notna(high):
        text += f" ({_number(spec, low)} to {_number(spec, high)})"
    return text


def _number(spec: Metric, value: float) -> str:
    return f"{value:.{spec.decimals}f}"


def touchpoint_side_by_side(touch: pd.DataFrame, stores: list[str], *, metric: str = "nps") -> pd.DataFrame:
    """``metric`` per touchpoint (rows) and store (columns) as text with its n: ``+36.4 (n = 45)``;
    empty where a store has no answer for a touchpoint."""
    spec = METRICS[metric]
    touch = touch.loc[touch["store"].isin(stores) & touch["touchpoint"].notna()]
    text = touch.assign(
        cell=[
            f"{value:{spec.d3_format}} (n = {int(n):,})" if pd.notna(value) else ""
            for value, n in zip(touch[metric], touch[spec.n_column].fillna(0), strict=True)
        ]
    )
    table = text.pivot_table(index="touchpoint", columns="store", values="cell", aggfunc="first")
    return table.reindex(columns=[s for s in stores if s in table.columns]).fillna("")
