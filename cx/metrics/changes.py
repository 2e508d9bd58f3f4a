"""What moved between two periods: per-group change of a metric with its test, FDR across groups.

NPS: difference z-test on raw counts; proportions: two-proportion z-test with Newcombe's interval;
means: Welch's t-test (each metric's estimator, :mod:`cx.metrics.estimators`). When several groups are tested at once, Benjamini-Hochberg controls the
false discovery rate and only ``significant`` rows may be badged as changed.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.metrics.registry import METRICS
from cx.metrics.registry import metric as metric_named
from cx.periods import Period
from cx.store.scope import Scope
from cx.store.sums import shared_result, sums

MIN_STATED_ANSWERS = 30  # fewer answers in a window: a small sample, flagged and never stated as a finding
CHANGE_METRICS = tuple(key for key, m in METRICS.items() if hasattr(m.estimator, "change"))


def comparison_period(period: Period, compare: str) -> Period:
    """``previous`` (the period just before) or ``last_year`` (same dates a year earlier)."""
    if compare == "previous":
        return period.previous()
    if compare == "last_year":
        return period.last_year()
    raise ValueError(f"Unknown comparison {compare!r}: use 'previous' or 'last_year'.")


@shared_result  # explain asks for the same change many times in one computation
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

    Any registry metric with an estimator that has a change test (every metric but the average
    ticket). ``q_value`` is the Benjamini-Hochberg adjusted p over the groups shown; ``significant``
    uses it. ``before`` replaces the comparison period (e.g. the weeks before a detected change).
    Sales have no sampling error: their rows carry the change in percent (``delta_pct``) and no test.
    """
    spec = metric_named(metric)
    if not hasattr(spec.estimator, "change"):
        raise ValueError(f"{spec.label} has no change test; choose one of {', '.join(CHANGE_METRICS)}.")
    earlier = before or comparison_period(period, compare)
    keys = list(by)
    needs = getattr(spec.estimator, "needs", None) if spec.source != "sales" else None  # sales are read whole
    now = sums(engine, spec.source, scope=scope, period=period, by=by, measures=needs)
    then = sums(engine, spec.source, scope=scope, period=earlier, by=by, measures=needs)
    measures = [c for c in now.columns if c not in keys]
    if keys:
        joined = now.merge(then, on=keys, how="outer", suffixes=("", "_before"))
    else:
        joined = pd.concat([now, then.add_suffix("_before")], axis=1)
    for column in measures:
        for name in (column, f"{column}_before"):
            joined[name] = pd.to_numeric(joined[name]).fillna(0) if name in joined else 0.0
    after_sums = joined[measures]
    before_sums = joined[[f"{c}_before" for c in measures]].set_axis(measures, axis=1)
    result = spec.estimator.change(after_sums, before_sums)
    frame = pd.concat([joined[keys].reset_index(drop=True), result], axis=1)
    adjusted = stats.fdr(frame["p_value"].to_numpy(dtype=float), alpha=alpha)
    frame["q_value"] = adjusted.adjusted
    frame["significant"] = adjusted.significant
    frame["period"] = period.label()
    frame["compared_with"] = earlier.label()
    return frame
