"""Many series scanned at once (:func:`cx.stats.detection.shift_z`): the same split and z as
:func:`cx.stats.detection.shift_scan` gives each series on its own."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cx.stats import detection


def test_shift_z_of_a_stack_matches_hand_worked_values():
    """Series 0: two measurements drop after period 3 (variances 4 and 1). At that split each
    measurement's z is shift / sqrt(1/W1 + 1/W2): -5 / sqrt(2 / 0.75) = -3.0619 and -2 / sqrt(2 / 3) =
    -2.4495 (no residual scatter, so no dispersion), combined by Stouffer: (-3.0619 - 2.4495) / sqrt(2)
    = -3.8971. Series 1 rises after period 2: +4 / sqrt(1/2 + 1/4) = 4.6188 for its first measurement;
    its second is all missing and drops out. Series 2 has one observed period: no split."""
    nan = math.nan
    residuals = [
        [[0, 0, 0, -5, -5, -5], [0, 0, 0, -2, -2, -2]],
        [[0, 0, 4, 4, 4, 4], [nan] * 6],
        [[1, nan, nan, nan, nan, nan], [nan] * 6],
    ]
    variances = [[[4] * 6, [1] * 6], [[1] * 6, [1] * 6], [[1] * 6, [1] * 6]]
    index, z = detection.shift_z(residuals, variances)
    assert index.tolist() == [3, 2, -1]
    assert z[0] == pytest.approx(-(5 / math.sqrt(2 / 0.75) + 2 / math.sqrt(2 / 3)) / math.sqrt(2), abs=1e-9)
    assert z[0] == pytest.approx(-3.8971, abs=1e-4)
    assert z[1] == pytest.approx(4 / math.sqrt(1 / 2 + 1 / 4), abs=1e-9)
    assert math.isnan(z[2])


@pytest.mark.parametrize("known_variance", [True, False])
def test_shift_z_gives_each_series_what_shift_scan_gives_it(known_variance):
    rng = np.random.default_rng(7)
    residuals = rng.normal(0, 1, (40, 3, 18)) + np.where(np.arange(18) >= 11, rng.normal(0, 2, (40, 1, 1)), 0)
    residuals[rng.random(residuals.shape) < 0.15] = np.nan  # months without answers
    variances = rng.uniform(0.5, 3, residuals.shape)
    index, z = detection.shift_z(residuals, variances, known_variance=known_variance)
    for i in range(len(residuals)):
        scan = detection.shift_scan(residuals[i], variances[i], permutations=0, known_variance=known_variance)
        assert index[i] == (scan.index if scan.index is not None else -1)
        assert z[i] == pytest.approx(scan.z, nan_ok=True)


DROP = [[[0, 0, 0, 0, -5, -5, -5, -5]]]  # one series, one part: a clean drop after period 4
ONES = [[[1.0] * 8]]


def test_search_p_of_one_series_is_the_share_of_orders_as_extreme():
    """At the split z = -5 / sqrt(1/4 + 1/4) = -7.071 (no scatter, dispersion 1). Of the 70 orders of
    four 0s and four -5s only the clean drop and the clean rise reach |z| = 7.071 (any other order has
    scatter about its two levels and a smaller shift), so p = 2 / 70 = 0.0286."""
    _, z = detection.shift_z(DROP, ONES)
    assert z[0] == pytest.approx(-5 / math.sqrt(0.5))
    p = detection.max_shift_p([(DROP, ONES)], abs(z[0]), permutations=9999)
    assert p == pytest.approx(2 / 70, abs=0.006)


def test_search_p_counts_copies_of_one_series_once():
    """Ten identical candidates are one piece of evidence: the max-T p stays that of one series, where a
    Bonferroni bound would multiply it by ten."""
    one = detection.max_shift_p([(DROP, ONES)], 7.07, permutations=2000)
    copies = detection.max_shift_p([(DROP * 10, ONES * 10)], 7.07, permutations=2000)
    assert copies == one < 0.05


def test_search_p_of_noise_among_many_series_is_not_significant():
    rng = np.random.default_rng(3)
    residuals = rng.normal(0, 1, (300, 2, 24))
    variances = np.ones_like(residuals)
    index, z = detection.shift_z(residuals, variances)
    p = detection.max_shift_p([(residuals, variances)], float(np.nanmax(np.abs(z))))
    assert p > 0.05
    planted = residuals.copy()
    planted[17, :, 12:] -= 2.5  # one series drops by 2.5 standard deviations in both parts
    index, z = detection.shift_z(planted, variances)
    assert int(np.nanargmax(np.abs(z))) == 17 and index[17] == 12
    assert detection.max_shift_p([(planted, variances)], float(np.abs(z[17]))) <= 0.01


def test_series_no_order_can_lift_to_the_observed_z_leave_the_search_p_unchanged():
    """A series whose residuals scatter little can never reach |z| = 7.07 whatever the order (its
    chi-square about its mean bounds every split's z^2), so adding 500 of them (within +-0.3) gives the p of the clean drop alone, 2 / 70."""
    quiet = np.random.default_rng(5).uniform(-0.3, 0.3, (500, 1, 8))
    alone = detection.max_shift_p([(DROP, ONES)], 7.07, permutations=2000)
    crowded = detection.max_shift_p([(np.concatenate([DROP, quiet]), np.ones((501, 1, 8)))], 7.07,
                                    permutations=2000)  # fmt: skip
    assert crowded == alone == pytest.approx(2 / 70, abs=0.01)


def test_no_order_of_the_periods_gives_a_z_beyond_the_bound():
    """The bound that lets the search skip series holds for every order tried (random data, gaps)."""
    rng = np.random.default_rng(8)
    residuals = rng.normal(0, 3, (40, 3, 10))
    residuals[rng.random(residuals.shape) < 0.2] = np.nan
    variances = rng.uniform(0.5, 2, residuals.shape)
    r, w = detection._observed(residuals, variances)
    bound = detection._z_bound(r, w, 2)
    for _ in range(200):
        order = rng.permutation(10)
        _, z = detection.shift_z(residuals[..., order], variances[..., order])
        assert np.all(np.nan_to_num(np.abs(z)) <= bound * (1 + 1e-9))
