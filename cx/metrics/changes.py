"""What moved between two periods: per-group change of a metric with its test, FDR across groups.

NPS: difference z-test on raw counts; proportions: two-proportion z-test with Newcombe's interval;
means: Welch's t-test; ordinal distributions can be compared with Mann-Whitney in
:func:`distribution_shift`. When several groups are tested at once, Benjamini-Hochberg controls the
false discovery rate and only ``significant`` rows may be badged as changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.metrics.tables import nps_components
from cx.periods import Period
from cx.store.scope import Scope
from cx.store.sums import NPS_COUNTS, sums

CHANGE_METRICS = (
    "nps",
    "csat_top2",
    "csat_mean",
    "ces_mean",
    "rating",
    "attribute_mean",
    "revenue",
    "transactions",
)
FAMILY = {"nps": "nps", "csat_top2": "survey", "csat_mean": "survey", "ces_mean": "survey", "rating": "review",
          "attribute_mean": "attribute", "revenue": "sales", "transactions": "sales"}  # fmt: skip


def comparison_period(period: Period, compare: str) -> Period:
    """``previous`` (the period just before) or ``last_year`` (same dates a year earlier)."""
    if compare == "previous":
        return period.previous()
    if compare == "last_year":
        return period.last_year()
    raise ValueError(f"Unknown comparison {compare!r}: use 'previous' or 'last_year'.")


def metric_changes(
    engine: Engine,
    *,
    metric: str,
    scope: Scope,
    period: Period,
    compare: str = "previous",
    by: tuple[str, ...] = (),
    alpha: float = 0.05,
    before: Period | None = None,
) -> pd.DataFrame:
    """Per group: ``before, after, delta, low, high, p_value, q_value, significant, n_before, n_after``.

    ``q_value`` is the Benjamini-Hochberg adjusted p over the groups shown; ``significant`` uses it.
    ``before`` replaces the comparison period (e.g. the weeks before a detected change).
    Sales have no sampling error per day here: their rows carry the change in percent and no test.
    """
    if metric not in CHANGE_METRICS:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(CHANGE_METRICS)}.")
    family = FAMILY[metric]
    earlier = before or comparison_period(period, compare)
    keys = list(by)
    now = sums(engine, family, scope=scope, period=period, by=by)
    then = sums(engine, family, scope=scope, period=earlier, by=by)
    if keys:
        joined = now.merge(then, on=keys, how="outer", suffixes=("", "_before"))
    else:
        joined = pd.concat([now.add_suffix(""), then.add_suffix("_before")], axis=1)
    measures = [c for c in now.columns if c not in keys]
    for column in measures:
        for name in (column, f"{column}_before"):
            joined[name] = pd.to_numeric(joined[name]).fillna(0) if name in joined else 0.0
    result = _TESTS[metric](joined, measures)
    frame = pd.concat([joined[keys].reset_index(drop=True), result], axis=1)
    adjusted = stats.fdr(frame["p_value"].to_numpy(dtype=float), alpha=alpha)
    frame["q_value"] = adjusted.adjusted
    frame["significant"] = adjusted.significant
    frame["period"] = period.label()
    frame["compared_with"] = earlier.label()
    return frame


def _counts(frame: pd.DataFrame, suffix: str) -> np.ndarray:
    return frame[[f"{c}{suffix}" for c in NPS_COUNTS]].to_numpy(dtype=float)


def _nps_change(frame: pd.DataFrame, _measures) -> pd.DataFrame:
    after = nps_components(frame)
    before = nps_components(frame[[f"{c}_before" for c in NPS_COUNTS]].set_axis(list(NPS_COUNTS), axis=1))
    test = stats.nps_difference_test(np.array(after), np.array(before))
    return _result(stats.nps_interval(*before).estimate, stats.nps_interval(*after).estimate, test,
                   sum(before), sum(after))  # fmt: skip


def _proportion_change(frame: pd.DataFrame, _measures) -> pd.DataFrame:
    k1, n1 = frame["top2"].to_numpy(dtype=float), frame["n"].to_numpy(dtype=float)
    k0, n0 = frame["top2_before"].to_numpy(dtype=float), frame["n_before"].to_numpy(dtype=float)
    test = stats.two_proportion_test(k1, n1, k0, n0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _result(100 * k0 / n0, 100 * k1 / n1, test, n0, n1, scale=100)


def _mean_change(n: str, total: str, total_sq: str):
    def change(frame: pd.DataFrame, _measures) -> pd.DataFrame:
        after = stats.group_moments(*(frame[c].to_numpy(dtype=float) for c in (n, total, total_sq)))
        before = stats.group_moments(
            *(frame[f"{c}_before"].to_numpy(dtype=float) for c in (n, total, total_sq))
        )
        test = stats.welch_test(after.n, after.mean, after.var, before.n, before.mean, before.var)
        return _result(before.mean, after.mean, test, before.n, after.n)

    return change


def _sales_change(measure: str):
    def change(frame: pd.DataFrame, _measures) -> pd.DataFrame:
        before, after = frame[f"{measure}_before"].to_numpy(dtype=float), frame[measure].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.where(before > 0, 100 * (after / before - 1), np.nan)
        nan = np.full(len(frame), np.nan)
        return pd.DataFrame({"before": before, "after": after, "delta": after - before, "delta_pct": pct,
                             "low": nan, "high": nan, "p_value": nan,
                             "n_before": frame["days_before"].to_numpy(dtype=float),
                             "n_after": frame["days"].to_numpy(dtype=float)})  # fmt: skip

    return change


def _result(before, after, test: stats.TestResult, n_before, n_after, scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "before": np.asarray(before, dtype=float),
            "after": np.asarray(after, dtype=float),
            "delta": scale * np.asarray(test.estimate, dtype=float),
            "low": scale * np.asarray(test.low, dtype=float),
            "high": scale * np.asarray(test.high, dtype=float),
            "p_value": np.asarray(test.p_value, dtype=float),
            "n_before": np.asarray(n_before, dtype=float),
            "n_after": np.asarray(n_after, dtype=float),
        }
    )


_TESTS = {
    "nps": _nps_change,
    "csat_top2": _proportion_change,
    "csat_mean": _mean_change("n", "csat_sum", "csat_sq"),
    "ces_mean": _mean_change("ces_n", "ces_sum", "ces_sq"),
    "rating": _mean_change("n", "rating_sum", "rating_sq"),
    "attribute_mean": _mean_change("n", "rating_sum", "rating_sq"),
    "revenue": _sales_change("revenue"),
    "transactions": _sales_change("transactions"),
}


def distribution_shift(before_counts, after_counts) -> stats.MannWhitneyResult:
    """Mann-Whitney comparison of two answer distributions given as counts per scale value."""
    return stats.mann_whitney_from_counts(after_counts, before_counts)
