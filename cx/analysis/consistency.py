"""How alike the locations are on one metric.

Raw spread (SD, IQR, range, CV) mixes real differences with sampling noise; the true-score SD
(DerSimonian-Laird tau), ICC(1) and the consistency index describe the real differences only.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine

from cx import stats
from cx.analysis.locations import LocationStats, location_stats
from cx.periods import Period
from cx.store.scope import Scope

CONSISTENCY_KEYS = ("metric", "n_stores", "sd", "iqr", "range", "cv", "true_sd", "icc", "kruskal_p", "anova_p",
                    "within_band_pct", "band", "index")  # fmt: skip


def consistency(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None, band: float | None = None
) -> dict:
    """Consistency of ``metric`` across the stores in scope (see the methods page for every formula)."""
    return consistency_of(location_stats(engine, metric=metric, scope=scope, period=period), band=band)


def consistency_of(located: LocationStats, *, band: float | None = None) -> dict:
    band = located.band if band is None else band
    frame = located.frame
    values = frame["value"].to_numpy(dtype=float)
    result = dict.fromkeys(CONSISTENCY_KEYS, np.nan)
    result.update(metric=located.metric, n_stores=len(frame), band=band)
    if len(frame) == 0:
        return result
    n = frame["n"].to_numpy(dtype=float)
    spread_sd = float(np.std(values, ddof=1)) if len(values) > 1 else np.nan
    q1, q3 = np.percentile(values, [25, 75])
    mean = float(values.mean())
    usable = len(values) > 1 and np.isfinite(located.unit_variance) and located.unit_variance > 0
    meta = stats.dersimonian_laird(values, located.unit_variance / n) if usable else None
    true_sd = float(np.sqrt(meta.tau2)) if meta is not None and np.isfinite(meta.tau2) else np.nan
    result.update(
        sd=spread_sd,
        iqr=float(q3 - q1),
        range=float(values.max() - values.min()),
        cv=spread_sd / mean if located.metric != "nps" and mean > 0 else np.nan,
        true_sd=true_sd,
        icc=stats.icc1(n, frame["mean"], frame["var"]).icc,
        kruskal_p=stats.kruskal_from_counts(located.counts).p_value,
        anova_p=stats.anova_from_stats(n, frame["mean"], frame["var"]).p_value,
        within_band_pct=100 * float(np.mean(np.abs(values - located.target) <= band)),
        index=float(stats.consistency_index(true_sd, band)) if np.isfinite(true_sd) else np.nan,
    )
    return {key: _plain(value) for key, value in result.items()}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
