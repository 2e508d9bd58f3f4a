"""The statistics behind every badge, interval and ranking: pure functions on sufficient statistics.

Callers read rollup tables, so every function takes counts, sums and sums of squares (never raw rows)
and most are vectorised: pass arrays to get one result per store. Results are frozen dataclasses
whose fields have the broadcast shape of the inputs (plain floats and strings for scalar inputs).

Units, the same everywhere:

* NPS and NPS differences in points, -100 to 100;
* proportions (Wilson, two-proportion test) as fractions, 0 to 1;
* shares, I² and the consistency index in percent, 0 to 100.

Bad arguments (negative counts, a confidence outside (0, 1), mismatched shapes) raise ``ValueError``.
A statistic the data cannot support (no responses, one group, no variation) is ``nan`` and the
``reason`` field says why; ``reason`` is ``""`` where the value was computed.
The methods and their sources are listed on the methods page (METHODS.md).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

Value = float | np.ndarray
Reason = str | np.ndarray

RANDOM_EFFECTS = "random effects"
PLAIN_LIMITS = "binomial/normal"


# --- Results ------------------------------------------------------------------------------------


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
class TestResult:
    """A two-sample test: statistic, two-sided p-value and the difference (first minus second).

    ``df`` is the t degrees of freedom, ``inf`` for z-tests.
    """

    __test__ = False  # not a pytest test class

    statistic: Value
    p_value: Value
    estimate: Value
    low: Value
    high: Value
    df: Value
    reason: Reason


@dataclass(frozen=True, eq=False)
class Moments:
    """Per-group size, mean and sample variance (denominator n - 1) from sums."""

    n: Value
    mean: Value
    var: Value


@dataclass(frozen=True, eq=False)
class MannWhitneyResult:
    """U of the first group, two-sided p, P(A > B) + P(A = B)/2, and the group sizes."""

    statistic: float
    p_value: float
    prob_superiority: float
    n_a: float
    n_b: float
    reason: str


@dataclass(frozen=True, eq=False)
class KruskalResult:
    """H (tie-corrected), its chi-squared p-value, df = groups - 1, and the groups used."""

    statistic: float
    p_value: float
    df: float
    groups: int
    reason: str


@dataclass(frozen=True, eq=False)
class AnovaResult:
    """F, its p-value, the between and within mean squares and their degrees of freedom."""

    statistic: float
    p_value: float
    msb: float
    msw: float
    df_between: float
    df_within: float
    reason: str


@dataclass(frozen=True, eq=False)
class IccResult:
    """ICC(1), the mean squares it comes from, the effective group size n0 and the groups used."""

    icc: float
    msb: float
    msw: float
    n0: float
    groups: int
    reason: str


@dataclass(frozen=True, eq=False)
class MetaAnalysis:
    """Random-effects pooled mean; ``i2`` in percent; ``k`` units used."""

    estimate: float
    se: float
    low: float
    high: float
    tau2: float
    q: float
    i2: float
    k: int
    reason: str


@dataclass(frozen=True, eq=False)
class Shrinkage:
    """Shrunk values, shrinkage factors B (0 = kept, 1 = fully pooled), tau² and the target."""

    values: np.ndarray
    b: np.ndarray
    tau2: float
    target: Value
    reason: str


@dataclass(frozen=True, eq=False)
class FunnelLimits:
    """Lower and upper control limits for each n at one confidence level."""

    low: Value
    high: Value
    n: Value
    confidence: float


@dataclass(frozen=True, eq=False)
class FunnelAssessment:
    """Per-unit z-scores and verdicts, with the over-dispersion estimate and the limits in force."""

    z: np.ndarray
    z_adjusted: np.ndarray
    phi: float
    tau2: float
    limits: str
    low95: np.ndarray
    high95: np.ndarray
    low998: np.ndarray
    high998: np.ndarray
    verdict95: np.ndarray
    verdict998: np.ndarray
    units: int
    reason: str


@dataclass(frozen=True, eq=False)
class RankIntervals:
    """Rank (1 = best, ties averaged) and its simulated interval; nan for excluded units."""

    rank: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True, eq=False)
class FdrResult:
    """Benjamini-Hochberg adjusted p-values and which are below alpha."""

    adjusted: np.ndarray
    significant: np.ndarray


@dataclass(frozen=True, eq=False)
class RelativeWeights:
    """Raw weights (sum to R²), their shares of R² in percent, R², and the predictors' indices."""

    raw: np.ndarray
    share_pct: np.ndarray
    r_squared: float
    predictors: tuple[int, ...]
    reason: str


# --- Small tools ---------------------------------------------------------------------------------


def _z(confidence: float) -> float:
    """Two-sided normal quantile: 1.959964 for 0.95, 3.090232 for 0.998."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _nonnegative(name: str, values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers (use 0 for an empty count)")
    if np.any(array < 0):
        raise ValueError(f"{name} must not be negative, got {array[array < 0].ravel()[:3]}")
    return array


def _reasons(shape: tuple[int, ...], rules: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Per element, the message of the first rule whose mask is true; ``""`` where none is."""
    out = np.full(shape, "", dtype=object)
    for mask, message in reversed(rules):
        out[np.broadcast_to(mask, shape)] = message
    return out


def _scalar(value):
    """0-d arrays and numpy scalars become Python floats and strings; arrays stay arrays."""
    if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
        return value.item()
    return value


def _pack(cls, **values):
    return cls(**{field.name: _scalar(values[field.name]) for field in fields(cls)})


def _midranks(totals: np.ndarray) -> np.ndarray:
    """Average rank of each scale value when ``totals[j]`` responses share value j."""
    return np.cumsum(totals) - totals + (totals + 1) / 2


# --- NPS -----------------------------------------------------------------------------------------


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


def _nps_counts(name: str, counts: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    array = _nonnegative(name, counts)
    if array.ndim == 0 or array.shape[0] != 3:
        raise ValueError(f"{name} must be (promoters, passives, detractors), got shape {array.shape}")
    return array[0], array[1], array[2]


def nps_difference_test(counts_a: ArrayLike, counts_b: ArrayLike, confidence: float = 0.95) -> TestResult:
    """z-test for the difference of two independent NPS (two stores, or two periods).

    ::

        z = (NPS_A - NPS_B) / sqrt(V_A/n_A + V_B/n_B),   V = p + d - (p - d)^2

    on the raw counts, two-sided p = 2 (1 - Phi(|z|)), and the Wald interval
    ``(NPS_A - NPS_B) ± z_{1-alpha/2} SE``.

    Parameters
    ----------
    counts_a, counts_b : array_like
        ``(promoters, passives, detractors)``; each of the three may be an array (one per store).
    confidence : float
        Level of the interval of the difference.

    Returns
    -------
    TestResult
        ``estimate = NPS_A - NPS_B`` in points (signed; R's ``nps.test`` reports its absolute value).

    References
    ----------
    Rocks, B. R package NPS, ``nps.test`` / ``nps_test`` (Wald test of two samples).

    Examples
    --------
    >>> r = nps_difference_test((60, 25, 15), (40, 30, 30))
    >>> round(r.estimate, 1), round(r.statistic, 3)
    (35.0, 3.146)
    """
    z_crit = _z(confidence)
    (pa, qa, da), (pb, qb, db) = _nps_counts("counts_a", counts_a), _nps_counts("counts_b", counts_b)
    pa, qa, da, pb, qb, db = np.broadcast_arrays(pa, qa, da, pb, qb, db)
    n_a, n_b = pa + qa + da, pb + qb + db
    with np.errstate(divide="ignore", invalid="ignore"):
        nps_a, nps_b = (pa - da) / n_a, (pb - db) / n_b
        var_a = np.maximum((pa + da) / n_a - nps_a**2, 0) / n_a
        var_b = np.maximum((pb + db) / n_b - nps_b**2, 0) / n_b
        se = 100 * np.sqrt(var_a + var_b)
        difference = 100 * (nps_a - nps_b)
        z = difference / se
    flat = se == 0
    z = np.where(flat, np.nan, z)
    p_value = 2 * stats.norm.sf(np.abs(z))
    low = np.where(flat, np.nan, difference - z_crit * se)
    high = np.where(flat, np.nan, difference + z_crit * se)
    reason = _reasons(
        n_a.shape,
        [
            (n_a == 0, "no responses in the first group"),
            (n_b == 0, "no responses in the second group"),
            (flat, "no variation: within each group every answer is in one category"),
        ],
    )
    return _pack(
        TestResult, statistic=z, p_value=p_value, estimate=difference, low=low, high=high,
        df=np.full(n_a.shape, np.inf), reason=reason,
    )  # fmt: skip


# --- Proportions ---------------------------------------------------------------------------------


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


def two_proportion_test(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, confidence: float = 0.95
) -> TestResult:
    """Difference of two independent proportions: pooled z-test and Newcombe's hybrid score interval.

    ::

        z = (p1 - p2) / sqrt(pbar (1 - pbar) (1/n1 + 1/n2)),   pbar = (k1 + k2) / (n1 + n2)
        low  = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        high = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    with (l_i, u_i) the Wilson intervals. z^2 is the uncorrected chi-squared of
    ``prop.test(c(k1, k2), c(n1, n2), correct = FALSE)``.

    Returns
    -------
    TestResult
        Fractions; ``estimate = p1 - p2``. When both groups are all successes (or all failures)
        the test is nan with a reason but the interval is still given.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 17, 873-890 (method 10).

    Examples
    --------
    >>> r = two_proportion_test(56, 70, 48, 80)
    >>> round(r.estimate, 4), round(r.low, 4), round(r.high, 4)
    (0.2, 0.0524, 0.3339)
    """
    first, second = wilson_interval(k1, n1, confidence), wilson_interval(k2, n2, confidence)
    p1, l1, u1, m = (np.asarray(v) for v in (first.estimate, first.low, first.high, first.n))
    p2, l2, u2, m2 = (np.asarray(v) for v in (second.estimate, second.low, second.high, second.n))
    p1, l1, u1, m, p2, l2, u2, m2 = np.broadcast_arrays(p1, l1, u1, m, p2, l2, u2, m2)
    difference = p1 - p2
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (p1 * m + p2 * m2) / (m + m2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / m2))
        z = np.where(se > 0, difference / se, np.nan)
    p_value = 2 * stats.norm.sf(np.abs(z))
    low = np.maximum(difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), -1)
    high = np.minimum(difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), 1)
    reason = _reasons(
        m.shape,
        [
            (m == 0, "no responses in the first group"),
            (m2 == 0, "no responses in the second group"),
            (se == 0, "no variation: both groups are all successes or all failures"),
        ],
    )
    return _pack(
        TestResult, statistic=z, p_value=p_value, estimate=difference, low=low, high=high,
        df=np.full(m.shape, np.inf), reason=reason,
    )  # fmt: skip


# --- Means ---------------------------------------------------------------------------------------


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


def welch_test(
    n1: ArrayLike,
    mean1: ArrayLike,
    var1: ArrayLike,
    n2: ArrayLike,
    mean2: ArrayLike,
    var2: ArrayLike,
    confidence: float = 0.95,
) -> TestResult:
    """Welch's unequal-variance t-test from group summaries, with the interval of the difference.

    ::

        t = (m1 - m2) / se,   se^2 = v1/n1 + v2/n2
        df = se^4 / ((v1/n1)^2 / (n1 - 1) + (v2/n2)^2 / (n2 - 1))
        (m1 - m2) ± t_{df, 1-alpha/2} se

    t and p come from ``scipy.stats.ttest_ind_from_stats(..., equal_var=False)``; ``var`` is the
    sample variance (denominator n - 1), e.g. from :func:`group_moments`.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    >>> r = welch_test(10, 0.75, 3.200556, 10, 2.33, 4.009)  # R: t.test(extra ~ group, data = sleep)
    >>> round(r.statistic, 4), round(r.df, 2), round(r.p_value, 4)
    (-1.8608, 17.78, 0.0794)
    """
    _z(confidence)
    n1, n2 = _nonnegative("n1", n1), _nonnegative("n2", n2)
    v1, v2 = (_nonnegative(name, np.nan_to_num(v, nan=0.0)) for name, v in (("var1", var1), ("var2", var2)))
    n1, mean1, v1, n2, mean2, v2 = np.broadcast_arrays(
        n1, np.asarray(mean1, dtype=float), v1, n2, np.asarray(mean2, dtype=float), v2
    )
    too_small = (n1 < 2) | (n2 < 2)
    flat = ~too_small & (v1 == 0) & (v2 == 0)
    bad = too_small | flat
    # Where the test is undefined, harmless stand-ins keep scipy quiet; those results become nan below.
    n1s, n2s = np.where(bad, 2.0, n1), np.where(bad, 2.0, n2)
    v1s, v2s = np.where(bad, 1.0, v1), np.where(bad, 1.0, v2)
    result = stats.ttest_ind_from_stats(mean1, np.sqrt(v1s), n1s, mean2, np.sqrt(v2s), n2s, equal_var=False)
    s1, s2 = v1s / n1s, v2s / n2s
    se = np.sqrt(s1 + s2)
    df = (s1 + s2) ** 2 / (s1**2 / (n1s - 1) + s2**2 / (n2s - 1))
    half = stats.t.ppf(0.5 + confidence / 2, df) * se
    difference = mean1 - mean2
    reason = _reasons(
        n1.shape,
        [(too_small, "each group needs at least 2 responses"), (flat, "no variation within either group")],
    )
    return _pack(
        TestResult, statistic=np.where(bad, np.nan, result.statistic), p_value=np.where(bad, np.nan, result.pvalue),
        estimate=np.where(too_small, np.nan, difference), low=np.where(bad, np.nan, difference - half),
        high=np.where(bad, np.nan, difference + half), df=np.where(bad, np.nan, df), reason=reason,
    )  # fmt: skip


# --- Ordinal scales from counts ------------------------------------------------------------------


def mann_whitney_from_counts(counts_a: ArrayLike, counts_b: ArrayLike) -> MannWhitneyResult:
    """Mann-Whitney U for an ordinal scale given as counts per scale value (lowest value first).

    With midranks r_j of the pooled counts t_j = a_j + b_j::

        U_A = sum_j a_j r_j - n_A (n_A + 1) / 2
        sigma^2 = n_A n_B / 12 * ((N + 1) - sum_j (t_j^3 - t_j) / (N (N - 1)))
        z = (max(U_A, U_B) - n_A n_B / 2 - 0.5) / sigma,   p = min(1, 2 (1 - Phi(z)))

    ``prob_superiority = U_A / (n_A n_B) = P(A > B) + P(A = B) / 2``. Equals
    ``scipy.stats.mannwhitneyu(np.repeat(values, a), np.repeat(values, b), method="asymptotic")``.

    Returns
    -------
    MannWhitneyResult
        nan with a reason when a group is empty or every response has the same value.

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). Ann Math Stat 18, 50-60. Tie correction: Lehmann, E. L.
    (1975). Nonparametrics, ch. 1.

    Examples
    --------
    >>> r = mann_whitney_from_counts([0, 1, 3], [2, 1, 0])  # A: 1,2,2,2  B: 0,0,1
    >>> r.statistic, r.prob_superiority
    (11.5, 0.9583333333333334)
    """
    a, b = _nonnegative("counts_a", counts_a), _nonnegative("counts_b", counts_b)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            f"counts_a and counts_b must be 1-D counts per scale value of equal length, got {a.shape} and {b.shape}"
        )
    n_a, n_b = float(a.sum()), float(b.sum())
    if n_a == 0 or n_b == 0:
        which = "first" if n_a == 0 else "second"
        return MannWhitneyResult(math.nan, math.nan, math.nan, n_a, n_b, f"no responses in the {which} group")
    totals = a + b
    n = n_a + n_b
    u_a = float(a @ _midranks(totals)) - n_a * (n_a + 1) / 2
    u_max = max(u_a, n_a * n_b - u_a)
    sigma = np.sqrt(n_a * n_b / 12 * ((n + 1) - np.sum(totals**3 - totals) / (n * (n - 1))))
    if sigma == 0:
        return MannWhitneyResult(
            u_a, math.nan, u_a / (n_a * n_b), n_a, n_b, "every response has the same value"
        )
    p_value = min(1.0, 2 * stats.norm.sf((u_max - n_a * n_b / 2 - 0.5) / sigma))
    return MannWhitneyResult(u_a, float(p_value), u_a / (n_a * n_b), n_a, n_b, "")


def kruskal_from_counts(count_matrix: ArrayLike) -> KruskalResult:
    """Kruskal-Wallis H for groups x scale-value counts, with the tie correction.

    ::

        H = [12 / (N (N + 1)) sum_g R_g^2 / n_g - 3 (N + 1)] / [1 - sum_j (t_j^3 - t_j) / (N^3 - N)]

    R_g sums the midranks of group g; p from chi-squared with k - 1 df. Groups with no responses
    are dropped. Equals ``scipy.stats.kruskal`` on the expanded samples.

    Returns
    -------
    KruskalResult
        nan with a reason for fewer than 2 groups with responses or a single value overall.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
    JASA 47, 583-621.

    Examples
    --------
    >>> r = kruskal_from_counts([[3, 1, 0], [0, 1, 3]])
    >>> r.statistic, r.groups
    (5.25, 2)
    """
    counts = _nonnegative("count_matrix", count_matrix)
    if counts.ndim != 2:
        raise ValueError(f"count_matrix must be 2-D (groups x scale values), got shape {counts.shape}")
    counts = counts[counts.sum(axis=1) > 0]
    k = counts.shape[0]
    if k < 2:
        return KruskalResult(math.nan, math.nan, math.nan, k, "fewer than 2 groups with responses")
    totals = counts.sum(axis=0)
    n = totals.sum()
    ties = 1 - np.sum(totals**3 - totals) / (n**3 - n)
    if ties == 0:
        return KruskalResult(math.nan, math.nan, k - 1.0, k, "every response has the same value")
    rank_sums = counts @ _midranks(totals)
    h = (12 / (n * (n + 1)) * np.sum(rank_sums**2 / counts.sum(axis=1)) - 3 * (n + 1)) / ties
    h = max(float(h), 0.0)  # identical groups can round to -1e-14
    return KruskalResult(h, float(stats.chi2.sf(h, k - 1)), k - 1.0, k, "")


# --- Groups from summaries: ANOVA and ICC(1) ------------------------------------------------------


def _one_way(n: ArrayLike, mean: ArrayLike, var: ArrayLike):
    """Between and within mean squares over the groups with responses, or a reason they can't be had."""
    n = _nonnegative("n", n)
    mean, var = np.asarray(mean, dtype=float), np.asarray(var, dtype=float)
    if not (n.ndim == 1 and n.shape == mean.shape == var.shape):
        raise ValueError(
            f"n, mean and var must be 1-D arrays of equal length, got {n.shape}, {mean.shape}, {var.shape}"
        )
    used = n > 0
    n, mean, var = n[used], mean[used], var[used]
    if np.any(~np.isfinite(mean)) or np.any(~np.isfinite(var[n >= 2])):
        raise ValueError("groups with responses need a finite mean, and groups with n >= 2 a finite var")
    if np.any(var[n >= 2] < 0):
        raise ValueError("var must not be negative")
    k, total = len(n), n.sum()
    reason = ""
    if k < 2:
        reason = "fewer than 2 groups with responses"
    elif total - k < 1:
        reason = "no group has 2 or more responses: no within-group variance"
    if reason:
        return None, reason
    grand = np.sum(n * mean) / total
    msb = np.sum(n * (mean - grand) ** 2) / (k - 1)
    msw = np.sum(np.where(n >= 2, (n - 1) * np.nan_to_num(var), 0.0)) / (total - k)
    return (float(msb), float(msw), k - 1.0, float(total - k), n), ""


def anova_from_stats(n: ArrayLike, mean: ArrayLike, var: ArrayLike) -> AnovaResult:
    """One-way ANOVA from group sizes, means and sample variances.

    ::

        MSB = sum n_i (m_i - m)^2 / (k - 1),   MSW = sum (n_i - 1) s_i^2 / (N - k)
        F = MSB / MSW,   p = P(F_{k-1, N-k} > F)

    Groups with n = 0 are dropped. Equals ``scipy.stats.f_oneway`` on the raw samples, including
    ``F = inf, p = 0`` when every group is constant but the groups differ.

    References
    ----------
    Fisher, R. A. (1925). Statistical Methods for Research Workers, ch. VII.

    Examples
    --------
    >>> r = anova_from_stats([3, 3], [2.0, 4.0], [1.0, 1.0])
    >>> r.statistic, round(r.p_value, 4)
    (6.0, 0.0705)
    """
    parts, reason = _one_way(n, mean, var)
    if parts is None:
        return AnovaResult(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, reason)
    msb, msw, df_b, df_w, _ = parts
    if msw == 0:
        if msb == 0:
            return AnovaResult(math.nan, math.nan, msb, msw, df_b, df_w, "every response has the same value")
        return AnovaResult(float("inf"), 0.0, msb, msw, df_b, df_w, "no variation within groups")
    f = msb / msw
    return AnovaResult(f, float(stats.f.sf(f, df_b, df_w)), msb, msw, df_b, df_w, "")


def icc1(n: ArrayLike, mean: ArrayLike, var: ArrayLike) -> IccResult:
    """ICC(1): the share of response variance that lies between groups (stores).

    ::

        ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW),   n0 = (N - sum n_i^2 / N) / (k - 1)

    from the one-way ANOVA of :func:`anova_from_stats` (n0 is the mean group size when groups are
    equal). Negative values (MSB < MSW) are reported as they are: no between-group variance.

    References
    ----------
    Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin 86, 420-428 (ICC(1,1)). n0 for unequal groups: the
    one-way random-effects ANOVA, Snedecor, G. W. & Cochran, W. G. (1989). Statistical Methods, 8th ed.

    Examples
    --------
    >>> r = icc1([4, 4], [2.0, 4.0], [1.0, 1.0])
    >>> round(r.icc, 4)  # (8 - 1) / (8 + 3 * 1)
    0.6364
    """
    parts, reason = _one_way(n, mean, var)
    if parts is None:
        groups = int(np.sum(np.asarray(n, dtype=float) > 0))
        return IccResult(math.nan, math.nan, math.nan, math.nan, groups, reason)
    msb, msw, df_b, _, sizes = parts
    total = sizes.sum()
    n0 = float((total - np.sum(sizes**2) / total) / df_b)
    denominator = msb + (n0 - 1) * msw
    if denominator == 0:
        return IccResult(math.nan, msb, msw, n0, len(sizes), "every response has the same value")
    return IccResult((msb - msw) / denominator, msb, msw, n0, len(sizes), "")


# --- Comparing many locations --------------------------------------------------------------------


def _units(estimates: ArrayLike, variances: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    if y.ndim != 1 or y.shape != v.shape:
        raise ValueError(
            f"estimates and variances must be 1-D arrays of equal length, got {y.shape} and {v.shape}"
        )
    used = np.isfinite(y) & np.isfinite(v)
    if np.any(v[used] <= 0):
        raise ValueError(
            "variances must be positive; for a score pass the pooled within-location variance over n "
            "(sigma^2 / n_i), which is not zero when one small store answers all alike"
        )
    return y, v, used


def dersimonian_laird(estimates: ArrayLike, variances: ArrayLike, confidence: float = 0.95) -> MetaAnalysis:
    """Random-effects pooled mean with the DerSimonian-Laird between-unit variance tau².

    With w_i = 1 / v_i and the fixed-effect mean m = sum w y / sum w::

        Q = sum w_i (y_i - m)^2,   C = sum w - sum w^2 / sum w
        tau^2 = max(0, (Q - (k - 1)) / C)
        w*_i = 1 / (v_i + tau^2),   mu = sum w* y / sum w*,   se = 1 / sqrt(sum w*)
        I^2 = 100 max(0, (Q - (k - 1)) / Q)

    Units with a nan estimate or variance are left out (``k`` counts those used).

    Returns
    -------
    MetaAnalysis
        One unit: its own value and se, tau² nan ("one unit ...").

    References
    ----------
    DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical
    Trials 7, 177-188. Viechtbauer, W. (2010). J Stat Softw 36(3) (metafor, ``rma(method="DL")``).

    Examples
    --------
    >>> r = dersimonian_laird([0.0, 1.0, 2.0], [0.1, 0.1, 0.1])
    >>> round(r.tau2, 2), round(r.estimate, 2), round(r.i2, 1)
    (0.9, 1.0, 90.0)
    """
    z = _z(confidence)
    y, v, used = _units(estimates, variances)
    y, v = y[used], v[used]
    k = len(y)
    if k == 0:
        return MetaAnalysis(*[math.nan] * 7, 0, "no units with an estimate")
    if k == 1:
        se = float(np.sqrt(v[0]))
        reason = "one unit: the between-unit variance cannot be estimated"
        return MetaAnalysis(float(y[0]), se, y[0] - z * se, y[0] + z * se, math.nan, 0.0, math.nan, 1, reason)
    w = 1 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = float(max(0.0, (q - (k - 1)) / c))
    w_star = 1 / (v + tau2)
    mu = float(np.sum(w_star * y) / np.sum(w_star))
    se = float(1 / np.sqrt(np.sum(w_star)))
    i2 = 100 * (q - (k - 1)) / q if q > k - 1 else 0.0
    return MetaAnalysis(mu, se, mu - z * se, mu + z * se, tau2, q, float(i2), k, "")


def shrink(estimates: ArrayLike, variances: ArrayLike, target: ArrayLike | None = None) -> Shrinkage:
    """Empirical-Bayes (normal-normal) shrinkage of unit estimates toward a target.

    ::

        B_i = v_i / (v_i + tau^2),   posterior_i = mu + (1 - B_i) (y_i - mu)

    tau² by DerSimonian-Laird; mu = ``target`` or, by default, the DL pooled mean. Units with
    larger v_i (fewer responses) move further. When tau² = 0 the data show no real between-unit
    differences and every unit is shrunk fully to mu (B = 1): that is the correct answer, not a
    failure. Show shrunk values beside the raw ones, never instead of them.

    Returns
    -------
    Shrinkage
        nan for units without an estimate, and for all units when fewer than 2 have one.

    References
    ----------
    Efron, B. & Morris, C. (1975). Data analysis using Stein's estimator and its generalizations.
    JASA 70, 311-319. DerSimonian & Laird (1986), Controlled Clinical Trials 7, 177-188.

    Examples
    --------
    >>> r = shrink([0.0, 1.0, 2.0], [0.1, 0.1, 0.1])
    >>> r.values.round(2).tolist(), r.b.round(2).tolist()
    ([0.1, 1.0, 1.9], [0.1, 0.1, 0.1])
    """
    y, v, used = _units(estimates, variances)
    meta = dersimonian_laird(y, v)
    nan_units = np.full(y.shape, np.nan)
    if meta.k < 2:
        return Shrinkage(nan_units, nan_units.copy(), meta.tau2, math.nan, meta.reason)
    mu = meta.estimate if target is None else _scalar(np.asarray(target, dtype=float))
    b = np.where(used, v / (v + meta.tau2), np.nan)
    values = np.where(used, mu + (1 - b) * (y - mu), np.nan)
    return Shrinkage(values, b, meta.tau2, mu, "")


def funnel_limits(
    target: float, unit_variance: float, n: ArrayLike, confidence: float = 0.95, *, tau2: float = 0.0
) -> FunnelLimits:
    """Funnel-plot control limits around a target for units of size n.

    ::

        target ± z_{1-alpha/2} sqrt(unit_variance / n + tau^2)

    ``unit_variance`` is the variance of one response at the target, in the squared units of the
    values: proportion theta0 (1 - theta0); NPS 10000 (p + d - (p - d)^2) for points; a mean: the
    pooled within-store variance. tau² > 0 gives the over-dispersed (random-effects) limits.
    Use 0.95 and 0.998 (z = 1.959964 and 3.090232).

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    Stat Med 24, 1185-1202.

    Examples
    --------
    >>> r = funnel_limits(0.5, 0.25, 100)
    >>> round(r.low, 4), round(r.high, 4)
    (0.402, 0.598)
    """
    z = _z(confidence)
    if unit_variance < 0 or tau2 < 0:
        raise ValueError("unit_variance and tau2 must not be negative")
    n = _nonnegative("n", n)
    with np.errstate(divide="ignore"):
        half = np.where(n > 0, z * np.sqrt(unit_variance / n + tau2), np.nan)
    return _pack(FunnelLimits, low=target - half, high=target + half, n=n, confidence=confidence)


def _verdicts(values: np.ndarray, low: np.ndarray, high: np.ndarray, has_data: np.ndarray) -> np.ndarray:
    verdict = np.where(values > high, "above", np.where(values < low, "below", "within")).astype(object)
    verdict[~has_data] = "no data"
    return verdict


def funnel_assessment(
    values: ArrayLike, n: ArrayLike, target: float, unit_variance: float, *, winsorise: float = 0.1
) -> FunnelAssessment:
    """Per-unit funnel-plot verdicts at 95 % and 99.8 %, with over-dispersion handled.

    ::

        s_i^2 = unit_variance / n_i,   z_i = (y_i - target) / s_i
        phi = mean(winsorised z^2)      (z clipped to its 10th and 90th percentiles)
        if I phi > I - 1:  tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w),  w = 1 / s^2
        limits: target ± z_{1-alpha/2} sqrt(s_i^2 + tau^2)

    ``limits`` says which are in force: ``"random effects"`` (tau² > 0) or ``"binomial/normal"``.
    Verdicts are ``"above"``, ``"below"``, ``"within"`` or, for units with n = 0 or a nan value,
    ``"no data"`` (left out of phi). Percentiles as R ``quantile`` type 7 (FunnelPlotR).

    References
    ----------
    Spiegelhalter, D. J. (2005). Stat Med 24, 1185-1202; Spiegelhalter, D. J. (2005). Handling
    over-dispersion of performance indicators. Qual Saf Health Care 14, 347-351. R package
    FunnelPlotR (``winsorisation``, ``phi_func``, ``tau_func``).

    Examples
    --------
    >>> values = [0.45, 0.475, 0.5, 0.525, 0.55, 0.45, 0.51, 0.49, 0.52, 0.75]
    >>> r = funnel_assessment(values, [100] * 10, 0.5, 0.25)
    >>> r.limits, round(r.phi, 2), r.verdict95.tolist()[-2:], r.verdict998.tolist()[-1]
    ('binomial/normal', 0.57, ['within', 'above'], 'above')
    """
    if not 0 <= winsorise < 0.5:
        raise ValueError(f"winsorise must be in [0, 0.5), got {winsorise!r}")
    if unit_variance < 0:
        raise ValueError("unit_variance must not be negative")
    y, n = np.broadcast_arrays(np.asarray(values, dtype=float), _nonnegative("n", n))
    if y.ndim != 1:
        raise ValueError(f"values and n must be 1-D (one element per unit), got shape {y.shape}")
    has_data = np.isfinite(y) & (n > 0)
    units = int(has_data.sum())
    empty = np.full(y.shape, np.nan)
    if not (np.isfinite(target) and np.isfinite(unit_variance) and unit_variance > 0):
        verdicts = np.full(y.shape, "no data", dtype=object)
        reason = (
            "the target's unit variance is zero (every response alike): no funnel"
            if unit_variance == 0
            else "no target (the brand has no data): no funnel"
        )
        return FunnelAssessment(
            z=empty, z_adjusted=empty, phi=math.nan, tau2=math.nan, limits=PLAIN_LIMITS,
            low95=empty, high95=empty, low998=empty, high998=empty, verdict95=verdicts, verdict998=verdicts,
            units=units, reason=reason,
        )  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(has_data, unit_variance / n, np.nan)
        z = np.where(has_data, (y - target) / np.sqrt(s2), np.nan)
    phi, tau2, reason = math.nan, 0.0, ""
    if units < 2:
        reason = "fewer than 2 units with data: over-dispersion not estimated"
    else:
        zs = z[has_data]
        low_z, high_z = np.quantile(zs, [winsorise, 1 - winsorise])
        phi = float(np.mean(np.clip(zs, low_z, high_z) ** 2))
        if units * phi > units - 1:
            w = 1 / s2[has_data]
            tau2 = float((units * phi - (units - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        z_adjusted = (y - target) / np.sqrt(s2 + tau2)
    limits = {level: funnel_limits(target, unit_variance, n, level, tau2=tau2) for level in (0.95, 0.998)}
    low95, high95 = (np.where(has_data, x, np.nan) for x in (limits[0.95].low, limits[0.95].high))
    low998, high998 = (np.where(has_data, x, np.nan) for x in (limits[0.998].low, limits[0.998].high))
    return FunnelAssessment(
        z=z, z_adjusted=z_adjusted, phi=phi, tau2=tau2, limits=RANDOM_EFFECTS if tau2 > 0 else PLAIN_LIMITS,
        low95=low95, high95=high95, low998=low998, high998=high998,
        verdict95=_verdicts(y, low95, high95, has_data), verdict998=_verdicts(y, low998, high998, has_data),
        units=units, reason=reason,
    )  # fmt: skip


def rank_intervals(
    estimates: ArrayLike,
    standard_errors: ArrayLike,
    *,
    higher_is_better: bool = True,
    draws: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> RankIntervals:
    """League-table rank of each unit with a simulated rank interval (1 = best).

    Each draw takes y_i* ~ Normal(y_i, se_i) for every unit and ranks them; ``low`` and ``high`` are
    the (1 - confidence)/2 and (1 + confidence)/2 quantiles of each unit's simulated ranks.
    ``rank`` ranks the observed estimates (ties share the average rank). Units whose estimate or
    standard error is nan (no responses) are excluded: their rank and interval are nan and the
    others are ranked among themselves. Deterministic for a given ``seed``.

    References
    ----------
    Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their limitations. JRSS A 159,
    385-443. Marshall, E. C. & Spiegelhalter, D. J. (1998). BMJ 316, 1701-1704.

    Examples
    --------
    >>> r = rank_intervals([50.0, 10.0, 30.0], [1.0, 1.0, 1.0])
    >>> r.rank.tolist(), r.low.tolist(), r.high.tolist()
    ([1.0, 3.0, 2.0], [1.0, 3.0, 2.0], [1.0, 3.0, 2.0])
    """
    _z(confidence)
    y, se = np.asarray(estimates, dtype=float), np.asarray(standard_errors, dtype=float)
    if y.ndim != 1 or y.shape != se.shape:
        raise ValueError(
            f"estimates and standard_errors must be 1-D of equal length, got {y.shape} and {se.shape}"
        )
    if np.any(se < 0):
        raise ValueError("standard_errors must not be negative")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    used = np.isfinite(y) & np.isfinite(se)
    sign = -1.0 if higher_is_better else 1.0
    rank, low, high = (np.full(y.shape, np.nan) for _ in range(3))
    if used.any():
        rng = np.random.default_rng(seed)
        simulated = y[used] + se[used] * rng.standard_normal((draws, int(used.sum())))
        ranks = np.argsort(np.argsort(sign * simulated, axis=1), axis=1) + 1.0
        tail = (1 - confidence) / 2
        low[used] = np.quantile(ranks, tail, axis=0, method="inverted_cdf")
        high[used] = np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf")
        rank[used] = stats.rankdata(sign * y[used])
    return RankIntervals(rank, low, high)


def fdr(p_values: ArrayLike, alpha: float = 0.05) -> FdrResult:
    """Benjamini-Hochberg adjusted p-values and the discoveries at false discovery rate ``alpha``.

    ``adjusted_(i) = min_{j >= i} (m p_(j) / j)`` over the m non-missing p-values
    (``scipy.stats.false_discovery_control``); nan stays nan and is never significant.

    References
    ----------
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57, 289-300.

    Examples
    --------
    >>> r = fdr([0.01, 0.04, float("nan"), 0.03])
    >>> r.adjusted.round(3).tolist(), r.significant.tolist()
    ([0.03, 0.04, nan, 0.04], [True, True, False, True])
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05), got {alpha!r}")
    p = np.asarray(p_values, dtype=float)
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    adjusted = np.full(p.shape, np.nan)
    if present.any():
        adjusted[present] = stats.false_discovery_control(p[present], method="bh")
    return FdrResult(adjusted, present & (np.nan_to_num(adjusted, nan=1.0) <= alpha))


# --- Drivers -------------------------------------------------------------------------------------


def correlation_from_moments(n: float, sums: ArrayLike, cross_products: ArrayLike) -> np.ndarray:
    """Pearson correlation matrix from n, the vector of sums and the matrix of sums of cross-products.

    ::

        S = (X'X - s s' / n) / (n - 1),   r_jk = S_jk / sqrt(S_jj S_kk)

    A variable without variance gets a nan row and column (and nan on the diagonal); n < 2 gives
    an all-nan matrix. :func:`relative_weights` turns those into nan with a reason.

    Examples
    --------
    >>> correlation_from_moments(3, [6.0, 6.0], [[14.0, 13.0], [13.0, 14.0]]).tolist()  # (1,2,3), (2,1,3)
    [[1.0, 0.5], [0.5, 1.0]]
    """
    s = np.asarray(sums, dtype=float)
    c = np.asarray(cross_products, dtype=float)
    if s.ndim != 1 or c.shape != (len(s), len(s)):
        raise ValueError(
            f"sums must be 1-D and cross_products square of the same size, got {s.shape} and {c.shape}"
        )
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(c))):
        raise ValueError("sums and cross_products must be finite")
    if not np.allclose(c, c.T, rtol=1e-10, atol=0):
        raise ValueError("cross_products must be symmetric (sums of x_j * x_k over the same rows)")
    if n < 2:
        return np.full(c.shape, np.nan)
    cov = (c - np.outer(s, s) / n) / (n - 1)
    var = np.diag(cov)
    scale = np.maximum(np.abs(np.diag(c)) / n, np.finfo(float).tiny)
    if np.any(var < -1e-9 * scale):
        raise ValueError(
            "a sum of squares is smaller than sum**2 / n: the sums do not come from the same rows"
        )
    constant = var <= 1e-12 * scale
    sd = np.where(constant, np.nan, np.sqrt(np.maximum(var, 0)))
    corr = np.clip(cov / np.outer(sd, sd), -1, 1)
    np.fill_diagonal(corr, np.where(constant, np.nan, 1.0))
    return corr


def relative_weights(correlation: ArrayLike, target_index: int) -> RelativeWeights:
    """Johnson's relative weights of the predictors of one outcome, from a correlation matrix.

    With R_xx the predictors' correlations, r_xy their correlations with the outcome and
    R_xx = V diag(e) V'::

        Lambda = V diag(sqrt e) V'  (= R_xx^{1/2}),   beta* = Lambda^{-1} r_xy
        raw_j = sum_k Lambda_jk^2 beta*_k^2,   sum_j raw_j = R^2 = r_xy' R_xx^{-1} r_xy
        share_pct_j = 100 raw_j / R^2

    Collinear predictors (a zero eigenvalue) use the pseudo-inverse, with a warning and a reason:
    the weights still sum to R² and duplicated predictors share their weight equally.

    Parameters
    ----------
    correlation : array_like
        Square correlation matrix of the outcome and predictors (e.g. :func:`correlation_from_moments`).
    target_index : int
        Row of the outcome; every other row is a predictor (``predictors`` lists them in order).

    Returns
    -------
    RelativeWeights
        nan with a reason when the matrix has missing entries (a constant item) or R² is 0.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. Multivariate Behavioral Research 35, 1-19.
    Tonidandel, S. & LeBreton, J. M. (2011). J Bus Psychol 26, 1-9.

    Examples
    --------
    >>> r = relative_weights([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]], 0)
    >>> r.raw.round(2).tolist(), round(r.r_squared, 2)
    ([0.25, 0.09], 0.34)
    """
    r = np.asarray(correlation, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 2:
        raise ValueError(
            f"correlation must be a square matrix with the outcome and >= 1 predictor, got {r.shape}"
        )
    size = r.shape[0]
    if not -size <= target_index < size:
        raise ValueError(f"target_index {target_index} is outside the {size} x {size} matrix")
    target = target_index % size
    predictors = tuple(i for i in range(size) if i != target)
    empty = np.full(len(predictors), np.nan)
    if np.any(np.isnan(r)):
        reason = "the correlation matrix has missing entries (a constant item, or fewer than 2 responses)"
        return RelativeWeights(empty, empty.copy(), math.nan, predictors, reason)
    if not np.allclose(r, r.T, atol=1e-8) or not np.allclose(np.diag(r), 1, atol=1e-8):
        raise ValueError("correlation must be symmetric with ones on the diagonal")
    if np.linalg.eigvalsh(r).min() < -1e-8:
        raise ValueError(
            "correlation is not positive semi-definite; compute it from complete rows "
            "(correlation_from_moments), not pairwise"
        )
    rxx, rxy = r[np.ix_(predictors, predictors)], r[target, list(predictors)]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 0, None)
    tolerance = 1e-10 * max(eigenvalues.max(), 1.0)
    collinear = bool(eigenvalues.min() <= tolerance)
    root = np.sqrt(eigenvalues)
    lam = vectors @ np.diag(root) @ vectors.T
    inverse_root = np.divide(1, root, out=np.zeros_like(root), where=eigenvalues > tolerance)
    lam_inverse = vectors @ np.diag(inverse_root) @ vectors.T
    beta = lam_inverse @ rxy
    raw = (lam**2) @ (beta**2)
    r_squared = float(raw.sum())
    reason = ""
    if collinear:
        reason = "collinear predictors: pseudo-inverse used"
        warnings.warn(f"relative_weights: {reason}", stacklevel=2)
    if r_squared <= 0:
        return RelativeWeights(
            raw, empty, r_squared, predictors, "R^2 is 0: no predictor is correlated with the outcome"
        )
    return RelativeWeights(raw, 100 * raw / r_squared, r_squared, predictors, reason)


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


def consistency_index(tau: ArrayLike, band: ArrayLike) -> Value:
    """Expected share (percent) of locations whose true score lies within ±band of the brand.

    Under the normal random-effects model, true location scores ~ Normal(brand, tau²), so::

        index = 100 (2 Phi(band / tau) - 1)

    tau is the true-score SD between locations (sampling noise removed, e.g. sqrt of the
    DerSimonian-Laird tau², in the units of ``band``: NPS points, stars ...). tau = 0 gives 100;
    tau = band gives 68.3. nan tau gives nan.

    Examples
    --------
    >>> round(consistency_index(5.0, 5.0), 2), consistency_index(0.0, 5.0)
    (68.27, 100.0)
    """
    tau, band = np.asarray(tau, dtype=float), np.asarray(band, dtype=float)
    if np.any(tau < 0):
        raise ValueError("tau must not be negative")
    if np.any(~(band > 0)):
        raise ValueError("band must be positive, e.g. 5 (NPS points) or 0.2 (stars)")
    with np.errstate(divide="ignore"):
        return _scalar(100 * (2 * stats.norm.cdf(band / tau) - 1))
