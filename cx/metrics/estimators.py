"""How a metric is estimated from rollup sums: its value and 95 % interval, its change test, and the
per-answer statistics that location comparisons and consistency need.

Every estimator reads a frame of summed rollup columns (one row per group) and works on whole
arrays. Four kinds cover every metric: the net promoter score, a share (Wilson interval), a mean
(t-interval) and a total (sales: counted in full, no sampling error). The formulas and their sources
are in :mod:`cx.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from cx import stats
from cx.store.rollups import NPS_COUNTS

CHANGE_COLUMNS = ("before", "after", "delta", "low", "high", "p_value", "n_before", "n_after")


def column(frame: pd.DataFrame, names: str | tuple[str, ...]) -> np.ndarray:
    """One column, or the row sums of several, as floats."""
    if isinstance(names, str):
        return pd.to_numeric(frame[names]).to_numpy(dtype=float)
    return np.sum([column(frame, name) for name in names], axis=0)


def _names(names: str | tuple[str, ...]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else tuple(names)


def nps_components(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Promoters (9-10), passives (7-8) and detractors (0-6) from the per-score counts."""
    values = counts[list(NPS_COUNTS)].to_numpy(dtype=float)
    return values[:, 9:].sum(axis=1), values[:, 7:9].sum(axis=1), values[:, :7].sum(axis=1)


def _scaled(interval: stats.Interval, scale: float) -> stats.Interval:
    return stats.Interval(
        scale * np.asarray(interval.estimate, dtype=float), scale * np.asarray(interval.low, dtype=float),
        scale * np.asarray(interval.high, dtype=float), interval.n, scale * np.asarray(interval.se, dtype=float),
        interval.reason,
    )  # fmt: skip


def _change(before, after, test: stats.TestResult, n_before, n_after, scale: float = 1.0) -> pd.DataFrame:
    values = (before, after, scale * np.asarray(test.estimate, dtype=float), scale * np.asarray(test.low, dtype=float),
              scale * np.asarray(test.high, dtype=float), test.p_value, n_before, n_after)  # fmt: skip
    return pd.DataFrame(
        {name: np.asarray(v, dtype=float) for name, v in zip(CHANGE_COLUMNS, values, strict=True)}
    )


@dataclass(frozen=True)
class NetPromoter:
    """NPS = 100 (promoters - detractors) / n from the counts per score 0-10: adjusted-Wald interval,
    difference z-test (:func:`cx.stats.nps_interval`, :func:`cx.stats.nps_difference_test`)."""

    test_name: ClassVar[str] = "z-test of the difference of two NPS on the answer counts"

    @property
    def needs(self) -> tuple[str, ...]:
        """The rollup columns its value, interval and change test read."""
        return NPS_COUNTS

    def answers(self, sums: pd.DataFrame) -> np.ndarray:
        return column(sums, NPS_COUNTS)

    def interval(self, sums: pd.DataFrame) -> stats.Interval:
        return stats.nps_interval(*nps_components(sums))

    def change(self, now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
        after_counts, before_counts = nps_components(now), nps_components(before)
        test = stats.nps_difference_test(np.array(after_counts), np.array(before_counts))
        return _change(stats.nps_interval(*before_counts).estimate, stats.nps_interval(*after_counts).estimate,
                       test, sum(before_counts), sum(after_counts))  # fmt: skip

    def per_answer(self, sums: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sample variance of one answer coded +1/0/-1, per row."""
        promoters, _, detractors = nps_components(sums)
        n = self.answers(sums)
        p, d = promoters / n, detractors / n
        return p - d, (p + d - (p - d) ** 2) * n / np.maximum(n - 1, 1)

    def answer_variance(self, sums: pd.DataFrame) -> np.ndarray:
        """Variance of one answer in NPS points², per row: 100² (p + d - (p - d)²)."""
        promoters, _, detractors = nps_components(sums)
        n = self.answers(sums)
        p, d = promoters / n, detractors / n
        return 1e4 * (p + d - (p - d) ** 2)

    def unit_variance(self, sums: pd.DataFrame) -> float:
        """V0 of the whole frame (the brand), in NPS points²."""
        promoters, _, detractors = (values.sum() for values in nps_components(sums))
        n = self.answers(sums).sum()
        if n == 0:
            return np.nan
        p, d = promoters / n, detractors / n
        return float(1e4 * (p + d - (p - d) ** 2))

    def counts(self, sums: pd.DataFrame) -> np.ndarray:
        return sums[list(NPS_COUNTS)].to_numpy(dtype=float)


@dataclass(frozen=True)
class Share:
    """Share of answers in ``hits`` (one rollup column or several summed) out of ``n``, in percent:
    Wilson interval, two-proportion z-test with Newcombe's interval for a change."""

    test_name: ClassVar[str] = "two-proportion z-test"

    hits: str | tuple[str, ...]
    n: str | tuple[str, ...]

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_names(self.hits) + _names(self.n)))

    def answers(self, sums: pd.DataFrame) -> np.ndarray:
        return column(sums, self.n)

    def interval(self, sums: pd.DataFrame) -> stats.Interval:
        return _scaled(stats.wilson_interval(column(sums, self.hits), self.answers(sums)), 100)

    def change(self, now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
        k1, n1, k0, n0 = (
            column(now, self.hits),
            self.answers(now),
            column(before, self.hits),
            self.answers(before),
        )
        test = stats.two_proportion_test(k1, n1, k0, n0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _change(100 * k0 / n0, 100 * k1 / n1, test, n0, n1, scale=100)

    def per_answer(self, sums: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        n = self.answers(sums)
        p = column(sums, self.hits) / n
        return p, p * (1 - p) * n / np.maximum(n - 1, 1)

    def answer_variance(self, sums: pd.DataFrame) -> np.ndarray:
        p = column(sums, self.hits) / self.answers(sums)
        return 1e4 * p * (1 - p)

    def unit_variance(self, sums: pd.DataFrame) -> float:
        """V0 of the whole frame (the brand), in percentage points²: 100² θ (1 - θ)."""
        n = self.answers(sums).sum()
        if n == 0:
            return np.nan
        share = column(sums, self.hits).sum() / n
        return float(1e4 * share * (1 - share))

    def counts(self, sums: pd.DataFrame) -> np.ndarray:
        k, n = column(sums, self.hits), self.answers(sums)
        return np.column_stack([n - k, k])


@dataclass(frozen=True)
class Mean:
    """Mean of answers from their count, sum and sum of squares: t-interval, Welch's test for a
    change; ``buckets`` count the answers per scale value (for Kruskal-Wallis)."""

    test_name: ClassVar[str] = "Welch's t-test"

    n: str
    total: str
    total_sq: str
    buckets: tuple[str, ...] = ()

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.n, self.total, self.total_sq)

    def answers(self, sums: pd.DataFrame) -> np.ndarray:
        return column(sums, self.n)

    def _moments(self, sums: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return column(sums, self.n), column(sums, self.total), column(sums, self.total_sq)

    def interval(self, sums: pd.DataFrame) -> stats.Interval:
        return stats.mean_interval(*self._moments(sums))

    def change(self, now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
        after, earlier = stats.group_moments(*self._moments(now)), stats.group_moments(*self._moments(before))
        test = stats.welch_test(after.n, after.mean, after.var, earlier.n, earlier.mean, earlier.var)
        return _change(earlier.mean, after.mean, test, earlier.n, after.n)

    def per_answer(self, sums: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        moments = stats.group_moments(*self._moments(sums))
        return np.asarray(moments.mean, dtype=float), np.asarray(moments.var, dtype=float)

    def answer_variance(self, sums: pd.DataFrame) -> np.ndarray:
        n, total, total_sq = self._moments(sums)
        return total_sq / n - (total / n) ** 2

    def unit_variance(self, sums: pd.DataFrame) -> float:
        """Pooled within-group variance sum((x - mean_g)²) / (N - G) from per-group sums."""
        n, total, total_sq = self._moments(sums)
        within = total_sq - np.divide(total**2, n, where=n > 0, out=np.zeros_like(n))
        dof = n.sum() - (n > 0).sum()
        return float(within.sum() / dof) if dof > 0 else np.nan

    def counts(self, sums: pd.DataFrame) -> np.ndarray:
        return sums[list(self.buckets)].to_numpy(dtype=float)


@dataclass(frozen=True)
class Total:
    """A sum counted in full (sales): no sampling error, so no interval and no test; a change is read
    in percent. ``n`` is the number of days with sales."""

    measure: str
    n: str = "days"

    def answers(self, sums: pd.DataFrame) -> np.ndarray:
        return column(sums, self.n)

    def interval(self, sums: pd.DataFrame) -> stats.Interval:
        value = column(sums, self.measure)
        nan = np.full(len(value), np.nan)
        return stats.Interval(
            value, nan, nan, self.answers(sums), nan, np.full(len(value), "counted in full")
        )

    def change(self, now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
        earlier, after = column(before, self.measure), column(now, self.measure)
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.where(earlier > 0, 100 * (after / earlier - 1), np.nan)
        nan = np.full(len(now), np.nan)
        return pd.DataFrame({"before": earlier, "after": after, "delta": after - earlier, "delta_pct": pct,
                             "low": nan, "high": nan, "p_value": nan, "n_before": self.answers(before),
                             "n_after": self.answers(now)})  # fmt: skip


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator`` summed over the group (average ticket: revenue per transaction on
    days with both); counted in full, no interval."""

    numerator: str
    denominator: str

    def answers(self, sums: pd.DataFrame) -> np.ndarray:
        return column(sums, self.denominator)

    def interval(self, sums: pd.DataFrame) -> stats.Interval:
        denominator = self.answers(sums)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(denominator > 0, column(sums, self.numerator) / denominator, np.nan)
        nan = np.full(len(value), np.nan)
        return stats.Interval(value, nan, nan, denominator, nan, np.full(len(value), "counted in full"))


Estimator = NetPromoter | Share | Mean | Total | Ratio
