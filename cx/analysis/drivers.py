"""Key-driver analysis: which attributes move CSAT and which touchpoints move NPS.

* ``target="csat"``: respondent-level Johnson relative weights of the attribute ratings on CSAT, from
  the pairwise-complete moments in the ``driver_moments`` rollup (no raw rows read).
* ``target="nps"``: relative weights of each touchpoint's CSAT mean on NPS across store-months
  (units with at least ``MIN_UNIT_ANSWERS`` NPS answers and a CSAT mean for every touchpoint).

Intervals: percentile bootstrap over stores (clusters), or over store-months when the scope holds
fewer than ``MIN_CLUSTERS`` stores. Weights are shares of variance explained (they sum to R²).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.metrics.estimators import nps_components
from cx.periods import Period
from cx.store.queries import MOMENTS, driver_moments
from cx.store.scope import Scope
from cx.store.sums import sums

DRIVER_KEYS = ("driver", "weight", "weight_low", "weight_high", "share_pct", "performance")
MIN_CLUSTERS = 10
MIN_UNIT_ANSWERS = 10


def key_drivers(
    engine: Engine,
    *,
    target: str,
    scope: Scope,
    period: Period | None = None,
    draws: int = 200,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Drivers ranked by weight, with bootstrap intervals, share of R², performance and quadrant."""
    if target == "csat":
        return _attribute_drivers(engine, scope, period, draws, seed)
    if target == "nps":
        return _touchpoint_drivers(engine, scope, period, draws, seed)
    raise ValueError(f"Unknown target {target!r}: use 'csat' or 'nps'.")


# --- CSAT from attributes ---------------------------------------------------------------------


def _attribute_drivers(engine, scope: Scope, period: Period | None, draws: int, seed: int):
    if scope.needs_touchpoints:
        return _empty("attribute ratings are not split by touchpoint; choose the whole scope")
    moments = driver_moments(engine, scope=scope, period=period, by_month=False)
    if moments["store_id"].nunique() < MIN_CLUSTERS if len(moments) else False:
        moments = driver_moments(engine, scope=scope, period=period, by_month=True)
    if moments.empty:
        return _empty("no survey attribute ratings in scope")
    variables = ["csat"] + sorted(v for v in set(moments["var_a"]) | set(moments["var_b"]) if v != "csat")
    if len(variables) < 2:
        return _empty("no survey attribute ratings in scope")
    clusters, cube = _moment_cube(moments, variables)
    correlation = _pairwise_correlation(cube.sum(axis=0))
    weights = stats.relative_weights(correlation, 0)
    boot = _bootstrap(lambda c: stats.relative_weights(_pairwise_correlation(c), 0).raw, cube, draws, seed)
    diagonal = cube.sum(axis=0)
    performance = [diagonal[i, i, 1] / diagonal[i, i, 0] for i in range(1, len(variables))]
    names = [v.removeprefix("attr:") for v in variables[1:]]
    n = int(diagonal[0, 0, 0])
    return _table(names, weights, boot, performance), _summary("csat", weights, n, clusters, "respondents")


def _moment_cube(moments: pd.DataFrame, variables: list[str]) -> tuple[int, np.ndarray]:
    """clusters x variables x variables x 6 moments (symmetric, the b-moments mirrored)."""
    keys = [c for c in ("store_id", "month") if c in moments]
    s, clusters = pd.MultiIndex.from_frame(moments[keys]).factorize()
    index = {v: i for i, v in enumerate(variables)}
    cube = np.zeros((len(clusters), len(variables), len(variables), 6))
    a, b = moments["var_a"].map(index).to_numpy(), moments["var_b"].map(index).to_numpy()
    values = moments[list(MOMENTS)].to_numpy(dtype=float)
    cube[s, a, b] = values
    cube[s, b, a] = values[:, [0, 2, 1, 3, 5, 4]]
    return len(clusters), cube


def _pairwise_correlation(moments: np.ndarray) -> np.ndarray:
    """r_ab = (n Σab - Σa Σb) / sqrt((n Σaa - Σa²)(n Σbb - Σb²)) for every pair (pairwise complete)."""
    n, sa, sb, sab, saa, sbb = (moments[..., i] for i in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (n * sab - sa * sb) / np.sqrt((n * saa - sa**2) * (n * sbb - sb**2))
    np.fill_diagonal(r, 1.0)
    return nearest_correlation(r)


def nearest_correlation(r: np.ndarray) -> np.ndarray:
    """Pairwise-complete correlations can be slightly indefinite: clip negative eigenvalues to zero and
    rescale to a unit diagonal (one step of Higham 2002, IMA J Numer Anal 22:329). Complete matrices
    pass through unchanged; matrices with missing entries are returned as they are."""
    if not np.isfinite(r).all():
        return r
    values, vectors = np.linalg.eigh(r)
    if values.min() >= -1e-10:
        return r
    fixed = vectors @ np.diag(np.clip(values, 0, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


# --- NPS from touchpoints ---------------------------------------------------------------------


def _touchpoint_drivers(engine, scope: Scope, period: Period | None, draws: int, seed: int):
    nps = sums(engine, "nps", scope=scope, period=period, by=("store",), grain="month")
    survey = sums(engine, "surveys", scope=scope, period=period, by=("store", "touchpoint"), grain="month",
                  measures=("n", "csat_sum"))  # fmt: skip
    if nps.empty or survey.empty:
        return _empty("NPS and surveys are both needed")
    promoters, passives, detractors = nps_components(nps)
    answers = promoters + passives + detractors
    units = nps.assign(nps=100 * (promoters - detractors) / answers).loc[answers >= MIN_UNIT_ANSWERS]
    survey = survey.dropna(subset=["touchpoint"])
    survey = survey.assign(csat=survey["csat_sum"].astype(float) / survey["n"].astype(float))
    wide = survey.pivot_table(index=["store", "bucket"], columns="touchpoint", values="csat")
    data = units.set_index(["store", "bucket"])[["nps"]].join(wide, how="inner").dropna()
    names = list(wide.columns)
    if len(data) < len(names) + 3:
        return _empty(f"only {len(data)} store-months with NPS and touchpoint CSAT; need {len(names) + 3}")
    stores = data.index.get_level_values("store")
    clusters = stores if stores.nunique() >= MIN_CLUSTERS else np.arange(len(data))
    n, totals, cross = _cluster_moments(data[["nps", *names]].to_numpy(dtype=float), clusters)
    weights = stats.relative_weights(stats.correlation_from_moments(n.sum(), totals.sum(0), cross.sum(0)), 0)
    rng = np.random.default_rng(seed)
    boot = []
    for counts in rng.multinomial(len(n), np.full(len(n), 1 / len(n)), size=draws):
        moments = (counts @ n, counts @ totals, np.tensordot(counts, cross, axes=1))
        boot.append(stats.relative_weights(stats.correlation_from_moments(*moments), 0).raw)
    overall = survey.groupby("touchpoint")[["csat_sum", "n"]].sum()
    performance = (overall["csat_sum"].astype(float) / overall["n"].astype(float)).reindex(names).to_numpy()
    summary = _summary("nps", weights, len(data), len(n), "store-months")
    return _table(names, weights, np.array(boot), performance), summary


# --- shared -----------------------------------------------------------------------------------


def _bootstrap(weights_of, cube: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Percentile bootstrap over clusters (the first axis of ``cube``)."""
    rng = np.random.default_rng(seed)
    clusters = cube.shape[0]
    counts = rng.multinomial(clusters, np.full(clusters, 1 / clusters), size=draws)
    return np.array([weights_of(np.tensordot(c, cube, axes=1)) for c in counts])


def _cluster_moments(matrix: np.ndarray, clusters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster: rows n, column sums and the cross-product matrix X'X (the bootstrap's units)."""
    codes, _ = pd.factorize(np.asarray(clusters))
    k = codes.max() + 1
    n = np.bincount(codes, minlength=k).astype(float)
    totals = np.zeros((k, matrix.shape[1]))
    np.add.at(totals, codes, matrix)
    cross = np.zeros((k, matrix.shape[1], matrix.shape[1]))
    np.add.at(cross, codes, matrix[:, :, None] * matrix[:, None, :])
    return n, totals, cross


def _table(names, weights: stats.RelativeWeights, boot: np.ndarray, performance) -> pd.DataFrame:
    with np.errstate(invalid="ignore"):
        low, high = np.nanpercentile(boot, [2.5, 97.5], axis=0) if len(boot) else (np.nan, np.nan)
    frame = pd.DataFrame({
        "driver": names, "weight": weights.raw, "weight_low": low, "weight_high": high,
        "share_pct": weights.share_pct, "performance": np.asarray(performance, dtype=float),
    })  # fmt: skip
    frame["quadrant"] = importance_performance_quadrants(
        frame["weight"], frame["performance"], frame["weight_low"], frame["weight_high"]
    )
    return frame.sort_values("weight", ascending=False, na_position="last").reset_index(drop=True)


QUADRANTS = {  # the quadrant of each driver, and what it means in the chart's legend
    "Fix first": "Fix first: clearly important, rated low",
    "Keep strong": "Keep strong: clearly important, rated high",
    "Watch": "Watch: rated low, not clearly important",
    "Lower priority": "Lower priority: rated high, not clearly important",
}


def clearly_important(low: pd.Series, high: pd.Series) -> pd.Series:
    """Whether each driver's importance stands clearly above the others': its whole 95 % interval
    lies above the median of the other drivers' upper bounds, ``low_j > median_{i != j} high_i``.

    Two 95 % intervals that do not overlap mark a difference at well below the 5 % level, so the rule
    is conservative (Schenker & Gentleman 2001, The American Statistician 55(3):182, "On judging the
    significance of differences by examining the overlap between confidence intervals"). The
    intervals are the cluster-bootstrap percentile intervals of METHODS.md ("Touchpoint drivers").
    When every interval overlaps every other, no driver qualifies; a driver without an interval, or
    alone, never does.
    """
    lows, highs = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    flags = []
    for j, bottom in enumerate(lows):
        others = np.delete(highs, j)
        others = others[np.isfinite(others)]
        flags.append(bool(len(others)) and bool(np.isfinite(bottom)) and bottom > np.median(others))
    return pd.Series(flags, index=getattr(low, "index", None), dtype=bool)


def importance_performance_quadrants(
    weight: pd.Series, performance: pd.Series, low: pd.Series, high: pd.Series
) -> pd.Series:
    """The :data:`QUADRANTS`: importance by :func:`clearly_important` (bootstrap interval ``low`` ..
    ``high``), performance below or above the mean over the drivers (Martilla & James 1977,
    importance-performance analysis); blank where the weight is."""
    important = clearly_important(low, high).to_numpy()
    good = (performance >= performance.mean()).to_numpy()
    names = list(QUADRANTS)
    labels = np.select([important & ~good, important & good, ~important & ~good], names[:3], names[3])
    return pd.Series(labels, index=weight.index).where(weight.notna(), "")


def _summary(target, weights: stats.RelativeWeights, n: int, clusters: int, unit: str) -> dict:
    return {"target": target, "r_squared": weights.r_squared, "n": n, "unit": unit, "clusters": clusters,
            "reason": weights.reason}  # fmt: skip


def _empty(reason: str):
    return pd.DataFrame(columns=[*DRIVER_KEYS, "quadrant"]), {"reason": reason, "r_squared": np.nan, "n": 0}
