"""``cx.stats`` against published values (source, and the R call where it comes from R, in a comment)
or hand-worked numbers (the arithmetic in the comment), plus the edge cases every caller meets:
no responses, one response, one store, no variation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cx.stats import (
    anova_from_stats,
    consistency_index,
    correlation_from_moments,
    correlation_interval,
    dersimonian_laird,
    fdr,
    funnel_assessment,
    funnel_limits,
    group_moments,
    icc1,
    kruskal_from_counts,
    mann_whitney_from_counts,
    mean_interval,
    nps_difference_test,
    nps_interval,
    rank_intervals,
    relative_weights,
    shrink,
    two_proportion_test,
    welch_test,
    wilson_interval,
)

approx = pytest.approx

# R: sleep$extra by group (Cushny & Peebles 1905, the data of Student 1908).
SLEEP_1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
SLEEP_2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])

# R: mtcars[, c("mpg", "cyl", "disp", "hp", "gear")] (Henderson & Velleman 1981).
MTCARS = np.array(
    [
        [21.0, 6, 160.0, 110, 4], [21.0, 6, 160.0, 110, 4], [22.8, 4, 108.0, 93, 4], [21.4, 6, 258.0, 110, 3],
        [18.7, 8, 360.0, 175, 3], [18.1, 6, 225.0, 105, 3], [14.3, 8, 360.0, 245, 3], [24.4, 4, 146.7, 62, 4],
        [22.8, 4, 140.8, 95, 4], [19.2, 6, 167.6, 123, 4], [17.8, 6, 167.6, 123, 4], [16.4, 8, 275.8, 180, 3],
        [17.3, 8, 275.8, 180, 3], [15.2, 8, 275.8, 180, 3], [10.4, 8, 472.0, 205, 3], [10.4, 8, 460.0, 215, 3],
        [14.7, 8, 440.0, 230, 3], [32.4, 4, 78.7, 66, 4], [30.4, 4, 75.7, 52, 4], [33.9, 4, 71.1, 65, 4],
        [21.5, 4, 120.1, 97, 3], [15.5, 8, 318.0, 150, 3], [15.2, 8, 304.0, 150, 3], [13.3, 8, 350.0, 245, 3],
        [19.2, 8, 400.0, 175, 3], [27.3, 4, 79.0, 66, 4], [26.0, 4, 120.3, 91, 5], [30.4, 4, 95.1, 113, 5],
        [15.8, 8, 351.0, 264, 5], [19.7, 6, 145.0, 175, 5], [15.0, 8, 301.0, 335, 5], [21.4, 4, 121.0, 109, 4],
    ]
)  # fmt: skip


def sums_of(columns: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The sufficient statistics a rollup stores: n, sums and sums of cross-products."""
    return len(columns), columns.sum(axis=0), columns.T @ columns


# --- NPS --------------------------------------------------------------------------------------------


def test_nps_interval_hand_worked():
    # 60 promoters, 25 passives, 15 detractors: NPS = 100 (0.60 - 0.15) = 45.
    # Raw V = 0.75 - 0.45^2 = 0.5475, se = 100 sqrt(0.5475 / 100) = 7.39932.
    # Adjusted: p' = 60.75/103, d' = 15.75/103, p' - d' = 45/103 = 0.436893,
    # V' = 76.5/103 - 0.436893^2 = 0.742718 - 0.190876 = 0.551843, sqrt(V'/103) = 0.0731963,
    # half = 1.959964 * 0.0731963 = 0.143462 -> 100 (0.436893 ± 0.143462) = 29.343, 58.036.
    r = nps_interval(60, 25, 15)
    assert r.estimate == 45.0
    assert r.n == 100
    assert r.se == approx(7.39932, abs=1e-5)
    assert (r.low, r.high) == (approx(29.343, abs=1e-3), approx(58.036, abs=1e-3))
    assert r.reason == ""


def test_nps_interval_uses_the_two_sided_z():
    # 99.8 %: z = 3.090232, half = 3.090232 * 0.0731963 = 0.226194 -> 21.070, 66.309.
    r = nps_interval(60, 25, 15, confidence=0.998)
    assert (r.low, r.high) == (approx(21.070, abs=1e-3), approx(66.309, abs=1e-3))


def test_nps_interval_all_promoters_stays_inside_and_is_not_degenerate():
    # 50 promoters: p' = 50.75/53 = 0.957547, d' = 0.75/53 = 0.014151, p' - d' = 0.943396,
    # V' = 0.971698 - 0.889996 = 0.081702, sqrt(V'/53) = 0.039262, half = 0.076952
    # -> low 86.644, high 102.03 clipped to 100. The raw se is 0.
    r = nps_interval(50, 0, 0)
    assert r.estimate == 100.0 and r.se == 0.0
    assert r.low == approx(86.644, abs=1e-3)
    assert r.high == 100.0


def test_nps_interval_one_response():
    # n = 1 promoter: p' = 1.75/4 = 0.4375, d' = 0.1875, p' - d' = 0.25, V' = 0.625 - 0.0625 = 0.5625,
    # sqrt(0.5625/4) = 0.375, half = 0.734987 -> -48.499, 98.499 (centred on the adjusted 25).
    r = nps_interval(1, 0, 0)
    assert r.estimate == 100.0
    assert (r.low, r.high) == (approx(-48.4986, abs=1e-4), approx(98.4986, abs=1e-4))


def test_nps_interval_no_responses_is_nan_with_reason():
    r = nps_interval(0, 0, 0)
    assert math.isnan(r.estimate) and math.isnan(r.low) and math.isnan(r.high)
    assert r.reason == "no responses"


def test_nps_interval_is_vectorised_over_stores():
    r = nps_interval([60, 0, 1], [25, 0, 0], [15, 0, 0])
    assert r.estimate[0] == 45.0 and np.isnan(r.estimate[1]) and r.estimate[2] == 100.0
    assert r.low[0] == approx(29.343, abs=1e-3)
    assert r.reason.tolist() == ["", "no responses", ""]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nps_interval(-1, 0, 0), "must not be negative"),
        (lambda: nps_interval(1, 0, 0, confidence=95), "between 0 and 1"),
        (lambda: nps_interval(float("nan"), 0, 0), "finite"),
        (lambda: nps_difference_test((1, 2), (1, 2, 3)), "promoters, passives, detractors"),
    ],
)
def test_nps_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nps_difference_hand_worked():
    # A = (60, 25, 15): NPS 45, V_A/n_A = 0.5475/100.  B = (40, 30, 30): NPS 10, V_B = 0.7 - 0.01 = 0.69.
    # se = 100 sqrt(0.005475 + 0.0069) = 11.12430; z = 35 / 11.12430 = 3.14627;
    # p = 2 (1 - Phi(3.14627)) = 0.0016537; 35 ± 1.959964 * 11.12430 = 13.1968, 56.8032.
    # Same as R NPS::nps_test(x, y) on the expanded scores, which reports |difference| on the 0-1 scale.
    r = nps_difference_test((60, 25, 15), (40, 30, 30))
    assert r.estimate == approx(35.0)
    assert r.statistic == approx(3.14627, abs=1e-5)
    assert r.p_value == approx(0.0016537, abs=1e-7)
    assert (r.low, r.high) == (approx(13.1968, abs=1e-4), approx(56.8032, abs=1e-4))
    assert r.df == math.inf


def test_nps_difference_without_variation_is_nan_with_reason():
    r = nps_difference_test((10, 0, 0), (0, 0, 8))
    assert r.estimate == 200.0
    assert math.isnan(r.statistic) and math.isnan(r.p_value) and math.isnan(r.low)
    assert "no variation" in r.reason


def test_nps_difference_no_responses():
    r = nps_difference_test((0, 0, 0), (5, 3, 2))
    assert math.isnan(r.estimate) and r.reason == "no responses in the first group"


def test_nps_difference_is_vectorised():
    # Each store against the brand (60, 25, 15): the first equals the brand, z = 0, p = 1.
    r = nps_difference_test(([60, 40], [25, 30], [15, 30]), (60, 25, 15))
    assert r.statistic[0] == 0.0 and r.p_value[0] == 1.0
    assert r.statistic[1] == approx(-3.14627, abs=1e-5)


# --- Proportions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_against_newcombe_1998_table_1(k, n, low, high):
    # Newcombe (1998) Stat Med 17:857, Table I, method 3 (score interval without continuity correction).
    r = wilson_interval(k, n)
    assert (r.low, r.high) == (approx(low, abs=5e-5), approx(high, abs=5e-5))
    scipy_ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert (r.low, r.high) == (approx(scipy_ci.low, abs=1e-12), approx(scipy_ci.high, abs=1e-12))


def test_wilson_vectorised_and_edge_cases():
    r = wilson_interval([81, 0, 20], [263, 0, 20])
    assert r.estimate[0] == approx(81 / 263) and np.isnan(r.estimate[1]) and r.estimate[2] == 1.0
    assert r.reason.tolist() == ["", "no responses", ""]
    # 20/20: the mirror image of 0/20 -> 1 - 0.1611 = 0.8389 to 1.
    assert (r.low[2], r.high[2]) == (approx(0.8389, abs=5e-5), 1.0)
    with pytest.raises(ValueError, match="must not exceed n"):
        wilson_interval(5, 4)


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "difference", "low", "high"),
    [
        (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
        (0, 10, 0, 20, 0.0000, -0.1611, 0.2775),
        (10, 10, 0, 10, 1.0000, 0.6075, 1.0000),
    ],
)
def test_newcombe_hybrid_score_interval(k1, n1, k2, n2, difference, low, high):
    # Newcombe (1998) Stat Med 17:873, Table II, method 10 (hybrid score, no continuity correction).
    r = two_proportion_test(k1, n1, k2, n2)
    assert r.estimate == approx(difference)
    assert (r.low, r.high) == (approx(low, abs=5e-5), approx(high, abs=5e-5))


def test_two_proportion_pooled_z_hand_worked():
    # pbar = 104/150 = 0.693333; se = sqrt(0.693333 * 0.306667 * (1/70 + 1/80)) = 0.0754668;
    # z = 0.2 / 0.0754668 = 2.65017; p = 2 (1 - Phi(2.65017)) = 0.0080451.
    # R: prop.test(c(56, 48), c(70, 80), correct = FALSE) gives X-squared = z^2 = 7.0234.
    r = two_proportion_test(56, 70, 48, 80)
    assert r.statistic == approx(2.65017, abs=1e-5)
    assert r.statistic**2 == approx(7.0234, abs=1e-4)
    assert r.p_value == approx(0.0080451, abs=1e-7)


def test_two_proportion_without_variation_keeps_the_interval():
    r = two_proportion_test(0, 10, 0, 20)
    assert math.isnan(r.statistic) and math.isnan(r.p_value)
    assert r.low == approx(-0.1611, abs=5e-5)
    assert "no variation" in r.reason


def test_two_proportion_empty_group():
    r = two_proportion_test(3, 10, 0, 0)
    assert math.isnan(r.estimate) and r.reason == "no responses in the second group"


# --- Means --------------------------------------------------------------------------------------


def test_mean_interval_against_r_t_test():
    # R: t.test(sleep$extra[sleep$group == 1]) -> mean 0.75, 95 % CI -0.5297804 2.0297804.
    r = mean_interval(len(SLEEP_1), SLEEP_1.sum(), (SLEEP_1**2).sum())
    assert r.estimate == approx(0.75)
    assert (r.low, r.high) == (approx(-0.5297804, abs=1e-7), approx(2.0297804, abs=1e-7))


def test_mean_interval_edge_cases():
    r = mean_interval([0, 1, 5], [0.0, 4.0, 15.0], [0.0, 16.0, 45.0])
    assert np.isnan(r.estimate[0]) and r.reason[0] == "no responses"
    # One response: the mean is known, the interval is not.
    assert r.estimate[1] == 4.0 and np.isnan(r.low[1]) and r.reason[1] == "one response: no variance"
    # Five 3s: variance (45 - 15^2/5)/4 = 0, a degenerate interval at the mean.
    assert (r.low[2], r.high[2]) == (3.0, 3.0) and r.reason[2] == ""


def test_group_moments_and_inconsistent_sums():
    # 1, 2, 3: mean 2, variance (14 - 36/3)/2 = 1.
    m = group_moments(3, 6.0, 14.0)
    assert (m.mean, m.var) == (2.0, 1.0)
    with pytest.raises(ValueError, match="same rows"):
        group_moments(3, 6.0, 10.0)


def test_welch_against_r_t_test():
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95 % CI -3.3654832 0.2054832.
    r = welch_test(10, SLEEP_1.mean(), SLEEP_1.var(ddof=1), 10, SLEEP_2.mean(), SLEEP_2.var(ddof=1))
    assert r.statistic == approx(-1.8608, abs=1e-4)
    assert r.df == approx(17.776, abs=1e-3)
    assert r.p_value == approx(0.07939, abs=1e-5)
    assert r.estimate == approx(-1.58)
    assert (r.low, r.high) == (approx(-3.3654832, abs=1e-7), approx(0.2054832, abs=1e-7))


def test_welch_edge_cases():
    r = welch_test([1, 5], [3.0, 4.0], [float("nan"), 0.0], [10, 5], [2.0, 4.0], [1.0, 0.0])
    assert np.isnan(r.statistic[0]) and r.reason[0] == "each group needs at least 2 responses"
    assert np.isnan(r.p_value[1]) and r.reason[1] == "no variation within either group"
    assert r.estimate[1] == 0.0


# --- Ordinal scales from counts --------------------------------------------------------------------

NPS_VALUES = np.arange(11)


def test_mann_whitney_hand_worked():
    # A = 1, 2, 2, 2 and B = 0, 0, 1. Pairs with A > B: the 1 beats two 0s and ties the 1 (2.5),
    # each 2 beats all three (9): U_A = 11.5 of 12 pairs, probability of superiority 0.958333.
    r = mann_whitney_from_counts([0, 1, 3], [2, 1, 0])
    assert (r.statistic, r.n_a, r.n_b) == (11.5, 4, 3)
    assert r.prob_superiority == approx(11.5 / 12)


@pytest.mark.parametrize("seed", range(5))
def test_mann_whitney_equals_scipy_on_expanded_samples(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 15, 11), rng.integers(0, 15, 11)
    r = mann_whitney_from_counts(a, b)
    expected = stats.mannwhitneyu(
        np.repeat(NPS_VALUES, a), np.repeat(NPS_VALUES, b), method="asymptotic", use_continuity=True
    )
    assert r.statistic == approx(expected.statistic, rel=1e-12)
    assert r.p_value == approx(expected.pvalue, rel=1e-10)


def test_mann_whitney_edge_cases():
    empty = mann_whitney_from_counts([0, 0, 0], [1, 2, 3])
    assert math.isnan(empty.p_value) and empty.reason == "no responses in the first group"
    same = mann_whitney_from_counts([0, 4, 0], [0, 3, 0])
    assert math.isnan(same.p_value) and same.prob_superiority == 0.5
    with pytest.raises(ValueError, match="equal length"):
        mann_whitney_from_counts([1, 2], [1, 2, 3])


def test_kruskal_against_hollander_wolfe():
    # Hollander & Wolfe (1973), p. 116, mucociliary efficiency; R: kruskal.test(list(x, y, z))
    # -> Kruskal-Wallis chi-squared = 0.77143, df = 2, p-value = 0.68. All 14 values differ,
    # so each is its own scale point (column) with a count of 1.
    x, y, z = [2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4], [2.8, 3.4, 3.7, 2.2, 2.0]
    values = sorted(x + y + z)
    counts = [[float(v in group) for v in values] for group in (x, y, z)]
    r = kruskal_from_counts(counts)
    assert r.statistic == approx(0.77143, abs=1e-5)
    assert r.p_value == approx(0.68, abs=5e-3)
    assert (r.df, r.groups) == (2, 3)


@pytest.mark.parametrize("seed", range(5))
def test_kruskal_equals_scipy_on_expanded_samples(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 12, (4, 11))
    r = kruskal_from_counts(counts)
    expected = stats.kruskal(*(np.repeat(NPS_VALUES, row) for row in counts))
    assert r.statistic == approx(expected.statistic, rel=1e-10)
    assert r.p_value == approx(expected.pvalue, rel=1e-8)


def test_kruskal_drops_empty_groups_and_needs_two():
    # Hand-worked: [[3, 1, 0], [0, 1, 3]]: midranks 2, 4.5, 7; R = 10.5 and 25.5;
    # H0 = 12/72 (10.5^2/4 + 25.5^2/4) - 27 = 4.6875; ties 1 - (24 + 6 + 24)/504 = 0.892857; H = 5.25.
    r = kruskal_from_counts([[3, 1, 0], [0, 0, 0], [0, 1, 3]])
    assert (r.statistic, r.groups) == (approx(5.25), 2)
    one = kruskal_from_counts([[3, 1, 0], [0, 0, 0]])
    assert math.isnan(one.statistic) and one.reason == "fewer than 2 groups with responses"
    same = kruskal_from_counts([[0, 3], [0, 2]])
    assert math.isnan(same.statistic) and same.reason == "every response has the same value"


# --- ANOVA and ICC(1) -----------------------------------------------------------------------------

# McDonald et al. (1991), shell measurements of Mytilus trossulus at five sites, as used in
# McDonald (2014) Handbook of Biological Statistics (one-way anova: F = 7.12, P = 2.8e-4) and
# the scipy.stats.f_oneway documentation (F = 7.121019, p = 0.000281).
MUSSELS = [
    [0.0571, 0.0813, 0.0831, 0.0976, 0.0817, 0.0859, 0.0735, 0.0659, 0.0923, 0.0836],
    [0.0873, 0.0662, 0.0672, 0.0819, 0.0749, 0.0649, 0.0835, 0.0725],
    [0.0974, 0.1352, 0.0817, 0.1016, 0.0968, 0.1064, 0.105],
    [0.1033, 0.0915, 0.0781, 0.0685, 0.0677, 0.0697, 0.0764, 0.0689],
    [0.0703, 0.1026, 0.0956, 0.0973, 0.1039, 0.1045],
]


def summaries(groups):
    return (
        [len(g) for g in groups],
        [np.mean(g) for g in groups],
        [np.var(g, ddof=1) if len(g) > 1 else np.nan for g in groups],
    )


def test_anova_against_mcdonald_mussels():
    r = anova_from_stats(*summaries(MUSSELS))
    assert r.statistic == approx(7.121019, abs=1e-6)
    assert r.p_value == approx(0.000281, abs=1e-6)
    assert (r.df_between, r.df_within) == (4, 34)


def test_anova_equals_f_oneway_with_a_single_response_group():
    groups = [[3.0, 4.0, 5.0], [6.0], [2.0, 2.5, 3.0, 3.5]]
    r = anova_from_stats(*summaries(groups))
    expected = stats.f_oneway(*groups)
    assert (r.statistic, r.p_value) == (approx(expected.statistic), approx(expected.pvalue))


def test_anova_edge_cases():
    one = anova_from_stats([5, 0], [3.0, 0.0], [1.0, 0.0])
    assert math.isnan(one.statistic) and one.reason == "fewer than 2 groups with responses"
    singles = anova_from_stats([1, 1], [3.0, 4.0], [np.nan, np.nan])
    assert math.isnan(singles.statistic) and "within-group variance" in singles.reason
    # Constant within groups but different groups: F = inf, p = 0, as scipy.stats.f_oneway.
    flat = anova_from_stats([3, 2], [1.0, 2.0], [0.0, 0.0])
    assert (flat.statistic, flat.p_value) == (math.inf, 0.0)
    same = anova_from_stats([3, 2], [1.0, 1.0], [0.0, 0.0])
    assert math.isnan(same.statistic) and same.reason == "every response has the same value"
    with pytest.raises(ValueError, match="equal length"):
        anova_from_stats([3, 2], [1.0], [0.0, 0.0])


# Shrout & Fleiss (1979) Psychological Bulletin 86:420, Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)


def test_icc1_against_shrout_fleiss():
    # Table 3: BMS = 11.24, WMS = 6.26; Table 4: ICC(1,1) = .17 (= (11.24 - 6.26) / (11.24 + 3 * 6.26)).
    r = icc1([4] * 6, SHROUT_FLEISS.mean(axis=1), SHROUT_FLEISS.var(axis=1, ddof=1))
    assert (r.msb, r.msw) == (approx(11.24, abs=5e-3), approx(6.26, abs=5e-3))
    assert r.n0 == 4
    assert round(r.icc, 2) == 0.17
    assert r.icc == approx(0.1657, abs=1e-4)


def test_icc1_unequal_groups_and_edge_cases():
    # n = 2, 3, 5: N = 10, sum n^2 = 38, n0 = (10 - 3.8) / 2 = 3.1.
    # Means 1, 2, 3 (grand 2.3): MSB = (2*1.69 + 3*0.09 + 5*0.49) / 2 = 3.05; variances all 1: MSW = 1.
    # ICC = (3.05 - 1) / (3.05 + 2.1) = 0.398058.
    r = icc1([2, 3, 5], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert r.n0 == approx(3.1)
    assert r.icc == approx(2.05 / 5.15)
    one = icc1([4, 0], [2.0, 0.0], [1.0, 0.0])
    assert math.isnan(one.icc) and one.groups == 1 and "fewer than 2 groups" in one.reason


# --- Meta-analysis, shrinkage, funnels, ranks -------------------------------------------------------

# metafor dat.bcg: tpos, tneg, cpos, cneg of 13 BCG vaccine trials (Colditz et al. 1994).
BCG = np.array(
    [
        (4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
        (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
        (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
        (27, 16886, 29, 17825),
    ],
    dtype=float,
)  # fmt: skip


def bcg_log_rr():
    tpos, tneg, cpos, cneg = BCG.T
    yi = np.log(tpos / (tpos + tneg)) - np.log(cpos / (cpos + cneg))
    vi = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return yi, vi


def test_dersimonian_laird_against_metafor_bcg():
    # Viechtbauer (2010) J Stat Softw 36(3); metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r:
    # dat <- escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)
    # rma(yi, vi, data=dat, method="DL") -> estimate -0.7141, ci -1.0644 -0.3638, zval -3.9952,
    # tau2 0.3088, I2 92.1173; QE = 152.2330.
    yi, vi = bcg_log_rr()
    r = dersimonian_laird(yi, vi)
    assert r.estimate == approx(-0.7141, abs=5e-5)
    assert (r.low, r.high) == (approx(-1.0644, abs=5e-5), approx(-0.3638, abs=5e-5))
    assert r.estimate / r.se == approx(-3.9952, abs=5e-5)
    assert r.tau2 == approx(0.3088, abs=5e-5)
    assert r.i2 == approx(92.1173, abs=5e-5)
    assert r.q == approx(152.2330, abs=5e-5)
    assert r.k == 13


def test_dersimonian_laird_edge_cases():
    one = dersimonian_laird([0.3, np.nan], [0.01, 0.02])
    assert one.k == 1 and one.estimate == 0.3 and math.isnan(one.tau2) and "one unit" in one.reason
    none = dersimonian_laird([np.nan], [0.01])
    assert none.k == 0 and math.isnan(none.estimate)
    # Identical estimates: Q = 0 < k - 1, tau2 = 0 and I2 = 0.
    flat = dersimonian_laird([1.0, 1.0, 1.0], [0.1, 0.2, 0.3])
    assert (flat.tau2, flat.i2, flat.estimate) == (0.0, 0.0, approx(1.0))
    with pytest.raises(ValueError, match="variances must be positive"):
        dersimonian_laird([1.0, 2.0], [0.1, 0.0])


def test_shrink_hand_worked():
    # y = 0, 1, 2 with v = 0.1: w = 10, fixed mean 1, Q = 10 (1 + 0 + 1) = 20, C = 30 - 300/30 = 20,
    # tau2 = (20 - 2)/20 = 0.9, B = 0.1/(0.1 + 0.9) = 0.1 -> 1 + 0.9 (y - 1) = 0.1, 1.0, 1.9.
    r = shrink([0.0, 1.0, 2.0], [0.1, 0.1, 0.1])
    assert r.tau2 == approx(0.9)
    assert r.target == approx(1.0)
    assert r.values == approx([0.1, 1.0, 1.9])
    assert r.b == approx([0.1, 0.1, 0.1])


def test_shrink_toward_a_given_target_and_small_units_move_more():
    # y = 0, 2, 0, 2 with v = 0.1, 0.1, 0.9, 0.9: w = 10, 10, 10/9, 10/9, fixed mean 1,
    # Q = sum w = 200/9, C = 200/9 - (16400/81)/(200/9) = 200/9 - 82/9 = 118/9,
    # tau2 = (200/9 - 3) / (118/9) = 173/118 = 1.466102. B = 0.1/1.566102 = 0.063853 and
    # 0.9/2.366102 = 0.380372. Toward 0, the two 2s become 2 (1 - B): 1.872294 (v 0.1) and 1.239255 (v 0.9).
    r = shrink([0.0, 2.0, 0.0, 2.0], [0.1, 0.1, 0.9, 0.9], target=0.0)
    assert r.tau2 == approx(173 / 118)
    assert r.target == 0.0
    assert r.b[[1, 3]] == approx([0.063853, 0.380372], abs=1e-6)
    assert r.values == approx([0.0, 1.872294, 0.0, 1.239255], abs=1e-6)


def test_shrink_with_no_between_unit_variance_pools_everything():
    # Estimates closer together than noise: tau2 = 0, B = 1, every unit at the pooled mean.
    r = shrink([1.0, 1.1, 0.9], [1.0, 1.0, 1.0])
    assert r.tau2 == 0.0
    assert r.values == approx([1.0, 1.0, 1.0])


def test_shrink_edge_cases():
    # The unit without an estimate is left out: y = 0, 2 with v = 0.1: Q = 20, C = 20 - 200/20 = 10,
    # tau2 = (20 - 1)/10 = 1.9, B = 0.1/2 = 0.05 -> 1 + 0.95 (y - 1) = 0.05, 1.95.
    r = shrink([0.0, np.nan, 2.0], [0.1, 0.1, 0.1])
    assert r.tau2 == approx(1.9)
    assert np.isnan(r.values[1]) and np.isnan(r.b[1])
    assert r.values[[0, 2]] == approx([0.05, 1.95])
    one = shrink([0.5], [0.1])
    assert np.isnan(one.values[0]) and "one unit" in one.reason


def test_funnel_limits_hand_worked():
    # 0.5 ± 1.959964 sqrt(0.25/100) = 0.5 ± 0.097998; 99.8 %: 0.5 ± 3.090232 * 0.05 = 0.5 ± 0.154512.
    r = funnel_limits(0.5, 0.25, [100, 0])
    assert (r.low[0], r.high[0]) == (approx(0.402002, abs=1e-6), approx(0.597998, abs=1e-6))
    assert np.isnan(r.low[1])
    assert funnel_limits(0.5, 0.25, 100, 0.998).high == approx(0.654512, abs=1e-6)
    # With tau2 = 0.0075: 0.5 + 1.959964 sqrt(0.0025 + 0.0075) = 0.5 + 0.195996.
    assert funnel_limits(0.5, 0.25, 100, tau2=0.0075).high == approx(0.695996, abs=1e-6)


def test_funnel_assessment_over_dispersed_hand_worked():
    # Ten units, n = 100, target 0.5, unit variance 0.25: s = 0.05, w = 1/s^2 = 400.
    # z = 0, .5, -.5, 1, -1, 1.5, -1.5, 2, -3, 6 (values 0.5 + 0.05 z).
    # Sorted z: -3, -1.5, -1, -.5, 0, .5, 1, 1.5, 2, 6. Type-7 percentiles: 10th at position 0.9:
    # -3 + 0.9 * 1.5 = -1.65; 90th at 8.1: 2 + 0.1 * 4 = 2.4. Winsorised z^2:
    # 0 + .25 + .25 + 1 + 1 + 2.25 + 2.25 + 4 + 2.7225 + 5.76 = 19.4825 -> phi = 1.94825.
    # I phi = 19.4825 > I - 1 = 9, so tau2 = (19.4825 - 9) / (4000 - 1.6e6/4000) = 10.4825/3600 = 0.00291181.
    # Limits 0.5 ± z sqrt(0.0025 + 0.00291181) = 0.5 ± z * 0.0735650:
    # 95 %: 0.355815 to 0.644185; 99.8 %: 0.272667 to 0.727333.
    # z = -3 (0.35) is below at 95 % only; z = 6 (0.80) is above at both; z = 2 (0.60) is within
    # (it would be above the plain 95 % limit 0.598).
    z = np.array([0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -3, 6])
    r = funnel_assessment(0.5 + 0.05 * z, [100] * 10, 0.5, 0.25)
    assert r.phi == approx(1.94825)
    assert r.tau2 == approx(0.00291181, abs=1e-8)
    assert r.limits == "random effects"
    assert (r.low95[0], r.high95[0]) == (approx(0.355815, abs=1e-6), approx(0.644185, abs=1e-6))
    assert (r.low998[0], r.high998[0]) == (approx(0.272667, abs=1e-6), approx(0.727333, abs=1e-6))
    assert r.verdict95.tolist() == ["within"] * 8 + ["below", "above"]
    assert r.verdict998.tolist() == ["within"] * 9 + ["above"]
    assert r.z == approx(z)
    # (0.80 - 0.5) / 0.0735650 = 4.07803
    assert r.z_adjusted[-1] == approx(4.07803, abs=1e-5)


def test_funnel_assessment_plain_limits_and_units_without_data():
    # z = 0, .5, -.5, 1, -1, .2, -.2, .4, -.4, 2.5 and an empty store. Sorted: -1, -.5, -.4, -.2, 0, .2,
    # .4, .5, 1, 2.5; 10th: -1 + 0.9 * 0.5 = -0.55; 90th: 1 + 0.1 * 1.5 = 1.15. Winsorised z^2 sum:
    # 0 + .25 + .25 + 1 + .3025 + .04 + .04 + .16 + .16 + 1.3225 = 3.525 -> phi = 0.3525; I phi < 9,
    # no random effects: 0.5 ± 0.097998 (95 %), ± 0.154512 (99.8 %). z = 2.5 (0.625) is above at 95 % only.
    z = np.array([0, 0.5, -0.5, 1, -1, 0.2, -0.2, 0.4, -0.4, 2.5])
    r = funnel_assessment([*(0.5 + 0.05 * z), np.nan], [100] * 10 + [0], 0.5, 0.25)
    assert r.phi == approx(0.3525)
    assert (r.tau2, r.limits, r.units) == (0.0, "binomial/normal", 10)
    assert r.verdict95.tolist() == ["within"] * 9 + ["above", "no data"]
    assert r.verdict998.tolist() == ["within"] * 10 + ["no data"]
    assert np.isnan(r.high95[-1]) and np.isnan(r.z[-1])


def test_funnel_assessment_edge_cases():
    one = funnel_assessment([0.9], [10], 0.5, 0.25)
    assert math.isnan(one.phi) and one.limits == "binomial/normal" and "fewer than 2 units" in one.reason
    flat = funnel_assessment([1.0, 1.0], [10, 20], 1.0, 0.0)
    assert flat.verdict95.tolist() == ["no data", "no data"] and "unit variance is zero" in flat.reason
    no_brand = funnel_assessment([0.4, 0.6], [10, 20], float("nan"), float("nan"))
    assert no_brand.verdict998.tolist() == ["no data", "no data"] and "no target" in no_brand.reason
    with pytest.raises(ValueError, match="winsorise"):
        funnel_assessment([0.5], [10], 0.5, 0.25, winsorise=0.6)


def test_rank_intervals_well_separated_units_have_exact_ranks():
    # Estimates 20 standard errors apart: every draw keeps the order.
    r = rank_intervals([50.0, 10.0, 30.0], [1.0, 1.0, 1.0])
    assert r.rank.tolist() == r.low.tolist() == r.high.tolist() == [1.0, 3.0, 2.0]
    lower_better = rank_intervals([50.0, 10.0, 30.0], [1.0, 1.0, 1.0], higher_is_better=False)
    assert lower_better.rank.tolist() == [3.0, 1.0, 2.0]


def test_rank_intervals_uncertain_units_ties_and_missing():
    # Two equal estimates share rank 1.5 and, being noisy, each ranges over 1-2; the far unit stays 3rd;
    # the unit without an estimate is excluded.
    r = rank_intervals([60.0, 60.0, 0.0, np.nan], [5.0, 5.0, 1.0, 1.0], seed=3)
    assert r.rank[:3].tolist() == [1.5, 1.5, 3.0]
    assert r.low[:2].tolist() == [1.0, 1.0] and r.high[:2].tolist() == [2.0, 2.0]
    assert (r.low[2], r.high[2]) == (3.0, 3.0)
    assert np.isnan(r.rank[3]) and np.isnan(r.low[3]) and np.isnan(r.high[3])
    again = rank_intervals([60.0, 60.0, 0.0, np.nan], [5.0, 5.0, 1.0, 1.0], seed=3)
    assert np.array_equal(r.low, again.low, equal_nan=True)
    with pytest.raises(ValueError, match="must not be negative"):
        rank_intervals([1.0], [-1.0])


def test_fdr_against_benjamini_hochberg_1995():
    # Benjamini & Hochberg (1995) JRSS B 57:289, section 4.2: 15 p-values; at q = 0.05 the four
    # smallest are rejected (p_(4) = 0.0095 <= 4/15 * 0.05 = 0.0133, p_(5) = 0.0201 > 0.0167 ...).
    # Adjusted (R: p.adjust(p, "BH")): p_(4) -> 0.0095 * 15/4 = 0.035625; p_(1) -> min(0.0015, ...) = 0.0015.
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.000]  # fmt: skip
    r = fdr(p)
    assert r.significant.tolist() == [True] * 4 + [False] * 11
    assert r.adjusted[:4] == approx([0.0015, 0.003, 0.0095, 0.035625])
    assert r.adjusted[-1] == 1.0


def test_fdr_keeps_nan():
    # m = 3 present: 0.01 * 3 = 0.03; 0.03 * 3/2 = 0.045 -> min with 0.04; 0.04 * 3/3 = 0.04.
    r = fdr([0.01, 0.04, np.nan, 0.03])
    assert r.adjusted[[0, 1, 3]] == approx([0.03, 0.04, 0.04]) and np.isnan(r.adjusted[2])
    assert r.significant.tolist() == [True, True, False, True]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fdr([0.5, 1.5])


# --- Drivers -------------------------------------------------------------------------------------


def test_correlation_from_moments_against_r():
    # R: cor(mtcars$mpg, mtcars[, c("cyl", "disp", "hp", "gear")]) -> -0.852162 -0.8475514 -0.7761684 0.4802848
    r = correlation_from_moments(*sums_of(MTCARS))
    assert r[0, 1:] == approx([-0.852162, -0.8475514, -0.7761684, 0.4802848], abs=5e-7)
    assert np.diag(r) == approx(np.ones(5))


def test_correlation_from_moments_degenerate():
    # x constant: its row and column are nan.
    data = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    r = correlation_from_moments(*sums_of(data))
    assert np.isnan(r[0]).all() and r[1, 1] == 1.0
    assert np.isnan(correlation_from_moments(1, [1.0, 2.0], [[1.0, 2.0], [2.0, 4.0]])).all()
    with pytest.raises(ValueError, match="symmetric"):
        correlation_from_moments(3, [1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]])


def test_relative_weights_against_r_package_rwa():
    # rwa README (Chan, R package rwa; Tonidandel & LeBreton 2015):
    # mtcars %>% rwa(outcome = "mpg", predictors = c("cyl", "disp", "hp", "gear"))
    # -> rsquare 0.7791896; Raw.RelWeight 0.2284797 0.2221469 0.2321744 0.0963886;
    #    Rescaled.RelWeight 29.32274 28.50999 29.79691 12.37037.
    r = relative_weights(correlation_from_moments(*sums_of(MTCARS)), 0)
    assert r.predictors == (1, 2, 3, 4)
    assert r.r_squared == approx(0.7791896, abs=1e-7)
    assert r.raw == approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)
    assert r.share_pct == approx([29.32274, 28.50999, 29.79691, 12.37037], abs=1e-5)


def test_relative_weights_orthogonal_predictors_are_squared_correlations():
    # Uncorrelated predictors: Lambda = I, weights = r^2 = 0.25, 0.09, 0.01; R^2 = 0.35.
    corr = np.array(
        [[1.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.3], [0.0, 0.0, 1.0, -0.1], [0.5, 0.3, -0.1, 1.0]]
    )
    r = relative_weights(corr, target_index=3)
    assert r.predictors == (0, 1, 2)
    assert r.raw == approx([0.25, 0.09, 0.01])
    assert r.share_pct == approx([100 * 0.25 / 0.35, 100 * 0.09 / 0.35, 100 * 0.01 / 0.35])


def test_relative_weights_sum_to_the_ols_r_squared():
    # Correlated predictors: R^2 = r_xy' Rxx^{-1} r_xy, solved directly.
    corr = np.array(
        [[1.0, 0.6, 0.5, 0.4], [0.6, 1.0, 0.3, 0.2], [0.5, 0.3, 1.0, 0.35], [0.4, 0.2, 0.35, 1.0]]
    )
    rxx, rxy = corr[1:, 1:], corr[0, 1:]
    r_squared = rxy @ np.linalg.solve(rxx, rxy)
    r = relative_weights(corr, 0)
    assert r.raw.sum() == approx(r_squared) and r.r_squared == approx(r_squared)
    assert r.share_pct.sum() == approx(100)


def test_relative_weights_collinear_and_degenerate():
    # Two identical predictors each correlated 0.5 with y: R^2 = 0.25, shared equally (0.125 each).
    corr = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 1.0], [0.5, 1.0, 1.0]])
    with pytest.warns(UserWarning, match="collinear"):
        r = relative_weights(corr, 0)
    assert r.raw == approx([0.125, 0.125]) and "pseudo-inverse" in r.reason
    missing = relative_weights(np.array([[1.0, np.nan], [np.nan, np.nan]]), 0)
    assert np.isnan(missing.raw).all() and "missing entries" in missing.reason
    unrelated = relative_weights(np.eye(3), 0)
    assert unrelated.r_squared == 0 and "R^2 is 0" in unrelated.reason
    not_psd = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])
    with pytest.raises(ValueError, match="positive semi-definite"):
        relative_weights(not_psd, 0)
    with pytest.raises(ValueError, match="outside"):
        relative_weights(np.eye(3), 3)


def test_correlation_interval_against_r_cor_test():
    # R: cor.test(mtcars$mpg, mtcars$wt) -> cor -0.8676594, 95 % CI -0.9338264 -0.7440872.
    r = correlation_interval(-0.8676594, 32)
    assert (r.low, r.high) == (approx(-0.9338264, abs=1e-7), approx(-0.7440872, abs=1e-7))
    small = correlation_interval([0.5, 0.5], [3, 4])
    assert np.isnan(small.low[0]) and small.reason[0] == "n must exceed 3 for a correlation interval"
    # n = 4: atanh(0.5) = 0.549306 ± 1.959964 -> tanh(-1.410658) = -0.88763, tanh(2.509270) = 0.98686.
    assert (small.low[1], small.high[1]) == (approx(-0.88763, abs=1e-5), approx(0.98686, abs=1e-5))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        correlation_interval(1.2, 10)


def test_consistency_index():
    # Standard normal table: P(|Z| < 1) = 0.682689, P(|Z| < 1.959964) = 0.95.
    assert consistency_index(5.0, 5.0) == approx(68.2689, abs=1e-4)
    assert consistency_index(1.0, 1.959964) == approx(95.0, abs=1e-5)
    assert consistency_index(0.0, 5.0) == 100.0
    assert consistency_index([0.0, 10.0], 5.0) == approx([100.0, 38.2925], abs=1e-4)
    assert math.isnan(consistency_index(float("nan"), 5.0))
    with pytest.raises(ValueError, match="band must be positive"):
        consistency_index(1.0, 0.0)
