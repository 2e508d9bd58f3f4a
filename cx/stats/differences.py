"""Two-group tests: NPS and proportions (z-tests), means (Welch), ordinal scales (Mann-Whitney)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from cx.stats._common import Reason, Value, _midranks, _nonnegative, _pack, _reasons, _z
from cx.stats.intervals import wilson_interval

# --- Results --------------------------------------------------------------------------------------


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
class MannWhitneyResult:
    """U of the first group, two-sided p, P(A > B) + P(A = B)/2, and the group sizes."""

    statistic: float
    p_value: float
    prob_superiority: float
    n_a: float
    n_b: float
    reason: str


# --- NPS ------------------------------------------------------------------------------------------


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


# --- Proportions ----------------------------------------------------------------------------------


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


# --- Means ----------------------------------------------------------------------------------------


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
    sample variance (denominator n - 1), e.g. from :func:`~cx.stats.intervals.group_moments`.

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


# --- Ordinal scales from counts -------------------------------------------------------------------


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
