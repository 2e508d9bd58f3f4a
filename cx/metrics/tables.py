"""CX and sales metrics for any scope, grouping and period, each with its n and uncertainty.

Everything is computed from the sufficient statistics in :mod:`cx.store.sums` (database GROUP BY over
rollups), then each metric's estimator (:mod:`cx.metrics.estimators`). Percentages and NPS are on a
0-100 / -100..100 scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx import stats
from cx.metrics.registry import Metric, count_columns, headline_columns, table_metrics
from cx.periods import Period
from cx.store.queries import SOURCES
from cx.store.scope import Scope
from cx.store.sums import sums

METRIC_COLUMNS = headline_columns()


def metric_table(
    engine: Engine,
    *,
    scope: Scope,
    period: Period | None = None,
    by: tuple[str, ...] = ("brand",),
    sources: tuple[str, ...] = tuple(SOURCES),
) -> pd.DataFrame:
    """One row per group with every metric of the registry's table, its n and interval (null where a
    source has no data): the group keys, ``METRIC_COLUMNS`` (the CLI contract) first, then the other
    metrics and intervals.

    A metric with ``shrunk`` (the review rating) also gets ``<key>_shrunk``: each group's value pulled
    toward the overall value of the groups shown (empirical Bayes, tau² by DerSimonian-Laird); with a
    single group it equals the raw value.

    ``sources`` narrows the table to the metrics that read those sources (and the groups they have
    answers for).
    """
    keys = list(by)
    frames = [_source_metrics(sums(engine, source, scope=scope, period=period, by=by), source, keys)
              for source in sources]  # fmt: skip
    table = frames[0]
    for frame in frames[1:]:
        table = table.merge(frame, on=keys, how="outer") if keys else pd.concat([table, frame], axis=1)
    if keys:
        table = table.sort_values(keys, na_position="last").reset_index(drop=True)
    for column in (c for c in count_columns() if c in table):
        table[column] = table[column].round().astype("Int64")
    headline = [c for c in METRIC_COLUMNS if c in table]
    rest = [c for c in table.columns if c not in keys and c not in METRIC_COLUMNS]
    return table[keys + headline + rest]


def _source_metrics(raw: pd.DataFrame, source: str, keys: list[str]) -> pd.DataFrame:
    """The columns of every table metric that reads ``source``, from its summed rollup rows."""
    metrics = table_metrics(source)
    answers = metrics[0].estimator.answers(raw) if len(raw) else np.array([])
    raw = raw.loc[answers > 0].reset_index(drop=True)
    columns: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for metric in metrics:
            columns.update(_metric_columns(metric, raw))
    frame = pd.DataFrame({key: raw[key].to_numpy() for key in keys})
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float) if len(raw) else np.array([], dtype=float)
    if not keys and frame.empty:
        frame = pd.DataFrame({name: [np.nan] for name in columns})
    return frame


def _metric_columns(metric: Metric, raw: pd.DataFrame) -> dict[str, np.ndarray]:
    if not len(raw):
        names = [
            metric.key,
            metric.low,
            metric.high,
            metric.n_column,
            f"{metric.key}_shrunk" if metric.shrunk else None,
        ]
        return {name: np.array([]) for name in names if name}
    estimator = metric.estimator
    n = estimator.answers(raw)
    interval = estimator.interval(raw)
    value = np.where(n > 0, np.asarray(interval.estimate, dtype=float), np.nan)
    columns = {metric.key: value}
    if metric.has_interval:
        columns[metric.low], columns[metric.high] = interval.low, interval.high
    if metric.n_column:
        columns[metric.n_column] = n
    if metric.shrunk:
        columns[f"{metric.key}_shrunk"] = _shrunk(metric, raw, value, n)
    return columns


def _shrunk(metric: Metric, raw: pd.DataFrame, value: np.ndarray, n: np.ndarray) -> np.ndarray:
    variance = metric.estimator.unit_variance(raw)
    if len(raw) < 2 or not np.isfinite(variance) or variance <= 0:
        return value
    target = float(np.sum(value * n) / n.sum())
    return stats.shrink(value, variance / n, target=target).values
