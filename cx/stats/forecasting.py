"""Forecasting a goal: a weighted trend through monthly values and the chance the period ends on target."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as scipy_stats

Z95 = float(scipy_stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Trend:
    """Weighted least-squares line through monthly values: slope per month, its SE, and the weighted
    centre (``centre`` month, ``level`` value) that the line passes through."""

    slope: float
    se: float
    centre: float
    level: float
    k: int
    reason: str


@dataclass(frozen=True)
class Forecast:
    """Projected end-of-period value, its SE and 95 % interval, and P(final >= target)."""

    projected: float
    se: float
    low: float
    high: float
    probability: float
    reason: str


def weighted_trend(t: ArrayLike, y: ArrayLike, w: ArrayLike, *, unit_variance: float = 0.0) -> Trend:
    """Weighted least-squares slope of monthly values ``y`` on month numbers ``t``, with weights ``w``.

    With weighted means t̄, ȳ (weights w_i, e.g. the responses in month i)::

        b = sum w (t - t̄)(y - ȳ) / S,   S = sum w (t - t̄)^2
        sigma^2 = max(sum w (y - ȳ - b (t - t̄))^2 / (k - 2), unit_variance)
        se(b) = sqrt(sigma^2 / S)

    ``unit_variance`` is the sampling variance of one response (so Var(y_i) = unit_variance / w_i);
    it floors the residual variance so that three months lying by chance on a line do not make the
    trend look certain. Fewer than 3 months give ``nan`` with a reason.

    References
    ----------
    Draper, N. R. & Smith, H. (1998). Applied Regression Analysis, 3rd ed., Wiley, ch. 9
    (generalised and weighted least squares).

    Examples
    --------
    >>> r = weighted_trend([0, 1, 2], [30.0, 32.0, 37.0], [100, 100, 100])
    >>> r.slope, round(r.se, 4), r.level
    (3.5, 0.866, 33.0)
    """
    t, y, w = (np.asarray(v, dtype=float) for v in (t, y, w))
    if not t.shape == y.shape == w.shape or t.ndim != 1:
        raise ValueError(f"t, y and w must be 1-D of equal length, got {t.shape}, {y.shape} and {w.shape}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and not negative (use the responses or days per month)")
    used = (w > 0) & np.isfinite(y) & np.isfinite(t)
    t, y, w = t[used], y[used], w[used]
    k = len(np.unique(t))
    centre = float(np.average(t, weights=w)) if k else math.nan
    level = float(np.average(y, weights=w)) if k else math.nan
    if k < 3:
        return Trend(math.nan, math.nan, centre, level, k, "fewer than 3 months: no trend")
    spread = float(np.sum(w * (t - centre) ** 2))
    slope = float(np.sum(w * (t - centre) * (y - level)) / spread)
    residual = float(np.sum(w * (y - level - slope * (t - centre)) ** 2) / (len(t) - 2))
    sigma2 = max(residual, unit_variance)
    return Trend(slope, math.sqrt(sigma2 / spread), centre, level, k, "")


def goal_forecast(
    current: float,
    current_se: float,
    target: float,
    *,
    elapsed_share: float,
    slope: float = 0.0,
    slope_se: float = 0.0,
    horizon: float = 0.0,
) -> Forecast:
    """End-of-period value of a goal's metric and the chance it reaches the target (normal approximation).

    With f the elapsed share of the period, the final value is f × (value so far) + (1 - f) ×
    (value of the rest). The rest is expected at the current value moved along the trend by
    ``horizon`` months (from the centre of the data so far to the centre of the remaining days)::

        projected = current + (1 - f) slope horizon
        se^2      = (1 - f) (current_se^2 + (1 - f) horizon^2 slope_se^2)
        P(final >= target) = Phi((projected - target) / se)

    ``se`` combines the current estimate's SE (the rest's level is estimated from the sample so far)
    with the trend's SE, plus the sampling noise of the responses still to come (f (1 - f)
    current_se^2); the value so far is observed, so se shrinks to 0 as f reaches 1. Without a
    trend (fewer than 3 months) pass slope 0: ``se = sqrt(1 - f) current_se``.
    A 0 SE gives probability 1 or 0; a nan SE gives nan with a reason.

    References
    ----------
    Wald-type normal approximation: Wald, A. (1943). Trans Amer Math Soc 54, 426-482. Prediction
    variance of a fitted line: Draper, N. R. & Smith, H. (1998). Applied Regression Analysis, §3.1.

    Examples
    --------
    >>> r = goal_forecast(40.0, 4.0, 42.0, elapsed_share=0.75)
    >>> r.projected, r.se, round(r.probability, 4)
    (40.0, 2.0, 0.1587)
    """
    if not 0 <= elapsed_share <= 1:
        raise ValueError(f"elapsed_share must lie in [0, 1], got {elapsed_share!r}")
    remaining = 1 - elapsed_share
    projected = current + remaining * slope * horizon
    se = math.sqrt(remaining * (current_se**2 + remaining * horizon**2 * slope_se**2))
    if math.isnan(se):
        return Forecast(projected, se, math.nan, math.nan, math.nan, "no standard error: too little data")
    if se == 0:
        probability = 1.0 if projected >= target else 0.0
    else:
        probability = float(scipy_stats.norm.cdf((projected - target) / se))
    return Forecast(projected, se, projected - Z95 * se, projected + Z95 * se, probability, "")
