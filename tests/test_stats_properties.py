"""Properties of ``cx.stats`` that must hold for any data: intervals contain their estimate and stay in
range, wider confidence widens them, shrinkage moves toward the target (small stores further), the
brand NPS is the response-weighted mean of store NPS, FDR adjustment never lowers a p-value, and the
from-counts rank tests equal scipy on the expanded samples.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cx.stats import (
    anova_from_stats,
    correlation_interval,
    fdr,
    kruskal_from_counts,
    mann_whitney_from_counts,
    mean_interval,
    nps_interval,
    relative_weights,
    shrink,
    two_proportion_test,
    wilson_interval,
)

FAST = settings(max_examples=100, deadline=None, derandomize=True)

count = st.integers(min_value=0, max_value=400)
confidence = st.floats(min_value=0.8, max_value=0.999)
EPS = 1e-9


def nps_counts(min_n: int = 0):
    return st.tuples(count, count, count).filter(lambda c: sum(c) >= min_n)


@FAST
@given(nps_counts(min_n=2), st.floats(min_value=0.95, max_value=0.999))
def test_nps_interval_contains_the_estimate_and_stays_in_range(counts, level):
    # From n = 2 at 95 % or more; with n = 1 the adjusted interval (centred on the adjusted estimate)
    # can exclude a raw NPS of ±100, see test_stats.test_nps_interval_one_response.
    r = nps_interval(*counts, confidence=level)
    assert -100 <= r.low <= r.estimate + EPS
    assert r.estimate - EPS <= r.high <= 100
    assert r.low < r.high


@FAST
@given(nps_counts(min_n=1), confidence)
def test_nps_interval_stays_in_range_and_is_never_degenerate(counts, level):
    r = nps_interval(*counts, confidence=level)
    assert -100 <= r.low < r.high <= 100


@FAST
@given(nps_counts(min_n=1), confidence, confidence)
def test_wider_confidence_gives_wider_nps_intervals(counts, a, b):
    narrow, wide = nps_interval(*counts, confidence=min(a, b)), nps_interval(*counts, confidence=max(a, b))
    assert wide.low <= narrow.low + EPS and narrow.high <= wide.high + EPS


@FAST
@given(st.lists(nps_counts(), min_size=1, max_size=30).filter(lambda stores: sum(map(sum, stores)) > 0))
def test_brand_nps_is_the_response_weighted_mean_of_store_nps(stores):
    promoters, passives, detractors = (np.array(column) for column in zip(*stores, strict=True))
    by_store = nps_interval(promoters, passives, detractors)
    brand = nps_interval(promoters.sum(), passives.sum(), detractors.sum())
    answered = by_store.n > 0
    weighted = np.sum(by_store.n[answered] * by_store.estimate[answered]) / by_store.n.sum()
    assert brand.estimate == pytest.approx(weighted, abs=1e-9)
    assert brand.n == by_store.n.sum()


proportion = st.integers(min_value=1, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@FAST
@given(proportion, confidence)
def test_wilson_interval_contains_the_proportion_and_stays_in_0_1(kn, level):
    r = wilson_interval(*kn, confidence=level)
    assert 0 <= r.low <= r.estimate + EPS
    assert r.estimate - EPS <= r.high <= 1


@FAST
@given(proportion, confidence, confidence)
def test_wider_confidence_gives_wider_wilson_intervals(kn, a, b):
    narrow, wide = wilson_interval(*kn, confidence=min(a, b)), wilson_interval(*kn, confidence=max(a, b))
    assert wide.low <= narrow.low + EPS and narrow.high <= wide.high + EPS


@FAST
@given(proportion, proportion, confidence)
def test_newcombe_interval_contains_the_difference(first, second, level):
    r = two_proportion_test(*first, *second, confidence=level)
    assert -1 <= r.low <= r.estimate + EPS
    assert r.estimate - EPS <= r.high <= 1
    assert np.isnan(r.p_value) or 0 <= r.p_value <= 1


scores = st.lists(st.integers(min_value=1, max_value=7), min_size=2, max_size=60)


@FAST
@given(scores, confidence, confidence)
def test_mean_interval_contains_the_mean_and_widens(values, a, b):
    x = np.array(values, dtype=float)
    sums = (len(x), x.sum(), (x**2).sum())
    narrow, wide = mean_interval(*sums, confidence=min(a, b)), mean_interval(*sums, confidence=max(a, b))
    assert narrow.low <= narrow.estimate + EPS <= narrow.high + 2 * EPS
    assert wide.low <= narrow.low + EPS and narrow.high <= wide.high + EPS
    assert narrow.estimate == pytest.approx(x.mean())


@FAST
@given(
    st.floats(min_value=-0.99, max_value=0.99),
    st.integers(min_value=4, max_value=5000),
    confidence,
    confidence,
)
def test_correlation_interval_contains_r_and_widens(r, n, a, b):
    narrow, wide = correlation_interval(r, n, min(a, b)), correlation_interval(r, n, max(a, b))
    assert -1 <= wide.low <= narrow.low + EPS <= r + 2 * EPS
    assert r - 2 * EPS <= narrow.high <= wide.high + EPS <= 1 + EPS


units = st.lists(
    st.tuples(st.floats(min_value=-50, max_value=50), st.integers(min_value=1, max_value=500)),
    min_size=2,
    max_size=25,
)


@FAST
@given(units, st.floats(min_value=-20, max_value=20))
def test_shrinkage_moves_every_estimate_toward_the_target(data, target):
    y = np.array([value for value, _ in data])
    v = np.array([2500.0 / n for _, n in data])  # sigma^2 = 2500 (NPS points^2) over n responses
    r = shrink(y, v, target=target)
    assert np.all(np.abs(r.values - target) <= np.abs(y - target) + 1e-9)
    assert np.all((r.values - target) * (y - target) >= -1e-9)  # never past the target
    assert np.all((r.b >= 0) & (r.b <= 1))


@FAST
@given(units, st.floats(min_value=-50, max_value=50), st.integers(1, 50), st.integers(51, 2000))
def test_small_units_shrink_more_than_large_ones_with_the_same_estimate(data, raw, small_n, large_n):
    y = np.array([value for value, _ in data] + [raw, raw])
    n = np.array([m for _, m in data] + [small_n, large_n])
    r = shrink(y, 2500.0 / n)
    small_move, large_move = abs(r.values[-2] - raw), abs(r.values[-1] - raw)
    assert small_move >= large_move - 1e-9
    assert r.b[-2] >= r.b[-1]


p_values = st.lists(
    st.one_of(st.floats(min_value=0, max_value=1), st.just(float("nan"))), min_size=1, max_size=50
)


@FAST
@given(p_values)
def test_fdr_adjusted_p_is_never_below_the_raw_p(p):
    raw = np.array(p)
    r = fdr(raw)
    present = ~np.isnan(raw)
    assert np.all(r.adjusted[present] >= raw[present] - 1e-12)
    assert np.all(r.adjusted[present] <= 1)
    assert np.isnan(r.adjusted[~present]).all() and not r.significant[~present].any()


small_counts = st.lists(st.integers(min_value=0, max_value=12), min_size=11, max_size=11)
VALUES = np.arange(11)


@FAST
@given(small_counts, small_counts)
def test_mann_whitney_from_counts_equals_scipy(a, b):
    x, y = np.repeat(VALUES, a), np.repeat(VALUES, b)
    r = mann_whitney_from_counts(a, b)
    if len(x) == 0 or len(y) == 0 or np.unique(np.concatenate([x, y])).size < 2:
        assert np.isnan(r.p_value) and r.reason
        return
    expected = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)
    assert r.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)
    assert r.prob_superiority == pytest.approx(expected.statistic / (len(x) * len(y)))


@FAST
@given(st.lists(small_counts, min_size=2, max_size=5))
def test_kruskal_from_counts_equals_scipy(matrix):
    samples = [np.repeat(VALUES, row) for row in matrix if sum(row) > 0]
    r = kruskal_from_counts(matrix)
    if len(samples) < 2 or np.unique(np.concatenate(samples)).size < 2:
        assert np.isnan(r.statistic) and r.reason
        return
    expected = stats.kruskal(*samples)
    if abs(expected.statistic) < 1e-9:
        # Identical groups: scipy's rounding can give H = -1e-14 and p = nan; here H = 0 and p = 1.
        assert (r.statistic, r.p_value) == (pytest.approx(0, abs=1e-9), pytest.approx(1, abs=1e-6))
        return
    assert r.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert r.p_value == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-15)


groups = st.lists(
    st.lists(st.floats(min_value=-100, max_value=100, allow_subnormal=False), min_size=2, max_size=10),
    min_size=2,
    max_size=4,
)


@FAST
@given(groups)
def test_anova_from_stats_equals_f_oneway(samples):
    n = [len(s) for s in samples]
    means = [np.mean(s) for s in samples]
    variances = [np.var(s, ddof=1) for s in samples]
    r = anova_from_stats(n, means, variances)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns about constant groups, skipped below
        expected = stats.f_oneway(*samples)
    if r.msw <= 1e-12 * max(1.0, r.msb):
        return  # constant groups: covered by test_stats.test_anova_edge_cases
    if abs(expected.statistic) < 1e-12:
        # Equal group means: scipy's rounding can give F = -3e-32 and p = nan; here F = 0 and p = 1.
        assert (r.statistic, r.p_value) == (pytest.approx(0, abs=1e-12), pytest.approx(1, abs=1e-6))
        return
    assert r.statistic == pytest.approx(expected.statistic, rel=1e-6)
    assert r.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


@FAST
@given(st.integers(min_value=2, max_value=6), st.integers(min_value=0, max_value=10_000))
def test_relative_weights_sum_to_r_squared(predictors, seed):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((60, predictors + 1)) @ rng.standard_normal((predictors + 1, predictors + 1))
    corr = np.corrcoef(data, rowvar=False)
    r = relative_weights(corr, 0)
    rxx, rxy = corr[1:, 1:], corr[0, 1:]
    assert r.raw.sum() == pytest.approx(rxy @ np.linalg.solve(rxx, rxy), rel=1e-8)
    assert np.all(r.raw >= 0)
