"""``cx.stats.detection`` against hand-worked numbers (the arithmetic in the comments) and textbook values,
plus seeded simulations: a shifted series is found near its shift, in-control series rarely signal,
``nan`` periods are skipped and series too short for a result give ``None``/``nan``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cx.stats.detection import (
    changepoint,
    cusum_chart,
    cusum_decision_interval,
    cusum_in_control_arl,
    ewma_chart,
    ewma_limit_width,
    is_ongoing,
    shift_scan,
    standardise,
)


def shifted_series(seed: int, length: int = 48, at: int = 30, shift: float = 1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(length)
    x[at:] += shift
    return x


# --- standardise --------------------------------------------------------------------------------


def test_standardise_hand_worked():
    # (7.5 - 7) / sqrt(4 / 25) = 0.5 / 0.4 = 1.25;  (6 - 7) / sqrt(4 / 100) = -1 / 0.2 = -5;  n = 0 -> nan
    x = standardise([7.5, 6.0, 8.0], [25, 100, 0], target=7.0, unit_variance=4.0)
    np.testing.assert_allclose(x, [1.25, -5.0, np.nan])


def test_standardise_rejects_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        standardise([1.0], [-1], target=0.0, unit_variance=1.0)
    with pytest.raises(ValueError, match="positive"):
        standardise([1.0], [1], target=0.0, unit_variance=0.0)
    with pytest.raises(ValueError, match="matching shapes"):
        standardise([1.0, 2.0], [1, 2, 3], target=0.0, unit_variance=1.0)


# --- EWMA ---------------------------------------------------------------------------------------


def test_ewma_statistic_hand_worked():
    # lam = 0.2, z_0 = 0:
    # z1 = 0.2*1    + 0.8*0      = 0.2
    # z2 = 0.2*2    + 0.8*0.2    = 0.4  + 0.16   = 0.56
    # z3 = 0.2*(-1) + 0.8*0.56   = -0.2 + 0.448  = 0.248
    # z4 = 0.2*0.5  + 0.8*0.248  = 0.1  + 0.1984 = 0.2984
    chart = ewma_chart([1.0, 2.0, -1.0, 0.5], lam=0.2, L=3.0)
    np.testing.assert_allclose(chart.statistic, [0.2, 0.56, 0.248, 0.2984])
    assert not chart.signal.any()
    assert chart.first_signal is None
    assert chart.lam == 0.2 and chart.L == 3.0


def test_ewma_limits_hand_worked():
    # t = 1: 3 sqrt(0.2/1.8 (1 - 0.8^2)) = 3 sqrt(0.1111 * 0.36) = 3 sqrt(0.04) = 0.6
    # t -> inf: 3 sqrt(0.2/1.8) = 3 / 3 = 1.0 (Montgomery eq. 9.24-9.25)
    chart = ewma_chart(np.zeros(200), lam=0.2, L=3.0)
    assert chart.upper[0] == pytest.approx(0.6)
    assert chart.lower[0] == pytest.approx(-0.6)
    # t = 2: 3 sqrt(0.2/1.8 (1 - 0.8^4)) = 3 sqrt(0.1111 * 0.5904) = 0.768375
    assert chart.upper[1] == pytest.approx(0.768375, abs=1e-6)
    assert chart.upper[-1] == pytest.approx(1.0)
    assert np.all(np.diff(chart.upper) >= 0)  # the limits widen towards the asymptote
    np.testing.assert_allclose(chart.lower, -chart.upper)


def test_ewma_signals_on_the_first_point_outside():
    # z1 = 0.2*4 = 0.8 > 0.6 (the t = 1 limit with L = 3)
    chart = ewma_chart([4.0, 0.0], lam=0.2, L=3.0)
    assert chart.signal.tolist() == [True, False]  # z2 = 0.64 < 0.768
    assert chart.first_signal == 0


def test_ewma_limit_width_bonferroni():
    # Phi^{-1}(1 - 0.0027/2) = 3.000 (the 3-sigma rate); 50 series: Phi^{-1}(1 - 0.0027/100) = 4.0376
    assert ewma_limit_width() == pytest.approx(3.0, abs=1e-4)
    assert ewma_limit_width(0.0027, 50) == pytest.approx(4.0376, abs=1e-4)
    width_50 = ewma_chart([0.0], series=50).L
    assert width_50 == pytest.approx(ewma_limit_width(0.0027, 50))
    # lam = 1 is the Shewhart chart: limits +/- L from the first point
    assert ewma_chart([0.0, 0.0], lam=1.0).upper == pytest.approx([3.0, 3.0], abs=1e-4)


def test_ewma_skips_nan():
    # nan periods carry z forward, keep the limits and never signal; leading nan: no statistic yet
    chart = ewma_chart([np.nan, 1.0, np.nan, 2.0], lam=0.2, L=3.0)
    np.testing.assert_allclose(chart.statistic, [np.nan, 0.2, 0.2, 0.56])
    np.testing.assert_allclose(chart.upper[1:], [0.6, 0.6, 0.768375], atol=1e-6)
    assert math.isnan(chart.upper[0])
    assert chart.signal.tolist() == [False, False, False, False]
    assert not ewma_chart([np.nan, 9.0, np.nan], lam=0.2, L=3.0).signal[2]


def test_ewma_too_short_and_bad_input():
    empty = ewma_chart([])
    assert empty.statistic.size == 0 and empty.first_signal is None
    all_nan = ewma_chart([np.nan, np.nan])
    assert all_nan.first_signal is None and np.isnan(all_nan.statistic).all()
    with pytest.raises(ValueError, match="lam"):
        ewma_chart([0.0], lam=0.0)
    with pytest.raises(ValueError, match="series"):
        ewma_chart([0.0], series=0)
    with pytest.raises(ValueError, match="1-D"):
        ewma_chart([[0.0, 1.0]])


# --- CUSUM --------------------------------------------------------------------------------------


def test_cusum_hand_worked():
    # k = 0.5, h = 4; x = 0.2, -1, 1.5, 2, 1, 2.5, 0
    # C+: max(0, 0.2-0.5)=0; max(0, -1.5+0)=0; 1.5-0.5=1.0; 1+1.5=2.5; 2.5+0.5=3.0; 3+2=5.0 > 4; 5-0.5=4.5
    # C-: max(0, -0.2-0.5)=0; 1-0.5=0.5; max(0, -1.5-0.5+0.5)=0; then 0 throughout
    # first signal at index 5 (C+ = 5 > 4); C+ was last zero at index 1, so the change starts at index 2
    chart = cusum_chart([0.2, -1.0, 1.5, 2.0, 1.0, 2.5, 0.0], k=0.5, h=4.0)
    np.testing.assert_allclose(chart.upper, [0, 0, 1.0, 2.5, 3.0, 5.0, 4.5])
    np.testing.assert_allclose(chart.lower, [0, 0.5, 0, 0, 0, 0, 0])
    assert chart.signal.tolist() == [False] * 5 + [True, True]
    assert chart.first_signal == 5
    assert chart.change_start == 2
    assert chart.direction == "up"


def test_cusum_downward_and_from_the_start():
    # C-: 2-0.5=1.5; 1.5+1.5=3.0; 3+2.5=5.5 > 4 at index 2, never zero since the start -> change_start 0
    chart = cusum_chart([-2.0, -2.0, -3.0], k=0.5, h=4.0)
    np.testing.assert_allclose(chart.lower, [1.5, 3.0, 5.5])
    assert (chart.first_signal, chart.change_start, chart.direction) == (2, 0, "down")


def test_cusum_decision_interval():
    # Siegmund's approximation vs Montgomery Table 9.3 (k = 0.5): ARL0 168 (h = 4), 465 (h = 5)
    assert cusum_in_control_arl(0.5, 4.0) == pytest.approx(168, rel=0.01)
    assert cusum_in_control_arl(0.5, 5.0) == pytest.approx(465, rel=0.01)
    assert cusum_decision_interval(0.5, 1) == pytest.approx(5.0)
    h50 = cusum_decision_interval(0.5, 50)
    assert cusum_in_control_arl(0.5, h50) == pytest.approx(50 * cusum_in_control_arl(0.5, 5.0))
    assert 5.0 < cusum_decision_interval(0.5, 10) < h50
    assert cusum_chart([0.0]).h == pytest.approx(5.0)
    assert cusum_chart([0.0], series=50).h == pytest.approx(h50)


def test_cusum_skips_nan_and_short_series():
    chart = cusum_chart([np.nan, 1.5, np.nan, 1.5], k=0.5, h=4.0)
    np.testing.assert_allclose(chart.upper, [0.0, 1.0, 1.0, 2.0])
    assert not chart.signal.any() and chart.change_start is None and chart.direction is None
    assert not cusum_chart([np.nan, 9.0, np.nan], h=4.0).signal[2]
    empty = cusum_chart([])
    assert empty.upper.size == 0 and empty.first_signal is None
    with pytest.raises(ValueError, match="h must be positive"):
        cusum_chart([0.0], h=0.0)


# --- Simulated shift and in-control false alarms --------------------------------------------------


def test_shift_of_one_and_a_half_sd_is_found_after_it_happens():
    x = shifted_series(seed=2024)
    ewma = ewma_chart(x)
    cusum = cusum_chart(x)
    assert ewma.first_signal is not None and 30 <= ewma.first_signal <= 40
    assert cusum.first_signal is not None and 30 <= cusum.first_signal <= 40
    assert abs(cusum.change_start - 30) <= 2
    cp = changepoint(x)
    assert abs(cp.index - 30) <= 2
    assert cp.after_mean - cp.before_mean == pytest.approx(1.5, abs=0.5)
    assert cp.p_value < 0.01
    assert is_ongoing(x, cp.index)


def test_in_control_series_rarely_signal_with_bonferroni_limits():
    # 200 seeded in-control series of 24 periods, limits for 50 locations: any-signal rate < 5 %
    rng = np.random.default_rng(7)
    series = rng.standard_normal((200, 24))
    ewma_rate = np.mean([ewma_chart(s, series=50).first_signal is not None for s in series])
    cusum_rate = np.mean([cusum_chart(s, series=50).first_signal is not None for s in series])
    assert ewma_rate < 0.05
    assert cusum_rate < 0.05


# --- Changepoint --------------------------------------------------------------------------------


def test_changepoint_hand_worked():
    # 1, 1, 1, 5, 5, 5: the split before index 3 leaves SSE 0 (a perfect step) -> statistic inf;
    # before mean 1, after mean 5. Of the C(6, 3) = 20 equally likely orderings of three 1s and three
    # 5s, only 111555 and 555111 are perfect steps, so the permutation p-value is about 2/20 = 0.1.
    cp = changepoint([1.0, 1.0, 1.0, 5.0, 5.0, 5.0], permutations=999, seed=1)
    assert cp.index == 3
    assert (cp.before_mean, cp.after_mean) == (1.0, 5.0)
    assert cp.statistic == math.inf
    assert cp.p_value == pytest.approx(0.1, abs=0.03)
    assert cp.reason == ""


def test_changepoint_weighted_sse():
    # 0, 0, 1, 4, 4, equal weights: split 0,0,1 | 4,4 has SSE 2/3 (means 1/3 and 4),
    # split 0,0 | 1,4,4 has SSE 6 (mean 3) -> index 3.
    # Weights 1, 1, 100, 1, 1: 0,0,1 has mean 100/102 = 0.980, SSE 2*0.980^2 + 100*0.0196^2 = 1.96;
    # 1,4,4 has mean 108/102 = 1.059, SSE 100*0.059^2 + 2*2.941^2 = 17.65 -> still index 3.
    values = [0.0, 0.0, 1.0, 4.0, 4.0]
    assert changepoint(values, permutations=0).index == 3
    weighted = changepoint(values, [1, 1, 100, 1, 1], permutations=0)
    assert weighted.index == 3
    assert weighted.before_mean == pytest.approx(100 / 102)
    assert math.isnan(weighted.p_value)


def test_changepoint_reproducible_and_keeps_positions_with_nan():
    x = shifted_series(seed=5, length=30, at=15, shift=2.0)
    assert changepoint(x).p_value == changepoint(x).p_value  # fixed seed
    with_gaps = np.insert(x, [3, 3], np.nan)  # two nan periods early on: positions shift by 2
    cp, cp_gaps = changepoint(x), changepoint(with_gaps)
    assert cp_gaps.index == cp.index + 2
    assert cp_gaps.statistic == pytest.approx(cp.statistic)


def test_changepoint_too_short_or_flat():
    short = changepoint([1.0, 2.0, np.nan, 3.0])
    assert short.index is None and math.isnan(short.p_value) and "at least 4" in short.reason
    flat = changepoint([2.0] * 8)
    assert flat.index is None and flat.reason == "no variation"
    with pytest.raises(ValueError, match="weights"):
        changepoint([1.0, 2.0, 3.0, 4.0], [1.0, 2.0])


# --- Shift scan over several measurements ------------------------------------------------------


def test_shift_scan_hand_worked():
    # Part 1: 0,0,0,-5,-5,-5 with variance 4 (weight 1/4): W = 3/4 each side, shift -5,
    # z1 = -5 / sqrt(4/3 + 4/3) = -3.0619. Part 2: 0,0,0,-2,-2,-2 with variance 1: W = 3 each side,
    # z2 = -2 / sqrt(2/3) = -2.4495. Both fit two levels exactly (X^2 = 0, phi = 1), so
    # z = (z1 + z2) / sqrt(2) = -3.8971, at the split before period 3.
    scan = shift_scan([[0, 0, 0, -5, -5, -5], [0, 0, 0, -2, -2, -2]], [[4] * 6, [1] * 6], permutations=0)
    assert scan.index == 3
    assert scan.z == pytest.approx(-3.8971, abs=1e-4)
    assert math.isnan(scan.p_value)


def test_shift_scan_discounts_variation_beyond_sampling():
    # The same step of -5 with variance 1 gives z = -5 / sqrt(1/3 + 1/3) = -6.1237. With each level
    # swinging by +-2 (2, -2, 0 | -3, -7, -5) the squared residuals about the levels sum to
    # X^2 = (4 + 4 + 0) + (4 + 4 + 0) = 16 over 6 - 2 degrees of freedom: phi = 4 halves z to -3.0619
    # (other splits score lower: before 4, X^2 = 16.75 and |z| = 2.96).
    steady = shift_scan([[0, 0, 0, -5, -5, -5]], [[1] * 6], permutations=0)
    noisy = shift_scan([[2, -2, 0, -3, -7, -5]], [[1] * 6], permutations=0)
    assert steady.z == pytest.approx(-6.1237, abs=1e-4)
    assert noisy.index == 3
    assert noisy.z == pytest.approx(-3.0619, abs=1e-4)
    # Variances known only up to a factor: phi is estimated freely and the steady step is "perfect"
    assert shift_scan([[2, -2, 0, -3, -7, -5]], [[0.01] * 6], permutations=0, known_variance=False).z == (
        pytest.approx(noisy.z)
    )


def test_shift_scan_missing_periods_and_errors():
    scan = shift_scan([[0, np.nan, 0, 0, -4, -4, -4, -4]], [[1, 1, 1, 1, 1, 1, 1, np.nan]], permutations=0)
    assert scan.index == 4
    too_short = shift_scan([[1.0, np.nan, 2.0]], [[1.0, 1.0, 1.0]])
    assert too_short.index is None and "each side" in too_short.reason
    with pytest.raises(ValueError, match="same"):
        shift_scan([[1.0, 2.0]], [[1.0]])


def test_shift_scan_false_alarms_and_power():
    # 18 months, two measurements: in control, p < 0.05 about 5 % of the time; a shift of one
    # and a half standard errors per month from month 10 is found within a month nearly always.
    rng = np.random.default_rng(7)
    variances = np.ones((2, 18))
    null = [
        shift_scan(rng.standard_normal((2, 18)), variances, permutations=199, seed=i).p_value
        for i in range(200)
    ]
    assert np.mean(np.array(null) < 0.05) < 0.09
    found = []
    for i in range(50):
        x = rng.standard_normal((2, 18))
        x[:, 10:] -= 1.5
        scan = shift_scan(x, variances, permutations=199, seed=i)
        found.append(scan.p_value < 0.05 and abs(scan.index - 10) <= 1 and scan.z < 0)
    assert np.mean(found) > 0.8


# --- is_ongoing ---------------------------------------------------------------------------------


def test_is_ongoing_rule():
    # before 0,0,0,0 (mean 0), after 2,2,2,2 (mean 2, shift 2): last 3 mean 2 > 0.5*2 -> ongoing
    assert is_ongoing([0, 0, 0, 0, 2, 2, 2, 2], 4)
    # after 2,2,0,0,0: mean 0.8, shift 0.8; last 3 mean 0 is not > 0.4 -> over
    assert not is_ongoing([0, 0, 0, 0, 2, 2, 0, 0, 0], 4)
    # a drop: before 5,5,5 after 3,3,4: shift -5/3; last 3 mean 10/3, 5 - 10/3 = 5/3 > 5/6 -> ongoing
    assert is_ongoing([5, 5, 5, 3, 3, 4], 3)
    assert not is_ongoing([1.0, 2.0], None)
    assert not is_ongoing([1.0, 1.0, 1.0], 1)  # no shift
    with pytest.raises(ValueError, match="outside"):
        is_ongoing([1.0, 2.0], 5)
