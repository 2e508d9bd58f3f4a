"""The statistics behind every badge, interval and ranking: pure functions on sufficient statistics.

Callers read rollup tables, so every function takes counts, sums and sums of squares (never raw rows)
and most are vectorised: pass arrays to get one result per store. Results are frozen dataclasses
whose fields have the broadcast shape of the inputs (plain floats and strings for scalar inputs).

Units, the same everywhere:

* NPS and NPS differences in points, -100 to 100;
* proportions (Wilson, two-proportion test) as fractions, 0 to 1;
* shares, I² and the consistency index in percent, 0 to 100.

Bad arguments (negative counts, a confidence outside (0, 1), mismatched shapes) raise ``ValueError``.
A statistic the data cannot support (no responses, one group, no variation) is ``nan`` and the
``reason`` field says why; ``reason`` is ``""`` where the value was computed.
The methods and their sources are listed on the methods page (METHODS.md).

Modules: :mod:`~cx.stats.intervals` (estimates with intervals), :mod:`~cx.stats.differences`
(two-group tests), :mod:`~cx.stats.groups` (many groups and locations), :mod:`~cx.stats.correlation`
(driver correlations and relative weights); all re-exported here. :mod:`~cx.stats.detection` and
:mod:`~cx.stats.themes` are imported on their own.
"""

from __future__ import annotations

from cx.stats._common import Reason, Value
from cx.stats.correlation import RelativeWeights, correlation_from_moments, relative_weights
from cx.stats.differences import (
    MannWhitneyResult,
    TestResult,
    mann_whitney_from_counts,
    nps_difference_test,
    two_proportion_test,
    welch_test,
)
from cx.stats.groups import (
    PLAIN_LIMITS,
    RANDOM_EFFECTS,
    AnovaResult,
    FdrResult,
    FunnelAssessment,
    FunnelLimits,
    IccResult,
    KruskalResult,
    MetaAnalysis,
    RankIntervals,
    Shrinkage,
    anova_from_stats,
    consistency_index,
    dersimonian_laird,
    fdr,
    funnel_assessment,
    funnel_limits,
    icc1,
    kruskal_from_counts,
    rank_intervals,
    shrink,
)
from cx.stats.intervals import (
    Interval,
    Moments,
    correlation_interval,
    group_moments,
    mean_interval,
    nps_interval,
    wilson_interval,
)

__all__ = [
    "PLAIN_LIMITS",
    "RANDOM_EFFECTS",
    "AnovaResult",
    "FdrResult",
    "FunnelAssessment",
    "FunnelLimits",
    "IccResult",
    "Interval",
    "KruskalResult",
    "MannWhitneyResult",
    "MetaAnalysis",
    "Moments",
    "RankIntervals",
    "Reason",
    "RelativeWeights",
    "Shrinkage",
    "TestResult",
    "Value",
    "anova_from_stats",
    "consistency_index",
    "correlation_from_moments",
    "correlation_interval",
    "dersimonian_laird",
    "fdr",
    "funnel_assessment",
    "funnel_limits",
    "group_moments",
    "icc1",
    "kruskal_from_counts",
    "mann_whitney_from_counts",
    "mean_interval",
    "nps_difference_test",
    "nps_interval",
    "rank_intervals",
    "relative_weights",
    "shrink",
    "two_proportion_test",
    "welch_test",
    "wilson_interval",
]
