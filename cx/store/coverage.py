"""Which days and stores a source has data for in a scope: the raw material of the coverage rule
(:mod:`cx.metrics.coverage`). Both read the daily rollups (sales: the daily sales table) through the gate."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, distinct, func, select, union

from cx.periods import Period
from cx.store.scope import Scope, gated
from cx.store.sums import ROLLUPS, split_weeks


def data_days(engine: Engine, source: str, *, scope: Scope, period: Period) -> list[dt.date]:
    """The distinct days of ``period`` on which ``source`` has at least one answer (or sales row) in
    ``scope``, in order: at most one row per day comes back."""
    spec = ROLLUPS[source]
    day = spec.daily.c[spec.day_column]
    joined, conditions = gated(spec.daily, scope)
    query = (
        select(day)
        .distinct()
        .select_from(joined)
        .where(*conditions, day >= period.start, day <= period.end)
        .order_by(day)
    )
    with engine.connect() as connection:
        return [pd.Timestamp(value).date() for (value,) in connection.execute(query)]


def reporting_stores(engine: Engine, source: str, *, scope: Scope, period: Period) -> int:
    """How many stores of ``scope`` have data from ``source`` in ``period``: read from the store x week
    rollup for the period's whole weeks and from the daily one for the days around them (the daily
    one alone when the scope names a touchpoint)."""
    spec = ROLLUPS[source]
    parts = [(spec.daily, spec.daily.c[spec.day_column], [period])]
    if spec.store_weekly is not None and not scope.needs_touchpoints:
        weeks, days = split_weeks(period)
        parts = [
            (spec.store_weekly, spec.store_weekly.c.week, weeks),
            (spec.daily, spec.daily.c[spec.day_column], days),
        ]
    stores = []
    for table, time, ranges in parts:
        for piece in ranges:
            joined, conditions = gated(table, scope)
            where = (*conditions, time >= piece.start, time <= piece.end)
            stores.append(select(table.c.store_id).select_from(joined).where(*where))
    reported = union(*stores).subquery()  # (a single select is no union: distinct stores counted below)
    query = select(func.count(distinct(reported.c.store_id)))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
