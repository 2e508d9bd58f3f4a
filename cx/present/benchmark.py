"""The brand benchmark row a manager sees beside their own stores' figures, as people read it."""

from __future__ import annotations

import math

import pandas as pd

from cx.ingest.wording import plural
from cx.metrics.registry import METRICS
from cx.present.root_cause import format_money


def benchmark_table(benchmark: pd.DataFrame) -> pd.DataFrame:
    """:func:`cx.analysis.executive.brand_benchmark` as people read it: the value with its interval and n,
    the median store, and how many stores have data."""
    rows = []
    for row in benchmark.itertuples():
        level = METRICS[row.metric].level
        shown = format_money if row.metric == "revenue" else level.format
        rows.append({
            "Metric": row.label,
            "Brand": "no data" if math.isnan(row.value) else shown(row.value),
            "95 % interval": "" if math.isnan(row.low) else f"{shown(row.low)} to {shown(row.high)}",
            "n": "" if math.isnan(row.n) else f"{row.n:,.0f} {row.unit}",
            "Median store": "" if math.isnan(row.median_store) else shown(row.median_store),
            "Stores": plural(row.stores, "store"),
        })  # fmt: skip
    return pd.DataFrame(rows)


def benchmark_sentence(row) -> str:
    """One metric's benchmark in words: ``NPS 36.4 (95 % CI 34.7 to 38.2, n = 6,832 answers); median store 37.9``."""
    shown = format_money if row.name == "revenue" else METRICS[row.name].level.format
    words = f"{row['label']} {shown(row['value'])}"
    if not math.isnan(row["low"]):
        words += f" (95 % CI {shown(row['low'])} to {shown(row['high'])}, n = {row['n']:,.0f} {row['unit']})"
    return f"{words}; median store {shown(row['median_store'])}"
