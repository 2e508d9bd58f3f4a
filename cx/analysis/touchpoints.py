"""Touchpoints and the customer journey: store x touchpoint scores, stage rollups, consistency."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from cx.analysis.consistency import consistency
from cx.metrics.registry import METRICS
from cx.metrics.tables import metric_table
from cx.periods import Period
from cx.store.models import JOURNEY_STAGES
from cx.store.scope import Scope


def touchpoint_heatmap(
    engine: Engine, *, scope: Scope, period: Period | None = None, metric: str = "nps"
) -> pd.DataFrame:
    """Long frame ``store, touchpoint, stage, value, low, high, n``: one row per store x touchpoint."""
    spec = METRICS[metric]
    value, low, high, n = metric, spec.low, spec.high, spec.n_column
    table = metric_table(engine, scope=scope, period=period, by=("store", "touchpoint", "stage"))
    table = table.loc[(table[n].fillna(0) > 0) & table["touchpoint"].notna()]
    frame = pd.DataFrame({"store": table["store"], "touchpoint": table["touchpoint"], "stage": table["stage"],
                          "value": table[value], "low": table[low] if low else float("nan"),
                          "high": table[high] if high else float("nan"), "n": table[n]})  # fmt: skip
    return frame.reset_index(drop=True)


def stage_rollup(engine: Engine, *, scope: Scope, period: Period | None = None) -> pd.DataFrame:
    """Metrics per journey stage, in journey order (awareness -> advocacy)."""
    table = metric_table(engine, scope=scope, period=period, by=("stage",)).dropna(subset=["stage"])
    order = {stage: i for i, stage in enumerate(JOURNEY_STAGES)}
    return table.sort_values("stage", key=lambda s: s.map(order)).reset_index(drop=True)


def touchpoint_consistency(
    engine: Engine, *, metric: str, scope: Scope, period: Period | None = None, touchpoints: list[str]
) -> pd.DataFrame:
    """The consistency statistics of ``metric`` across stores, for each touchpoint."""
    rows = []
    for touchpoint in touchpoints:
        narrowed = Scope(**{**vars(scope), "touchpoint": touchpoint})
        rows.append(
            {"touchpoint": touchpoint, **consistency(engine, metric=metric, scope=narrowed, period=period)}
        )
    return pd.DataFrame(rows)
