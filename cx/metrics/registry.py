"""Every metric, defined once: its key, how it is named and written, what it reads, how it is
estimated and tested, and where the dashboard uses it.

Pages, CLI choices, charts, goals, root-cause wording and the glossary cross-check all read this
registry. Adding a metric is one :class:`Metric` here plus its estimator (:mod:`cx.metrics.estimators`),
and a rollup column (with its migration) when it needs sums the rollups do not hold yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cx.config import currency_code
from cx.metrics.estimators import Estimator, Mean, NetPromoter, Ratio, Share, Total
from cx.store.rollups import NPS_COUNTS

# Where a metric is used (``Metric.uses``).
HEADLINE = "headline"  # in ``cx metrics`` JSON (with its interval when ``headline_interval``)
COMPARE = "compare"  # league table, funnel plot and consistency across stores
EXPLAIN = "explain"  # root-cause drill-down
GOAL = "goal"  # goals may target it
KPI = "kpi"  # a tile on the executive summary
TREND = "trend"  # a monthly trend on the executive summary
TOUCHPOINTS = "touchpoints"  # the touchpoints page (heatmap, journey stages, touchpoint consistency)
SIDE_BY_SIDE = "side_by_side"  # the rows of the compare page's stores side by side
TABLE = "table"  # a column of the metric table (every metric of the nps, surveys, reviews and sales rollups)


@dataclass(frozen=True)
class Metric:
    """One metric. ``level`` and ``change`` are Python formats for a value (``36.4``) and a change
    (``7.5 points``); ``short_change`` a signed change in a table cell; ``d3_format`` the chart and
    tooltip format; ``scale`` the values it can take (goal targets are checked against it)."""

    key: str
    label: str  # chart titles and axes: "CSAT top-2-box (%)"
    short_label: str  # in sentences and tiles: "CSAT top-2-box"
    source: str  # the rollups it reads: nps, surveys, attributes, reviews or sales
    estimator: Estimator
    n_column: str | None  # the metric-table column holding its n
    scale: tuple[float, float]
    d3_format: str
    level: str
    change: str
    short_change: str
    glossary: str  # the glossary heading that defines it
    uses: frozenset[str] = frozenset({TABLE})
    headline_interval: bool = False
    band: float | None = None  # tolerance around the brand for "within band" (comparable metrics)
    n_unit: str = "answers"
    higher_is_better: bool = True
    shrunk: bool = False  # the metric table adds ``<key>_shrunk`` (empirical Bayes toward the groups' mean)
    low_column: str | None = None  # when the interval columns are not ``<key>_low`` / ``<key>_high``
    high_column: str | None = None
    source_label: str | None = None  # the metric named as a source of evidence ("Sales"); default short_label
    evidence_label: str | None = None  # in a list of evidence combined ("top-2-box"); default short_label

    @property
    def source_name(self) -> str:
        return self.source_label or self.short_label

    @property
    def evidence_name(self) -> str:
        return self.evidence_label or self.short_label

    @property
    def in_sentence(self) -> str:
        """The short label inside a sentence: acronyms stay upper case ("NPS"), words go lower case."""
        return self.short_label if self.short_label[:2].isupper() else self.short_label.lower()

    @property
    def low(self) -> str:
        return self.low_column or f"{self.key}_low"

    @property
    def high(self) -> str:
        return self.high_column or f"{self.key}_high"

    @property
    def per_touchpoint(self) -> bool:
        """Whether answers name a touchpoint (NPS and surveys do; reviews and sales do not)."""
        return self.source in ("nps", "surveys", "attributes")

    @property
    def has_interval(self) -> bool:
        return not isinstance(self.estimator, Total | Ratio)

    @property
    def decimals(self) -> int:
        return int(self.d3_format.rstrip("f%").lstrip(",+.") or 0)

    @property
    def root_cause(self) -> str:
        """The metric the root-cause page investigates for this one: itself when it can be explained,
        else the explained metric of the same source (CSAT mean -> top-2-box), else NPS."""
        if EXPLAIN in self.uses:
            return self.key
        same = [k for k, m in METRICS.items() if EXPLAIN in m.uses and m.source == self.source]
        return same[0] if same else "nps"

    def format_level(self, value: float) -> str:
        return self.level.format(value)

    def format_change(self, delta: float) -> str:
        return self.change.format(abs(delta))


def _percent(key, label, short, source, estimator, n_column, glossary, uses=frozenset(), **extra) -> Metric:
    return Metric(key, label, short, source, estimator, n_column, (0, 100), ".1f", "{:.1f} %",
                  "{:.1f} percentage points", "{:+.1f} pp", glossary, frozenset({TABLE, *uses}), **extra)  # fmt: skip


_STARS = tuple(
    _percent(
        f"stars_{i}_pct",
        f"{i}-star reviews (%)",
        f"{i}-star reviews",
        "reviews",
        Share(f"r{i}", "n"),
        "reviews_n",
        "rating",
    )  # fmt: skip
    for i in range(1, 6)
)

_CURRENCY = currency_code()

METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric("nps", "NPS", "NPS", "nps", NetPromoter(), "nps_n", (-100, 100), "+.1f", "{:.1f}", "{:.1f} points",
               "{:+.1f} pts", "nps",
               frozenset({TABLE, HEADLINE, COMPARE, EXPLAIN, GOAL, KPI, TREND, TOUCHPOINTS, SIDE_BY_SIDE}),
               headline_interval=True, band=5.0),
        _percent("promoters_pct", "Promoters (%)", "Promoters", "nps", Share(NPS_COUNTS[9:], NPS_COUNTS), "nps_n",
                 "promoters_pct", {HEADLINE}),
        _percent("passives_pct", "Passives (%)", "Passives", "nps", Share(NPS_COUNTS[7:9], NPS_COUNTS), "nps_n",
                 "passives_pct", {HEADLINE}),
        _percent("detractors_pct", "Detractors (%)", "Detractors", "nps", Share(NPS_COUNTS[:7], NPS_COUNTS),
                 "nps_n", "detractors_pct", {HEADLINE}, higher_is_better=False),
        _percent("csat_top2", "CSAT top-2-box (%)", "CSAT top-2-box", "surveys", Share("top2", "n"), "csat_n",
                 "csat_top2", {HEADLINE, COMPARE, EXPLAIN, GOAL, KPI, TREND, TOUCHPOINTS, SIDE_BY_SIDE},
                 headline_interval=True, band=5.0, evidence_label="top-2-box"),
        Metric("csat_mean", "CSAT mean (1-5)", "CSAT mean", "surveys",
               Mean("n", "csat_sum", "csat_sq", tuple(f"c{i}" for i in range(1, 6))), "csat_n", (1, 5), ".2f",
               "{:.2f}", "{:.2f} points", "{:+.2f}", "csat_mean",
               frozenset({TABLE, HEADLINE, COMPARE, GOAL, SIDE_BY_SIDE}), band=0.1),
        Metric("ces_mean", "CES mean (1-7)", "CES mean", "surveys",
               Mean("ces_n", "ces_sum", "ces_sq", tuple(f"e{i}" for i in range(1, 8))), "ces_n", (1, 7), ".2f",
               "{:.2f}", "{:.2f} points", "{:+.2f}", "ces_mean", frozenset({TABLE, HEADLINE, COMPARE, SIDE_BY_SIDE}),
               band=0.2),
        _percent("ces_agree_pct", "CES agree (%)", "CES agree", "surveys", Share("ces_agree", "ces_n"), "ces_n",
                 "ces_agree", low_column="ces_agree_low", high_column="ces_agree_high"),
        _percent("ces_low_effort", "CES low effort (%)", "CES low effort", "surveys", Share(("e6", "e7"), "ces_n"),
                 "ces_n", "ces_low_effort", {HEADLINE, COMPARE, GOAL, KPI, TOUCHPOINTS, SIDE_BY_SIDE},
                 headline_interval=True, band=5.0),
        Metric("rating", "Review rating (1-5)", "Review rating", "reviews",
               Mean("n", "rating_sum", "rating_sq", tuple(f"r{i}" for i in range(1, 6))), "reviews_n", (1, 5),
               ".2f", "{:.2f} ★", "{:.2f} stars", "{:+.2f} ★", "rating",
               frozenset({TABLE, HEADLINE, COMPARE, EXPLAIN, GOAL, KPI, SIDE_BY_SIDE}), band=0.2, n_unit="reviews",
               shrunk=True, evidence_label="review rating"),
        _percent("low_rating_pct", "1-2 star reviews (%)", "1-2 star reviews", "reviews", Share("low", "n"),
                 "reviews_n", "rating", {SIDE_BY_SIDE}, n_unit="reviews", higher_is_better=False),
        *_STARS,
        # Revenue's currency (CX_CURRENCY, read when the program starts) in its label and level format.
        Metric("revenue", f"Revenue ({_CURRENCY})" if _CURRENCY else "Revenue", "Revenue", "sales", Total("revenue"),
               None, (0, math.inf), ",.0f", f"{_CURRENCY} {{:,.0f}}" if _CURRENCY else "{:,.0f}",
               "{:.1f} %", "{:+.1f} %", "revenue",
               frozenset({TABLE, HEADLINE, EXPLAIN, GOAL, KPI, SIDE_BY_SIDE}), n_unit="days",
               source_label="Sales"),
        Metric("transactions", "Transactions", "Transactions", "sales", Total("transactions"), None, (0, math.inf),
               ",.0f", "{:,.0f}", "{:.1f} %", "{:+.1f} %", "transactions",
               frozenset({TABLE, HEADLINE, SIDE_BY_SIDE}), n_unit="days"),
        Metric("avg_ticket", "Average ticket", "Average ticket", "sales",
               Ratio("revenue_paired", "transactions_paired"), None, (0, math.inf), ",.2f", "{:,.2f}", "{:,.2f}",
               "{:+,.2f}", "avg_ticket", frozenset({TABLE, HEADLINE, SIDE_BY_SIDE}), n_unit="transactions"),
        Metric("attribute_mean", "Attribute rating (1-5)", "Attribute rating", "attributes",
               Mean("n", "rating_sum", "rating_sq"), None, (1, 5), ".2f", "{:.2f}", "{:.2f} points", "{:+.2f}",
               "Attribute ratings", frozenset()),
    )
}  # fmt: skip


def metric(key: str) -> Metric:
    """The metric named ``key``, or ``ValueError`` listing the known ones."""
    try:
        return METRICS[key]
    except KeyError:
        raise ValueError(f"Unknown metric {key!r}: choose one of {', '.join(METRICS)}.") from None


def keys_for(use: str) -> tuple[str, ...]:
    """The keys of the metrics with this use, in registry order."""
    return tuple(key for key, m in METRICS.items() if use in m.uses)


def table_metrics(source: str) -> tuple[Metric, ...]:
    return tuple(m for m in METRICS.values() if TABLE in m.uses and m.source == source)


def headline_columns() -> tuple[str, ...]:
    """The columns of ``cx metrics`` JSON: each headline metric, its interval when it is headline,
    its n (once) and its shrunk value."""
    columns: list[str] = []
    for m in METRICS.values():
        if HEADLINE not in m.uses:
            continue
        columns.append(m.key)
        if m.headline_interval:
            columns += [m.low, m.high]
        if m.shrunk:
            columns.append(f"{m.key}_shrunk")
        if m.n_column and m.n_column not in columns:
            columns.append(m.n_column)
    return tuple(columns)


def side_by_side_rows() -> dict[str, str]:
    """Metric-table column -> row label of the stores side by side: each metric, then its n."""
    rows: dict[str, str] = {}
    for m in METRICS.values():
        if SIDE_BY_SIDE not in m.uses:
            continue
        rows[m.key] = m.label
        if m.shrunk:
            rows[f"{m.key}_shrunk"] = f"{m.label}, shrunk"
        if m.n_column and m.n_column not in rows:
            rows[m.n_column] = f"n ({m.n_unit}, {m.short_label})"
    return rows


def count_columns() -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.n_column for m in METRICS.values() if TABLE in m.uses and m.n_column))


def label(key: str) -> str:
    """A metric's chart title; keys that are not metrics come back as they are."""
    return METRICS[key].label if key in METRICS else key


COMPARABLE = keys_for(COMPARE)
EXPLAINABLE = keys_for(EXPLAIN)
GOAL_METRICS = keys_for(GOAL)
FEEDBACK_METRICS = tuple(k for k in EXPLAINABLE if METRICS[k].source != "sales")
TOUCHPOINT_METRICS = tuple(k for k in FEEDBACK_METRICS if METRICS[k].per_touchpoint)
