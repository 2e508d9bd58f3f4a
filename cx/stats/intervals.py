"""Point estimates with confidence intervals: NPS, proportions, means and correlations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from cx.stats._common import Reason, Value, _nonnegative, _pack, _reasons, _z

# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Interval:
    """A point estimate with its confidence interval, sample size and standard error."""

    estimate: Value
    low: Value
    high: Value
    n: Value
    se: Value
    reason: Reason


@dataclass(frozen=True, eq=False)
class Moments:
    """Per-group size, mean and sample variance (denominator n - 1) from sums."""

    n: Value
    mean: Value
    var: Value


# --- NPS ------------------------------------------------------------------------------------------


def nps_interval(
    promoters: ArrayLike, passives: ArrayLike, detractors: ArrayLike, confidence: float = 0.95
) -> Interval:
    """Net Promoter Score with the adjusted-Wald interval, from category counts.

    ``estimate = 100 (p - d)`` with p = P/n, d = D/n (the raw NPS). The interval adds 0.75
    promoters, 1.5 passives and 0.75 detractors (n' = n + 3)::

        V' = p' + d' - (p' - d')^2
        100 ((p' - d') ± z sqrt(V'/n')), clipped to [-100, 100]

    ``se = 100 sqrt(V/n)`` with the raw V = p + d - (p - d)^2. The interval is centred on the
    adjusted estimate, so with n = 1 and a promoter it is [-48.5, 98.5] at 95 % and excludes the
    raw NPS of 100; from n = 2 the 95 % interval contains the raw NPS.

    Parameters
    ----------
    promoters, passives, detractors : array_like
        Counts of 9-10, 7-8 and 0-6 answers (broadcast together, one element per store).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    Interval
        In NPS points; ``n = 0`` gives nan with reason ``"no responses"``.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician 70(4), 365-372.

    Examples
    --------
    >>> r = nps_interval(60, 25, 15)
    >>> r.estimate, round(r.low, 1), round(r.high, 1)
    (45.0, 29.3, 58.0)
    """
    z = _z(confidence)
    p_count, q_count, d_count = np.broadcast_arrays(
        _nonnegative("promoters", promoters),
        _nonnegative("passives", passives),
        _nonnegative("detractors", detractors),
    )
    n = p_count + q_count + d_count
    empty = n == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p, d = p_count / n, d_count / n
        estimate = 100 * (p_count - d_count) / n
        se = 100 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / n)
    n_adj = n + 3
    p_adj, d_adj = (p_count + 0.75) / n_adj, (d_count + 0.75) / n_adj
    half = z * np.sqrt(np.maximum(p_adj + d_adj - (p_adj - d_adj) ** 2, 0) / n_adj)
    low = np.where(empty, np.nan, np.clip(100 * (p_adj - d_adj - half), -100, 100))
    high = np.where(empty, np.nan, np.clip(100 * (p_adj - d_adj + half), -100, 100))
    reason = _reasons(n.shape, [(empty, "no responses")])
    return _pack(Interval, estimate=estimate, low=low, high=high, n=n, se=se, reason=reason)


# --- Proportions ----------------------------------------------------------------------------------


def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Interval:
    """Proportion with the Wilson score interval (no continuity correction), vectorised.

    With p = k/n and z = z_{1-alpha/2}::

        (k + z^2/2) / (n + z^2)  ±  z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)

    the same as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.
    ``se = sqrt(p (1 - p) / n)``.

    Returns
    -------
    Interval
        Fractions 0-1; ``n = 0`` gives nan with reason ``"no responses"``.

    References
    ----------
    Wilson, E. B. (1927). JASA 22, 209-212. Newcombe, R. G. (1998). Two-sided confidence
    intervals for the single proportion: comparison of seven methods. Stat Med 17, 857-872 (method 3).

    Examples
    --------
    >>> r = wilson_interval(81, 263)
    >>> round(r.low, 4), round(r.high, 4)
    (0.2553, 0.3662)
    """
    z = _z(confidence)
    k, n = np.broadcast_arrays(_nonnegative("successes", successes), _nonnegative("n", n))
    if np.any(k > n):
        raise ValueError("successes must not exceed n (check that the counts come from the same rows)")
    empty = n == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        se = np.sqrt(p * (1 - p) / n)
        centre = (k + z**2 / 2) / (n + z**2)
        half = z / (n + z**2) * np.sqrt(k * (n - k) / n + z**2 / 4)
    low = np.where(empty, np.nan, np.clip(centre - half, 0, 1))
    high = np.where(empty, np.nan, np.clip(centre + half, 0, 1))
    reason = _reasons(n.shape, [(empty, "no responses")])
    return _pack(Interval, estimate=p, low=low, high=high, n=n, se=se, reason=reason)


# --- Means ----------------------------------------------------------------------------------------


def group_moments(n: ArrayLike, total: ArrayLike, total_sq: ArrayLike) -> Moments:
    """Mean and sample variance from the count, sum and sum of squares of each group.

    ``mean = total / n``; ``var = (total_sq - total^2 / n) / (n - 1)`` (nan for n < 2; rounding
    below zero is set to 0).

    Examples
    --------
    >>> m = group_moments(3, 6.0, 14.0)
    >>> m.mean, m.var
    (2.0, 1.0)
    """
    n, total, total_sq = np.broadcast_arrays(
        _nonnegative("n", n), np.asarray(total, dtype=float), _nonnegative("total_sq", total_sq)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        squares = total_sq - total**2 / n
    scale = np.maximum(total_sq, np.finfo(float).tiny)
    if np.any((n > 0) & (squares < -1e-9 * scale)):
        raise ValueError("total_sq is smaller than total**2 / n: the sums do not come from the same rows")
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n >= 2, np.maximum(squares, 0) / (n - 1), np.nan)
    return _pack(Moments, n=n, mean=mean, var=var)


def mean_interval(n: ArrayLike, total: ArrayLike, total_sq: ArrayLike, confidence: float = 0.95) -> Interval:
    """Mean with its t-interval, from the count, sum and sum of squares.

    ::

        s^2 = (total_sq - total^2 / n) / (n - 1),   mean ± t_{n-1, 1-alpha/2} s / sqrt(n)

    Returns
    -------
    Interval
        n = 0: everything nan ("no responses"); n = 1: the mean, interval nan ("one response").
        Zero variance gives the degenerate interval [mean, mean].

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika 6, 1-25.

    Examples
    --------
    >>> r = mean_interval(10, 7.5, 34.43)  # R: t.test(sleep$extra[1:10])
    >>> round(r.low, 4), round(r.high, 4)
    (-0.5298, 2.0298)
    """
    _z(confidence)
    moments = group_moments(n, total, total_sq)
    n, mean, var = (np.asarray(v, dtype=float) for v in (moments.n, moments.mean, moments.var))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var / n)
        t = stats.t.ppf(0.5 + confidence / 2, np.where(n >= 2, n - 1, np.nan))
    reason = _reasons(n.shape, [(n == 0, "no responses"), (n == 1, "one response: no variance")])
    return _pack(Interval, estimate=mean, low=mean - t * se, high=mean + t * se, n=n, se=se, reason=reason)


# --- Correlations ---------------------------------------------------------------------------------


def correlation_interval(r: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Interval:
    """Fisher z confidence interval for a Pearson correlation.

    ::

        tanh(atanh(r) ± z_{1-alpha/2} / sqrt(n - 3))

    ``se = 1 / sqrt(n - 3)`` is on the atanh scale. n <= 3 gives nan with a reason.

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from a
    small sample. Metron 1, 3-32. R: ``cor.test``.

    Examples
    --------
    >>> i = correlation_interval(-0.8676594, 32)  # R: cor.test(mtcars$mpg, mtcars$wt)
    >>> round(i.low, 4), round(i.high, 4)
    (-0.9338, -0.7441)
    """
    z = _z(confidence)
    r, n = np.broadcast_arrays(np.asarray(r, dtype=float), _nonnegative("n", n))
    if np.any(np.abs(r[np.isfinite(r)]) > 1):
        raise ValueError("a correlation must lie in [-1, 1]")
    small = n <= 3
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(small, np.nan, 1 / np.sqrt(n - 3))
        centre = np.arctanh(r)
        low, high = np.tanh(centre - z * se), np.tanh(centre + z * se)
    reason = _reasons(
        r.shape, [(small, "n must exceed 3 for a correlation interval"), (np.isnan(r), "no correlation")]
    )
    return _pack(Interval, estimate=r, low=low, high=high, n=n, se=se, reason=reason)
