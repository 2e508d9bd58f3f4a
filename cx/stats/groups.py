"""Many groups at once: rank and variance tests across groups, and comparing many locations
(random-effects pooling, shrinkage, funnel plots, rank intervals, false discovery rate)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from cx.stats._common import Value, _midranks, _nonnegative, _pack, _scalar, _z

RANDOM_EFFECTS = "random effects"
PLAIN_LIMITS = "binomial/normal"


# --- Results --------------------------------------------------------------------------------------


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


# --- Ordinal scales from counts -------------------------------------------------------------------


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


# --- Comparing many locations ---------------------------------------------------------------------


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
