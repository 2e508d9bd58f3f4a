"""Touchpoints and the customer journey: store x touchpoint scores, stage rollups, consistency.

A store x touchpoint cell over a few weeks holds a handful of answers, too few to read. The heatmap's
window is therefore widened backwards from the period end (:data:`WIDER_MONTHS`) until most cells
(:data:`MOST_CELLS`) hold at least :data:`MIN_CELL_ANSWERS` answers, and the page says which window it
shows and why (:func:`heatmap_window`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from cx.analysis.consistency import consistency_of
from cx.analysis.locations import LOCATION_KEYS, location_stats_of
from cx.metrics.registry import METRICS
from cx.metrics.tables import metric_table
from cx.periods import Period
from cx.store.models import JOURNEY_STAGES
from cx.store.queries import store_directory, touchpoint_stages
from cx.store.scope import Scope
from cx.store.sums import sums

MIN_CELL_ANSWERS = 10  # a cell with fewer answers is shown grey: too few to read
MOST_CELLS = 0.8  # the share of cells that should reach MIN_CELL_ANSWERS
WIDER_MONTHS = (6, 12)  # the windows tried, in months back from the period end


@dataclass(frozen=True)
class HeatmapWindow:
    """The period the heatmap reads, and how many of the scope's store x touchpoint cells (those with
    an answer in the widest window tried) hold at least ``min_n`` answers in it."""

    period: Period
    months: int | None  # None: the selected period itself
    readable: int
    cells: int
    min_n: int = MIN_CELL_ANSWERS

    @property
    def enough(self) -> bool:
        return self.cells > 0 and self.readable >= MOST_CELLS * self.cells

    def statement(self) -> str:
        """``Heatmap over the 6 months to 2026-10-31 so that most cells have at least 10 answers: 405 of
        440 cells (92 %).``"""
        counted = (
            f"{self.readable:,} of {self.cells:,} cells ({100 * self.readable / max(self.cells, 1):.0f} %)"
        )
        where = (
            f"the {self.months} months to {self.period.end:%Y-%m-%d}"
            if self.months
            else f"the selected period ({self.period.label()})"
        )
        if not self.enough:
            return f"Heatmap over {where}: only {counted} have at least {self.min_n} answers."
        if self.months:
            return f"Heatmap over {where} so that most cells have at least {self.min_n} answers: {counted}."
        return f"Heatmap over {where}: {counted} have at least {self.min_n} answers."


def months_to(end: dt.date, months: int) -> Period:
    """The ``months`` calendar months that end on ``end`` (6 months to 2026-10-31: from 2026-05-01)."""
    start = (pd.Timestamp(end) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    return Period(start, end)


def heatmap_window(
    engine: Engine,
    *,
    scope: Scope,
    period: Period,
    metric: str = "nps",
    min_n: int = MIN_CELL_ANSWERS,
    wider: tuple[int, ...] = WIDER_MONTHS,
) -> HeatmapWindow:
    """The shortest of ``period`` and the ``wider`` windows (months back from its end, longer than it)
    in which at least :data:`MOST_CELLS` of the cells hold ``min_n`` answers; when none does, the one
    where most cells do (the shortest among equals). The cells counted are the store x touchpoint
    pairs of ``scope`` with an answer in the widest window."""
    spec = METRICS[metric]
    windows = [(None, period)] + [
        (months, months_to(period.end, months))
        for months in wider
        if months_to(period.end, months).start < period.start
    ]
    cells = len(_cell_answers(engine, spec, scope, windows[-1][1]))
    readable = []  # cells with min_n answers per window, from the shortest until most cells have them
    for _, window in windows:
        readable.append(int((_cell_answers(engine, spec, scope, window) >= min_n).sum()))
        if cells and readable[-1] >= MOST_CELLS * cells:
            break
    enough = cells and readable[-1] >= MOST_CELLS * cells
    pick = len(readable) - 1 if enough else readable.index(max(readable))
    months, chosen = windows[pick]
    return HeatmapWindow(chosen, months, readable[pick], cells, min_n)


def _cell_answers(engine: Engine, spec, scope: Scope, period: Period) -> pd.Series:
    """Answers per store x touchpoint with at least one answer."""
    raw = sums(engine, spec.source, scope=scope, period=period, by=("store", "touchpoint"))
    if raw.empty:
        return pd.Series(dtype=float)
    raw = raw.loc[raw["touchpoint"].notna()]
    answers = pd.Series(spec.estimator.answers(raw), index=raw.index, dtype=float)
    return answers.loc[answers > 0]


def touchpoint_heatmap(
    engine: Engine, *, scope: Scope, period: Period | None = None, metric: str = "nps"
) -> pd.DataFrame:
    """Long frame ``store, place, touchpoint, stage, value, low, high, n``: one row per store x
    touchpoint; ``place`` names the store (``ST007 · Dubai Al Barsha``)."""
    spec = METRICS[metric]
    value, low, high, n = metric, spec.low, spec.high, spec.n_column
    table = metric_table(
        engine, scope=scope, period=period, by=("store", "touchpoint"), sources=(spec.source,)
    )
    table = table.loc[(table[n].fillna(0) > 0) & table["touchpoint"].notna()]
    table = table.assign(stage=table["touchpoint"].map(touchpoint_stages(engine)))
    names = store_directory(engine, scope=scope).set_index("store_id")["name"]
    place = table["store"] + " · " + table["store"].map(names).fillna("")
    frame = pd.DataFrame({"store": table["store"], "place": place.str.removesuffix(" · "),
                          "touchpoint": table["touchpoint"], "stage": table["stage"],
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
    every = replace(scope, touchpoint=None)  # one read, the heatmap's: every store x touchpoint at once
    raw = sums(engine, METRICS[metric].source, scope=every, period=period, by=("store", "touchpoint"))
    places = store_directory(engine, scope=every).rename(columns={"store_id": "store"})
    raw = raw.merge(places[list(LOCATION_KEYS)], on="store", how="left")
    rows = []
    for touchpoint in touchpoints:
        own = raw.loc[raw["touchpoint"] == touchpoint].drop(columns="touchpoint")
        rows.append({"touchpoint": touchpoint, **consistency_of(location_stats_of(metric, own))})
    return pd.DataFrame(rows)
