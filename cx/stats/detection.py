"""Has a location changed? Control charts and a changepoint on a location's period-by-period values.

A location's metric for period t, y_t, rests on n_t responses, so its noise shrinks as n_t grows. The
charts therefore run on standardised values

    x_t = (y_t - theta_0) / s(n_t),    s(n_t) = sqrt(sigma^2 / n_t),

which have mean 0 and standard deviation 1 while the location is in control (theta_0 is the target or
baseline level, sigma^2 the variance of one response). Two charts are offered:

* :func:`ewma_chart`, the exponentially weighted moving average with exact time-varying limits
  (Montgomery, *Introduction to Statistical Quality Control*, 7th ed., Wiley 2013, section 9.2);
* :func:`cusum_chart`, the tabular two-sided CUSUM (Page 1954, *Biometrika* 41:100; Montgomery
  section 9.1), which also estimates when the change began.

When many locations are watched at once, the limits are widened so that the false alarms across all of
them stay about as rare as for one chart (the ``series`` argument). After a signal, :func:`changepoint`
locates a single shift in mean and tests it, and :func:`is_ongoing` says whether the latest periods are
still at the new level.

All functions are pure numpy/scipy. ``nan`` periods (no responses) are skipped: the charts carry their
statistic forward and never signal there. Bad arguments raise ``ValueError``; a series too short for a
result gives ``None``/``nan`` and a ``reason``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

# Decision interval of a single two-sided CUSUM with k = 0.5 (Montgomery section 9.1.3: h = 5 gives an
# in-control ARL of about 465 periods).
CUSUM_H_SINGLE = 5.0


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EwmaChart:
    """An EWMA chart: statistic z_t, its limits, where it signals and the first signal.

    ``statistic``, ``upper``, ``lower`` and ``signal`` have the length of the input; they are ``nan``
    (``False`` for ``signal``) before the first observed period. ``first_signal`` is the index of the
    first period outside the limits, or ``None``. ``lam`` and ``L`` are the settings used.
    """

    statistic: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    signal: np.ndarray
    first_signal: int | None
    lam: float
    L: float


@dataclass(frozen=True, eq=False)
class CusumChart:
    """A two-sided tabular CUSUM: the upper and lower sums, where they signal and when the change began.

    ``upper`` is C+_t (accumulates upward deviations), ``lower`` is C-_t (downward deviations; both are
    non-negative). ``signal`` is ``True`` where either exceeds ``h``. For the first signal,
    ``direction`` is ``"up"`` or ``"down"`` and ``change_start`` is the first period of the run in
    which that sum has been above zero, i.e. one after the last period where it was zero (Montgomery's
    estimate); all three are ``None`` without a signal.
    """

    upper: np.ndarray
    lower: np.ndarray
    signal: np.ndarray
    first_signal: int | None
    change_start: int | None
    direction: str | None
    k: float
    h: float


@dataclass(frozen=True, eq=False)
class Changepoint:
    """A single shift in mean: where it happens and how big it is, with a permutation p-value.

    ``index`` is the first period of the new level (positions refer to the input, ``nan`` periods
    included), or ``None`` when no split could be made; ``reason`` then says why.
    """

    index: int | None
    before_mean: float
    after_mean: float
    statistic: float
    p_value: float
    reason: str


# --- Standardising ------------------------------------------------------------------------------


def standardise(values: ArrayLike, n: ArrayLike, target: ArrayLike, unit_variance: ArrayLike) -> np.ndarray:
    """Standardise period values by their sampling error: x_t = (y_t - target) / sqrt(sigma^2 / n_t).

    Parameters
    ----------
    values : array_like
        Period values y_t (e.g. a location's weekly mean or NPS).
    n : array_like
        Responses behind each value, n_t >= 0.
    target : float or array_like
        In-control level theta_0 (a target, or the location's baseline mean).
    unit_variance : float or array_like
        Variance of one response, sigma^2 > 0 (for NPS in points: 10^4 (p + d - (p - d)^2)).

    Returns
    -------
    numpy.ndarray
        x_t, mean 0 and standard deviation 1 in control; ``nan`` where n_t = 0 or y_t is ``nan``.

    References
    ----------
    Montgomery, D. C. (2013). *Introduction to Statistical Quality Control*, 7th ed., Wiley,
    section 6.2 (charts with variable sample size: standardised values).

    Examples
    --------
    >>> standardise([7.5, 8.0], [25, 0], target=7.0, unit_variance=4.0)
    array([1.25,  nan])
    """
    y = np.asarray(values, dtype=float)
    n_t = np.asarray(n, dtype=float)
    theta = np.asarray(target, dtype=float)
    var = np.asarray(unit_variance, dtype=float)
    try:
        y, n_t, theta, var = np.broadcast_arrays(y, n_t, theta, var)
    except ValueError as exc:
        raise ValueError(
            f"values {y.shape}, n {n_t.shape}, target {theta.shape} and unit_variance {var.shape} "
            "must have matching shapes."
        ) from exc
    if np.any(n_t < 0):
        raise ValueError("Response counts n must be non-negative.")
    if np.any(var <= 0):
        raise ValueError("unit_variance must be positive (the variance of one response).")
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (y - theta) / np.sqrt(var / n_t)
    return np.where(n_t > 0, x, np.nan)


def _series(x: ArrayLike) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"Expected one series of period values (1-D), got shape {arr.shape}.")
    return arr


def _check_series_count(series: int) -> None:
    if int(series) != series or series < 1:
        raise ValueError(f"series is the number of locations monitored together, at least 1; got {series}.")


# --- EWMA ---------------------------------------------------------------------------------------


def ewma_limit_width(false_alarm: float = 0.0027, series: int = 1) -> float:
    """Width L of EWMA limits, in standard deviations of z_t, for a per-point false-alarm probability.

    L = Phi^{-1}(1 - false_alarm / (2 * series)): a two-sided normal tail of ``false_alarm`` per point,
    Bonferroni-adjusted for ``series`` locations plotted at once, so the chance that *any* of them is
    outside its limits at a given period stays at most ``false_alarm``. With the defaults L = 3.00.

    Because z_t is autocorrelated, this fixes the per-point probability, not the run length; for
    lambda = 0.2, L = 3 with the exact limits the in-control average run length is about 550 periods
    (by simulation; compare Montgomery Table 9.11).
    """
    if not 0 < false_alarm < 1:
        raise ValueError(f"false_alarm is a probability in (0, 1); got {false_alarm}.")
    _check_series_count(series)
    return float(stats.norm.isf(false_alarm / (2 * series)))


def ewma_chart(
    x: ArrayLike, *, lam: float = 0.2, L: float | None = None, false_alarm: float = 0.0027, series: int = 1
) -> EwmaChart:
    """EWMA control chart on standardised values, with exact time-varying limits.

    z_t = lam * x_t + (1 - lam) * z_{t-1}, z_0 = 0, and limits

        +/- L * sqrt(lam / (2 - lam) * (1 - (1 - lam)^(2 t))),

    where t counts observed periods (``nan`` periods are skipped: z is carried forward, the limits
    stay, and no signal is raised there). A period signals when z_t is outside its limits.

    Parameters
    ----------
    x : array_like
        Standardised period values (mean 0, sd 1 in control), e.g. from :func:`standardise`.
    lam : float
        Smoothing weight in (0, 1]; 0.05-0.25 suits small shifts (Montgomery recommends 0.1-0.2).
    L : float, optional
        Limit width. When ``None``, L = Phi^{-1}(1 - false_alarm / (2 * series)) (see
        :func:`ewma_limit_width`): the per-point two-sided false-alarm probability, Bonferroni-adjusted
        for ``series`` locations monitored at once.
    false_alarm : float
        Per-point false-alarm probability across all monitored series (default 0.0027, the 3-sigma rate).
    series : int
        Number of locations monitored at once.

    Returns
    -------
    EwmaChart
        ``statistic``, ``upper``, ``lower``, ``signal``, ``first_signal``, and the ``lam`` and ``L`` used.

    References
    ----------
    Roberts, S. W. (1959). Control chart tests based on geometric moving averages. *Technometrics* 1:239.
    Montgomery, D. C. (2013). *Introduction to Statistical Quality Control*, 7th ed., section 9.2,
    equations 9.22-9.25.

    Examples
    --------
    >>> ewma_chart([1.0, 2.0], lam=0.2, L=3.0).statistic
    array([0.2 , 0.56])
    """
    arr = _series(x)
    if not 0 < lam <= 1:
        raise ValueError(f"lam is a smoothing weight in (0, 1]; got {lam}.")
    if L is None:
        L = ewma_limit_width(false_alarm, series)
    elif L <= 0:
        raise ValueError(f"L is a limit width in standard deviations and must be positive; got {L}.")
    observed = ~np.isnan(arr)
    t = np.cumsum(observed)  # observed periods so far
    statistic = np.full(arr.shape, np.nan)
    z = 0.0
    for i in range(arr.size):
        if observed[i]:
            z = lam * arr[i] + (1 - lam) * z
        if t[i] > 0:
            statistic[i] = z
    with np.errstate(invalid="ignore"):
        width = L * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    width = np.where(t > 0, width, np.nan)
    with np.errstate(invalid="ignore"):
        signal = observed & (np.abs(statistic) > width)
    return EwmaChart(
        statistic=statistic,
        upper=width,
        lower=-width,
        signal=signal,
        first_signal=_first(signal),
        lam=float(lam),
        L=float(L),
    )


def _first(signal: np.ndarray) -> int | None:
    hits = np.flatnonzero(signal)
    return int(hits[0]) if hits.size else None


# --- CUSUM --------------------------------------------------------------------------------------


def cusum_in_control_arl(k: float = 0.5, h: float = CUSUM_H_SINGLE) -> float:
    """In-control average run length of a two-sided tabular CUSUM (Siegmund's approximation).

    One side: ARL = (exp(2 k b) - 2 k b - 1) / (2 k^2) with b = h + 1.166 (and b^2 when k = 0); the two
    sides together: 1/ARL = 1/ARL+ + 1/ARL-, i.e. half of one side.
    k = 0.5 gives 169 periods for h = 4 and 469 for h = 5 (Montgomery Table 9.3, exact: 168 and 465).

    References
    ----------
    Siegmund, D. (1985). *Sequential Analysis*. Springer. Montgomery (2013) section 9.1.4, eq. 9.8.
    """
    if k < 0 or h <= 0:
        raise ValueError(f"Need k >= 0 and h > 0; got k={k}, h={h}.")
    b = h + 1.166
    one_side = b**2 if k == 0 else (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k**2)
    return one_side / 2


def cusum_decision_interval(k: float = 0.5, series: int = 1) -> float:
    """Decision interval h for ``series`` locations monitored at once.

    One location: h is chosen so the in-control ARL equals that of the textbook chart with k = 0.5,
    h = 5 (about 465 periods; for k = 0.5 this gives exactly h = 5). For ``series`` locations, h is
    raised until each chart's in-control ARL is ``series`` times that, so that false alarms across all
    locations arrive about as rarely as on one chart (a Bonferroni rule on the run-length scale; ARLs
    from :func:`cusum_in_control_arl`). For k = 0.5: h = 5.0 (1 series), 7.3 (10), 8.9 (50).
    """
    _check_series_count(series)
    if k < 0:
        raise ValueError(f"k must be non-negative; got {k}.")
    target = series * cusum_in_control_arl(0.5, CUSUM_H_SINGLE)
    high = 10.0
    while cusum_in_control_arl(k, high) < target:
        high *= 2
    return float(optimize.brentq(lambda h: cusum_in_control_arl(k, h) - target, 1e-6, high))


def cusum_chart(x: ArrayLike, *, k: float = 0.5, h: float | None = None, series: int = 1) -> CusumChart:
    """Two-sided tabular CUSUM on standardised values, with an estimate of when the change began.

    C+_t = max(0, x_t - k + C+_{t-1}),  C-_t = max(0, -x_t - k + C-_{t-1}),  C+_0 = C-_0 = 0.

    A period signals when C+_t > h or C-_t > h. For the first signal, the change is estimated to have
    started in the period after the last one where the signalling sum was zero (Montgomery: the process
    shifted after period i - N, N the number of consecutive periods the sum has been non-zero).
    ``nan`` periods are skipped: the sums are carried forward and no signal is raised there.

    Parameters
    ----------
    x : array_like
        Standardised period values (mean 0, sd 1 in control), e.g. from :func:`standardise`.
    k : float
        Reference value in standard deviations, half the shift to detect quickly (0.5 for a 1-sd shift).
    h : float, optional
        Decision interval. When ``None``: :func:`cusum_decision_interval` (5 for one location with
        k = 0.5, raised for many locations so their combined false alarms stay as rare as one chart's).
    series : int
        Number of locations monitored at once (used only when ``h`` is ``None``).

    Returns
    -------
    CusumChart
        ``upper`` (C+), ``lower`` (C-), ``signal``, ``first_signal``, ``change_start``, ``direction``,
        and the ``k`` and ``h`` used.

    References
    ----------
    Page, E. S. (1954). Continuous inspection schemes. *Biometrika* 41:100-115.
    Montgomery, D. C. (2013). *Introduction to Statistical Quality Control*, 7th ed., section 9.1,
    equations 9.2-9.3 and the change-point estimate in section 9.1.2.

    Examples
    --------
    >>> cusum_chart([0.0, 1.5, 2.5], k=0.5, h=4.0).upper
    array([0., 1., 3.])
    """
    arr = _series(x)
    if k < 0:
        raise ValueError(f"k must be non-negative; got {k}.")
    if h is None:
        h = cusum_decision_interval(k, series)
    elif h <= 0:
        raise ValueError(f"h must be positive; got {h}.")
    upper = np.zeros(arr.shape)
    lower = np.zeros(arr.shape)
    observed = ~np.isnan(arr)
    c_up = c_down = 0.0
    for i in range(arr.size):
        if observed[i]:
            c_up = max(0.0, arr[i] - k + c_up)
            c_down = max(0.0, -arr[i] - k + c_down)
        upper[i], lower[i] = c_up, c_down
    signal = observed & ((upper > h) | (lower > h))
    first = _first(signal)
    change_start = direction = None
    if first is not None:
        direction = "up" if upper[first] - h >= lower[first] - h else "down"
        side = upper if direction == "up" else lower
        zeros = np.flatnonzero(side[: first + 1] == 0)
        change_start = int(zeros[-1]) + 1 if zeros.size else 0
    return CusumChart(
        upper=upper,
        lower=lower,
        signal=signal,
        first_signal=first,
        change_start=change_start,
        direction=direction,
        k=float(k),
        h=float(h),
    )


# --- Changepoint --------------------------------------------------------------------------------


def _split_statistic(y: np.ndarray, w: np.ndarray, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Within-segment weighted SSE for every split, rows = series (2-D ``y``), plus the total SSE."""
    sw = np.cumsum(w, axis=-1)
    swy = np.cumsum(w * y, axis=-1)
    swy2 = np.cumsum(w * y * y, axis=-1)
    total_w, total_wy, total_wy2 = sw[..., -1:], swy[..., -1:], swy2[..., -1:]
    # split after position j (0-based), j = min_size - 1 .. N - min_size - 1
    cut = slice(min_size - 1, y.shape[-1] - min_size)
    w1, wy1, wy21 = sw[..., cut], swy[..., cut], swy2[..., cut]
    w2, wy2, wy22 = total_w - w1, total_wy - wy1, total_wy2 - wy21
    sse = (wy21 - wy1**2 / w1) + (wy22 - wy2**2 / w2)
    sse0 = total_wy2[..., 0] - total_wy[..., 0] ** 2 / total_w[..., 0]
    return np.maximum(sse, 0.0), np.maximum(sse0, 0.0)


def changepoint(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    min_size: int = 2,
    permutations: int = 999,
    seed: int = 0,
) -> Changepoint:
    """Single shift in mean: the split that best separates the series into two levels, and its p-value.

    For every split with at least ``min_size`` observed periods on each side, the within-segment
    weighted sum of squares is

        S(tau) = sum_{t < tau} w_t (y_t - ybar_1)^2 + sum_{t >= tau} w_t (y_t - ybar_2)^2,

    with weighted segment means ybar_1, ybar_2. The estimate tau minimises S, which maximises the
    Gaussian two-segment likelihood ratio; the statistic is that likelihood-ratio statistic,
    N log(S_0 / S(tau)), S_0 the sum of squares about the overall weighted mean and N the number of
    observed periods (``inf`` for a perfect step).

    The p-value is by permutation: the (value, weight) pairs are shuffled ``permutations`` times with a
    fixed ``seed`` (reproducible), the maximum statistic is recomputed each time, and
    p = (1 + #{permuted >= observed}) / (1 + permutations). It is exact under exchangeability of the
    periods when there is no change; it ignores autocorrelation (e.g. seasonality), which makes it
    too small when the periods are positively correlated.

    Parameters
    ----------
    values : array_like
        Period values; ``nan`` periods are left out (positions still refer to the input).
    weights : array_like, optional
        Non-negative weights, typically the responses n_t (inverse-variance weights); periods with
        weight 0 are left out. Default: equal weights.
    min_size : int
        Minimum observed periods on each side of the split (at least 2).
    permutations : int
        Number of permutations for the p-value (0 skips the test: ``p_value`` is ``nan``).
    seed : int
        Seed of the permutation generator.

    Returns
    -------
    Changepoint
        ``index`` (first period of the new level), ``before_mean``, ``after_mean``, ``statistic``,
        ``p_value`` and ``reason`` (``""`` when computed).

    References
    ----------
    Hinkley, D. V. (1970). Inference about the change-point in a sequence of random variables.
    *Biometrika* 57:1-17. Good, P. (2005). *Permutation, Parametric and Bootstrap Tests of Hypotheses*,
    3rd ed., Springer (permutation p-value with the +1 correction).

    Examples
    --------
    >>> changepoint([1.0, 1.2, 0.9, 1.1, 3.0, 3.1, 2.9, 3.2], permutations=0).index
    4
    """
    y = _series(values)
    w = _changepoint_weights(y, weights, min_size, permutations)
    keep = np.flatnonzero(~np.isnan(y) & ~np.isnan(w) & (w > 0))
    if keep.size < 2 * min_size:
        return Changepoint(
            None, math.nan, math.nan, math.nan, math.nan, f"needs at least {2 * min_size} observed periods"
        )
    yk, wk = y[keep], w[keep]
    sse, sse0 = _split_statistic(yk, wk, min_size)
    if sse0 <= 1e-12 * max(1.0, float(np.sum(wk * yk**2))):
        return Changepoint(None, math.nan, math.nan, math.nan, math.nan, "no variation")
    best = int(np.argmin(sse))
    split = best + min_size  # first kept position of the after segment
    n_obs = keep.size
    with np.errstate(divide="ignore"):
        statistic = float(n_obs * np.log(sse0 / sse[best]))
    before = float(np.average(yk[:split], weights=wk[:split]))
    after = float(np.average(yk[split:], weights=wk[split:]))
    p_value = (
        _permutation_p_value(yk, wk, min_size, statistic, permutations, seed) if permutations else math.nan
    )
    return Changepoint(int(keep[split]), before, after, statistic, p_value, "")


def _changepoint_weights(
    y: np.ndarray, weights: ArrayLike | None, min_size: int, permutations: int
) -> np.ndarray:
    """The weights of :func:`changepoint` (equal by default), after checking its arguments."""
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != y.shape:
        raise ValueError(f"weights {w.shape} must have the shape of values {y.shape}.")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative.")
    if int(min_size) != min_size or min_size < 2:
        raise ValueError(f"min_size must be an integer of at least 2; got {min_size}.")
    if permutations < 0:
        raise ValueError(f"permutations must be non-negative; got {permutations}.")
    return w


def _permutation_p_value(
    yk: np.ndarray, wk: np.ndarray, min_size: int, statistic: float, permutations: int, seed: int
) -> float:
    """(1 + #{permuted statistic >= observed}) / (1 + permutations), shuffling (value, weight) pairs."""
    n_obs = yk.size
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((permutations, n_obs)), axis=1)
    perm_sse, perm_sse0 = _split_statistic(yk[order], wk[order], min_size)
    with np.errstate(divide="ignore"):
        perm_stat = n_obs * np.log(perm_sse0 / perm_sse.min(axis=1))
    # tolerance so ties with the observed split (up to rounding) count as at least as extreme
    tolerance = 1e-9 * max(1.0, abs(statistic)) if math.isfinite(statistic) else 0.0
    exceed = np.sum(perm_stat >= statistic - tolerance)
    return float((1 + exceed) / (1 + permutations))


@dataclass(frozen=True, eq=False)
class ShiftScan:
    """Where several independent measurements of one series shift together, and how surely.

    ``index`` is the first period of the new level (or ``None``, with a ``reason``), ``z`` the combined
    standardised shift there (signed: negative for a drop) and ``p_value`` the permutation p-value of
    the largest |z| over all splits (``nan`` when not computed).
    """

    index: int | None
    z: float
    p_value: float
    reason: str


def _split_z(r: np.ndarray, w: np.ndarray, min_size: int, floor: bool) -> np.ndarray:
    """Combined z for a split before each period; ``r, w`` are (..., parts, periods)."""
    totals = [np.moveaxis(t, (-1, -2), (0, 1)) for t in _totals(r, w)]
    return np.moveaxis(_split_z_of(totals, np.moveaxis(_spread(r, w), -1, 0), min_size, floor), 0, -1)


def _observed(r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals and inverse-variance weights, both 0 where a period is missing (no residual or no
    positive variance)."""
    ok = np.isfinite(r) & np.isfinite(v) & (v > 0)
    return np.where(ok, r, 0.0), np.where(ok, 1 / np.where(ok, v, 1.0), 0.0)


def _totals(r: np.ndarray, w: np.ndarray, dtype=float) -> list[np.ndarray]:
    """Each period's weight, weighted value and 1 where observed (shapes of ``r``)."""
    return [np.asarray(t, dtype=dtype) for t in (w, w * r, w > 0)]


def _spread(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each part's weighted chi-square about its own weighted mean, Q = sum w r^2 - (sum w r)^2 / sum w
    (the same in every order of the periods); ``r, w`` are (..., parts, periods)."""
    weight = w.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_square = np.where(weight > 0, (w * r).sum(axis=-1) ** 2 / weight, 0.0)
    return np.maximum((w * r * r).sum(axis=-1) - mean_square, 0.0)


def _z_bound(r: np.ndarray, w: np.ndarray, min_size: int) -> np.ndarray:
    """Per series of (series, parts, periods), a bound on the |z| of :func:`_split_z` (dispersion
    floored at 1) at any split under any order of the periods. A part's squared z is at most its
    between-split chi-square, which is at most its :func:`_spread` Q; Stouffer's sum over the k parts
    that count is then at most the sum of the k largest sqrt(Q) over sqrt(k)."""
    observed = (w > 0).sum(axis=-1)
    root = np.where(observed >= 2 * min_size, np.sqrt(_spread(r, w)), 0.0)
    largest = -np.sort(-root, axis=-1)
    counted = np.sqrt(np.arange(1, r.shape[1] + 1))
    return (np.cumsum(largest, axis=-1) / counted).max(axis=-1, initial=0.0)


def _running_sums(values: np.ndarray) -> np.ndarray:
    """Cumulative sums over the first axis, one whole block at a time (numpy's cumsum along a leading
    axis is about ten times slower)."""
    sums = np.array(values, order="C")
    for i in range(1, len(sums)):
        np.add(sums[i - 1], sums[i], out=sums[i])
    return sums


def _split_z_of(totals: list[np.ndarray], spread: np.ndarray, min_size: int, floor: bool) -> np.ndarray:
    """:func:`_split_z` from the :func:`_totals` laid out (periods, parts, ...) and the :func:`_spread`
    (parts, ...); gives (periods - 1, ...). With W, S the totals and w1, s1 those before the split, the
    shift m2 - m1 over its standard error is (S w1 - W s1) / sqrt(w1 (W - w1) W), its square the
    between-split chi-square B, and Q - B the chi-square about the two levels. Periods first: the
    running sums and the sums over parts add whole blocks."""
    w, s, o = map(_running_sums, totals)
    weight, total, count = w[-1], s[-1], o[-1]
    w1, s1, o1 = w[:-1], s[:-1], o[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):  # in place: the arrays are large
        shift = total * w1
        shift -= weight * s1
        scale = weight - w1
        scale *= w1
        scale *= weight
        error = np.square(shift)
        error /= scale
        np.subtract(spread, error, out=error)  # chi-square about the two levels
        np.maximum(error, 0.0, out=error)
        error /= np.maximum(count - 2, 1)  # the dispersion
        if floor:
            np.maximum(error, 1.0, out=error)
        error *= scale
        z = np.divide(shift, np.sqrt(error, out=error), out=shift)
    left_out = (o1 < min_size) | (o1 > count - min_size) | ~np.isfinite(z)
    np.copyto(z, 0.0, where=left_out)
    parts = z.shape[1] - left_out.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        combined = z.sum(axis=1) / np.sqrt(parts)
    return np.where(parts > 0, combined, np.nan)


def shift_z(
    residuals: ArrayLike, variances: ArrayLike, *, min_size: int = 2, known_variance: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The estimate of :func:`shift_scan`, without its permutation p, for many series at once.

    ``residuals`` and ``variances`` are (series, parts, periods). Returns per series the first period
    of the new level (-1 when no split has ``min_size`` observed periods each side) and the combined z
    there (``nan`` then): what :func:`shift_scan` gives for each series on its own.
    """
    r, w = _observed(np.asarray(residuals, dtype=float), np.asarray(variances, dtype=float))
    z = _split_z(r, w, min_size, known_variance)
    size = np.where(np.isfinite(z), np.abs(z), -1.0)
    best = size.argmax(axis=-1)  # the first of equal |z|, as in shift_scan
    found = size.max(axis=-1) >= 0
    at_best = np.take_along_axis(z, best[..., None], axis=-1)[..., 0]
    return np.where(found, best + 1, -1), np.where(found, at_best, np.nan)


def shift_scan(
    residuals: ArrayLike,
    variances: ArrayLike,
    *,
    min_size: int = 2,
    permutations: int = 499,
    seed: int = 0,
    known_variance: bool = True,
) -> ShiftScan:
    """Single shift in mean read from several independent measurements of the same periods at once.

    ``residuals[j, t]`` is measurement j in period t (e.g. a store's NPS minus the brand's, and its
    top-2-box minus the brand's), ``variances[j, t]`` its sampling variance (``nan`` or a missing
    residual leaves the period out of that measurement). For a split before period tau each
    measurement gives the standardised shift of inverse-variance weighted means,

        z_j(tau) = (m_after - m_before) / sqrt(1 / W_before + 1 / W_after),

    divided by sqrt(phi_j), phi_j = max(1, X^2 / (periods - 2)) with X^2 the weighted squared residuals
    about the two levels: a quasi-likelihood dispersion factor that discounts periods varying more than
    sampling alone explains (McCullagh & Nelder 1989, section 4.5). Measurements with at least
    ``min_size`` observed periods each side combine by Stouffer's sum, z(tau) = sum_j z_j / sqrt(J)
    (Stouffer et al. 1949; Whitlock 2005, *J. Evol. Biol.* 18:1368). The estimate is the split with
    the largest |z|; its p-value is by permutation of whole periods (all measurements together),
    p = (1 + #{max |z| permuted >= observed}) / (1 + permutations) (Good 2005).

    With ``known_variance=False`` the variances are only relative weights and phi is estimated
    without the floor (a t-like statistic, e.g. for revenue per day).

    Examples
    --------
    >>> scan = shift_scan([[0, 0, 0, -5, -5, -5], [0, 0, 0, -2, -2, -2]], [[4] * 6, [1] * 6], permutations=0)
    >>> scan.index, round(scan.z, 3)
    (3, -3.897)
    """
    r = np.atleast_2d(np.asarray(residuals, dtype=float))
    v = np.atleast_2d(np.asarray(variances, dtype=float))
    if r.shape != v.shape or r.ndim != 2:
        raise ValueError(
            f"residuals {r.shape} and variances {v.shape} must be the same (parts, periods) shape."
        )
    if int(min_size) != min_size or min_size < 1:
        raise ValueError(f"min_size must be a positive integer; got {min_size}.")
    if permutations < 0:
        raise ValueError(f"permutations must be non-negative; got {permutations}.")
    r, w = _observed(r, v)
    z = _split_z(r, w, min_size, known_variance)
    if not np.isfinite(z).any():
        return ShiftScan(None, math.nan, math.nan, f"needs at least {min_size} observed periods each side")
    best = int(np.nanargmax(np.abs(z)))
    observed = float(z[best])
    p_value = math.nan
    if permutations:
        order = np.argsort(np.random.default_rng(seed).random((permutations, r.shape[1])), axis=1)
        shuffled = _split_z(
            r[:, order].transpose(1, 0, 2), w[:, order].transpose(1, 0, 2), min_size, known_variance
        )
        with np.errstate(invalid="ignore"):
            extreme = np.nanmax(np.abs(np.where(np.isfinite(shuffled), shuffled, 0.0)), axis=1)
        exceed = np.sum(extreme >= abs(observed) * (1 - 1e-9))
        p_value = float((1 + exceed) / (1 + permutations))
    return ShiftScan(best + 1, observed, p_value, "")


def max_shift_p(
    stacks: list[tuple[ArrayLike, ArrayLike]],
    observed: float,
    *,
    min_size: int = 2,
    permutations: int = 999,
    seed: int = 0,
    known_variance: bool = True,
) -> float:
    """P-value of the largest |z| of :func:`shift_z` found over many series searched together,
    adjusted for that search: Westfall & Young's single-step max-T (*Resampling-Based Multiple
    Testing*, Wiley 1993, section 2.6). Each random order of the periods is applied to every series at
    once (so their correlation is kept) and the largest |z| over all series and splits is taken;

        p = (1 + #{permuted max |z| >= observed}) / (1 + permutations).

    Unlike a Bonferroni bound it needs no more permutations as the number of series grows.
    ``stacks``: (residuals, variances) arrays of (series, parts, periods) with the same periods (the
    series of one stack have as many parts). Sequential (Besag & Clifford 1991, *Biometrika* 78:301):
    once as many permuted maxima reach ``observed`` as would already make p > 0.05, it stops and gives
    h / L (h such maxima out of the first L orders).
    """
    totals, spreads, periods = [], [], set()  # per stack, (periods, parts, series) in single precision
    for residuals, variances in stacks:
        r, w = _observed(np.asarray(residuals, dtype=float), np.asarray(variances, dtype=float))
        periods.add(r.shape[-1])
        if known_variance:  # series that no order can lift to the observed |z| are left out
            keep = _z_bound(r, w, min_size) * (1 + 1e-4) >= observed * (1 - 1e-5)
            r, w = r[keep], w[keep]
        spreads.append(_spread(r, w).astype(np.float32).T[:, None])  # (parts, 1, series)
        totals.append([np.ascontiguousarray(t.transpose(2, 1, 0)) for t in _totals(r, w, np.float32)])
    if len(periods) != 1:
        raise ValueError(f"every stack needs the same periods; got {sorted(periods)}.")
    if not any(t[0].size for t in totals):
        return 1 / (1 + permutations)
    count = periods.pop()
    rng = np.random.default_rng(seed)
    enough = math.ceil(0.05 * (1 + permutations))  # this many exceedances: p > 0.05 whatever follows
    exceed = 0
    at_once = max(1, ELEMENTS_AT_ONCE // sum(t[0].size for t in totals))
    for first in range(0, permutations, at_once):
        orders = np.argsort(rng.random((min(at_once, permutations - first), count)), axis=1)
        largest = np.zeros(len(orders))
        for stack, spread in zip(totals, spreads, strict=True):  # shuffled: (periods, parts, orders, series)
            z = _split_z_of([np.moveaxis(t[orders], 0, 2) for t in stack], spread, min_size, known_variance)
            z = np.abs(np.where(np.isfinite(z), z, 0.0))  # (periods - 1, orders, series)
            largest = np.maximum(largest, z.max(axis=(0, 2), initial=0.0))
        hits = np.cumsum(largest >= observed * (1 - 1e-5)) + exceed  # ties, to single precision
        if hits[-1] >= enough:
            return enough / (first + 1 + int(np.argmax(hits >= enough)))
        exceed = int(hits[-1])
    return (1 + exceed) / (1 + permutations)


ELEMENTS_AT_ONCE = 2_000_000  # random orders scanned together: numpy's speed within the CPU caches


def is_ongoing(
    values: ArrayLike,
    index: int | None,
    *,
    weights: ArrayLike | None = None,
    last: int = 3,
    fraction: float = 0.5,
) -> bool:
    """Whether the latest periods are still away from the level before a change at ``index``.

    Rule: with the weighted means before (periods < ``index``) and after (periods >= ``index``) and the
    shift = after - before, the change is ongoing when the weighted mean of the last ``last`` observed
    periods after the change has moved from the before level, in the direction of the shift, by more
    than ``fraction`` of the shift:

        sign(shift) * (recent - before) > fraction * |shift|.

    With ``fraction = 0.5`` the recent level is nearer the new level than the old one. ``False`` when
    ``index`` is ``None``, there is no observed period on one side, or the shift is zero.

    Parameters
    ----------
    values : array_like
        Period values (``nan`` periods are left out).
    index : int or None
        First period of the new level, e.g. ``changepoint(values).index``.
    weights : array_like, optional
        Non-negative weights (the responses n_t); default equal weights.
    last : int
        Number of latest observed periods that make up the recent level (fewer if the change is newer).
    fraction : float
        Share of the shift the recent level must still show, in [0, 1].
    """
    y = _series(values)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != y.shape:
        raise ValueError(f"weights {w.shape} must have the shape of values {y.shape}.")
    if last < 1:
        raise ValueError(f"last must be at least 1; got {last}.")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1]; got {fraction}.")
    if index is None:
        return False
    if not 0 <= index < y.size:
        raise ValueError(f"index {index} is outside the series of length {y.size}.")
    ok = ~np.isnan(y) & ~np.isnan(w) & (w > 0)
    pos = np.arange(y.size)
    before_mask, after_mask = ok & (pos < index), ok & (pos >= index)
    if not before_mask.any() or not after_mask.any():
        return False
    before = np.average(y[before_mask], weights=w[before_mask])
    after = np.average(y[after_mask], weights=w[after_mask])
    shift = after - before
    if shift == 0:
        return False
    recent_idx = np.flatnonzero(after_mask)[-last:]
    recent = np.average(y[recent_idx], weights=w[recent_idx])
    return bool(np.sign(shift) * (recent - before) > fraction * abs(shift))
