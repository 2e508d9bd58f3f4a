"""Sufficient statistics for any scope, grouping and period, summed in the database from rollups.

Each read takes the coarsest rollups that can answer it: every store's daily totals when the scope
restricts no store and the grouping needs none (the whole brand, by touchpoint or stage); the store x
month and store x week tables when no touchpoint is asked for; otherwise the store x touchpoint tables.
A period's whole months come from monthly rollups, whole weeks at its edges from weekly ones and the
remaining days from daily ones; the parts are added (sums and counts are additive).

Inside :func:`shared_sums` a read asked again with the same arguments is answered from the first.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine, Table, and_, case, func, literal_column, or_, select

from cx.periods import Period
from cx.store.models import (
    COARSER_ROLLUPS,
    AttributeDaily,
    AttributeMonthly,
    NpsDaily,
    NpsMonthly,
    ReviewDaily,
    ReviewMonthly,
    Sales,
    SalesMonthly,
    SurveyDaily,
    SurveyMonthly,
    Touchpoint,
)
from cx.store.rollups import ATTRIBUTE_SUMS, NPS_COUNTS, REVIEW_SUMS, SALES_SUMS, SURVEY_SUMS, bucket_sql
from cx.store.scope import (
    GROUP_COLUMNS,
    TOUCHPOINT_KEYS,
    Scope,
    gated,
    organisation_join,
    scope_conditions,
    tables_needed,
)


@dataclass(frozen=True)
class Rollup:
    """A source's rollup tables and the measures they sum: ``daily`` and ``monthly`` per store (and
    touchpoint, when ``touchpoints``); ``daily_total`` per day (and touchpoint) over every store;
    ``store_weekly`` and ``store_monthly`` per store with touchpoints summed (None: not kept)."""

    daily: Table
    monthly: Table
    measures: tuple[str, ...]
    touchpoints: bool
    day_column: str = "day"
    daily_total: Table | None = None
    store_weekly: Table | None = None
    store_monthly: Table | None = None


def _coarser(group: str, store_monthly: Table | None = None) -> dict[str, Table | None]:
    tables = {
        name: COARSER_ROLLUPS.get(f"{group}_{name}")
        for name in ("daily_total", "store_weekly", "store_monthly")
    }
    return tables if store_monthly is None else {**tables, "store_monthly": store_monthly}


ROLLUPS = {
    "nps": Rollup(NpsDaily.__table__, NpsMonthly.__table__, NPS_COUNTS, True, **_coarser("nps")),
    "surveys": Rollup(SurveyDaily.__table__, SurveyMonthly.__table__, SURVEY_SUMS, True, **_coarser("survey")),
    "attributes": Rollup(AttributeDaily.__table__, AttributeMonthly.__table__, ATTRIBUTE_SUMS, True,
                         **_coarser("attribute")),
    "reviews": Rollup(ReviewDaily.__table__, ReviewMonthly.__table__, REVIEW_SUMS, False,
                      **_coarser("review", ReviewMonthly.__table__)),
    "sales": Rollup(Sales.__table__, SalesMonthly.__table__, SALES_SUMS, False, day_column="date",
                    **_coarser("sales", SalesMonthly.__table__)),
}  # fmt: skip
STORE_FIELDS = ("visible_stores", "stores", "brand", "region", "district", "store", "format")
_SHARED: ContextVar[dict | None] = ContextVar("shared_sums", default=None)


@contextmanager
def shared_sums() -> Iterator[None]:
    """Within the block, a read asked again with the same arguments is answered from the first (each
    caller gets its own copy). For one computation over data that do not change meanwhile."""
    token = _SHARED.set({}) if _SHARED.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _SHARED.reset(token)


def shared_result(function):
    """Decorator for a read ``function(engine, **keywords)`` returning a frame: inside :func:`shared_sums`,
    a call repeated with the same arguments gets a copy of the first call's result."""

    @functools.wraps(function)
    def remembered(engine: Engine, **keywords):
        shared = _SHARED.get()
        if shared is None:
            return function(engine, **keywords)
        arguments = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in keywords.items()))
        asked = (function.__module__, function.__qualname__, str(engine.url), arguments)
        if asked not in shared:
            shared[asked] = function(engine, **keywords)
        return shared[asked].copy()

    return remembered


def sums(
    engine: Engine,
    source: str,
    *,
    scope: Scope,
    period: Period | None = None,
    by: tuple[str, ...] = (),
    grain: str | None = None,
    measures: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per group (``by`` keys, plus ``bucket`` when ``grain`` is given) with summed measures.

    ``by`` keys: brand, region, district, store, format, touchpoint, stage, attribute (attributes
    only). ``measures`` narrows the summed columns (default: all of the source's). Sources without
    touchpoints (reviews, sales) return an empty frame when the scope or the grouping needs touchpoints.
    """
    spec = ROLLUPS[source]
    if measures is not None:
        spec = replace(spec, measures=tuple(measures))
    keys = list(by) + (["bucket"] if grain else [])
    if not spec.touchpoints and (scope.needs_touchpoints or set(by) & set(TOUCHPOINT_KEYS)):
        return pd.DataFrame(columns=keys + list(spec.measures))
    shared = _SHARED.get()
    asked = (str(engine.url), source, scope, period, tuple(by), grain, spec.measures)
    if shared is not None and asked in shared:
        return shared[asked].copy()
    parts = _plan(spec, scope, tuple(by), period, grain)
    frames = [_query(engine, spec, table, ranges, scope, by, grain) for table, ranges in parts]
    filled = [f for f in frames if len(f)]
    frame = pd.concat(filled, ignore_index=True) if filled else frames[0]
    if len(parts) > 1 and len(frame):
        frame = (
            frame.groupby(keys, dropna=False, sort=False).sum(min_count=1).reset_index()
            if keys
            else (frame.sum(min_count=1).to_frame().T)
        )
    frame = frame.reset_index(drop=True)
    if shared is not None:
        shared[asked] = frame
        return frame.copy()
    return frame


def _plan(spec: Rollup, scope: Scope, by: tuple[str, ...], period: Period | None,
          grain: str | None) -> list[tuple[Table, list[Period] | None]]:  # fmt: skip
    """The rollup tables that answer a read, each with the date ranges to read from it (None: all)."""
    if spec.daily_total is not None and _every_store(scope) and set(by) <= {*TOUCHPOINT_KEYS, "attribute"}:
        return [(spec.daily_total, None if period is None else [period])]
    touchpoints = scope.needs_touchpoints or bool(set(by) & set(TOUCHPOINT_KEYS))
    if spec.store_weekly is None or spec.store_monthly is None or touchpoints:
        return _store_touchpoint_parts(spec, period, grain)
    if grain == "day":
        return [(spec.daily, None if period is None else [period])]
    if period is None:
        return [(spec.store_weekly if grain == "week" else spec.store_monthly, None)]
    if grain == "week":
        weeks, days = split_weeks(period)
        return _read([(spec.store_weekly, weeks), (spec.daily, days)])
    months, edges = period.split_months()
    weeks, days = [], []
    for piece in (piece for edge in edges for piece in _within_months(edge)):
        whole, rest = split_weeks(piece)
        weeks, days = weeks + whole, days + rest
    return _read(
        [(spec.store_monthly, [months] if months else []), (spec.store_weekly, weeks), (spec.daily, days)]
    )


def _store_touchpoint_parts(spec: Rollup, period: Period | None, grain: str | None):
    if grain in ("day", "week"):
        return [(spec.daily, None if period is None else [period])]
    if period is None:
        return [(spec.monthly, None)]
    months, edges = period.split_months()
    return _read([(spec.monthly, [months] if months else []), (spec.daily, edges)])


def _read(parts: list[tuple[Table, list[Period]]]) -> list[tuple[Table, list[Period]]]:
    """The parts with ranges to read (at least one, so an empty answer still has its columns)."""
    return [part for part in parts if part[1]] or parts[:1]


def _every_store(scope: Scope) -> bool:
    """The scope restricts no store (it may name a touchpoint or stage)."""
    return all(getattr(scope, field) is None for field in STORE_FIELDS)


def _within_months(period: Period) -> list[Period]:
    """``period`` cut at month boundaries."""
    pieces, start = [], period.start
    while start <= period.end:
        month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        pieces.append(Period(start, min(month_end, period.end)))
        start = pieces[-1].end + dt.timedelta(days=1)
    return pieces


def split_weeks(period: Period) -> tuple[list[Period], list[Period]]:
    """The whole weeks (Monday to Sunday) inside ``period`` as one range, and the days around them."""
    first = period.start + dt.timedelta(days=-period.start.weekday() % 7)
    last = period.end - dt.timedelta(days=(period.end.weekday() + 1) % 7)
    if first > last:
        return [], [period]
    days = [Period(period.start, first - dt.timedelta(days=1))] if period.start < first else []
    if last < period.end:
        days.append(Period(last + dt.timedelta(days=1), period.end))
    return [Period(first, last)], days


TIME_GRAINS = {"day": "day", "date": "day", "week": "week", "month": "month"}


def _query(engine, spec: Rollup, table: Table, ranges: list[Period] | None, scope: Scope, by,
           grain) -> pd.DataFrame:  # fmt: skip
    time = next(table.c[name] for name in ("month", "week", "day", spec.day_column) if name in table.c)
    columns = {**GROUP_COLUMNS, "store": table.c.store_id} if "store_id" in table.c else dict(GROUP_COLUMNS)
    if "touchpoint_id" in table.c:  # group on the id (rollup key order); names are mapped afterwards
        columns["touchpoint"] = table.c.touchpoint_id
    groups = [columns[key].label(key) if key != "attribute" else table.c.attribute for key in by]
    if grain:
        bucket = f"{table.name}.{time.name}"
        if TIME_GRAINS[time.name] != grain:
            bucket = bucket_sql(bucket, grain, engine.dialect.name)
        groups.append(literal_column(bucket).label("bucket"))
    joined, conditions = _gate(table, scope, tuple(key for key in by if key != "touchpoint"))
    if ranges is not None:
        conditions.append(or_(*(and_(time >= r.start, time <= r.end) for r in ranges)))
    query = select(*groups).select_from(joined).where(*conditions)
    own_bucket = time.name if grain and TIME_GRAINS[time.name] == grain else None
    if _one_row_per_group(table, by, own_bucket):  # the rows are the sums
        query = query.add_columns(*(table.c[m].label(m) for m in spec.measures))
    else:
        query = query.add_columns(*_measures(spec, table)).group_by(*groups)
    frame = fetch_frame(engine, query)
    if "bucket" in frame:
        frame["bucket"] = pd.to_datetime(frame["bucket"])
    if "touchpoint" in by and len(frame):
        frame["touchpoint"] = frame["touchpoint"].map(_touchpoint_names(engine))
    return frame


KEY_COLUMNS = {"store": "store_id", "touchpoint": "touchpoint_id", "attribute": "attribute"}


def _one_row_per_group(table: Table, by, bucket: str | None) -> bool:
    """Whether the grouping (``by`` and the time column ``bucket`` when the buckets are its own values)
    is the table's own key, so each group is one row and needs no SUM (organisation joins are
    many-to-one)."""
    keys = {KEY_COLUMNS.get(key) for key in by} | ({bucket} if bucket else set())
    return table.name != "sales" and keys == {column.name for column in table.primary_key.columns}


def _gate(table: Table, scope: Scope, by: tuple[str, ...]):
    """The gate's FROM and WHERE; for every store's totals (no store column) only the touchpoint and
    stage conditions, as :func:`_plan` sends them only scopes that restrict no store."""
    if "store_id" in table.c:
        return gated(table, scope, by=by)
    return organisation_join(table, tables_needed(scope, by)), scope_conditions(scope, store_id=None)


def fetch_frame(engine: Engine, query) -> pd.DataFrame:
    """Run a Core query on the driver's own cursor: plain tuples straight into a frame.

    Rollup queries return up to hundreds of thousands of grouped rows; skipping SQLAlchemy's row
    objects makes them several times faster. Parameters stay bound, never pasted into the SQL.
    """
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if engine.dialect.name == "sqlite":
        params = tuple(_sqlite_value(params[name]) for name in compiled.positiontup)
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute(str(compiled), params)
        names = [column[0] for column in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=names)
        cursor.close()
    return frame


def _sqlite_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _touchpoint_names(engine: Engine) -> dict[int, str]:
    shared = _SHARED.get()
    asked = (str(engine.url), "touchpoint names")
    if shared is not None and asked in shared:
        return shared[asked]
    with engine.connect() as connection:
        names = dict(connection.execute(select(Touchpoint.id, Touchpoint.name)).all())
    if shared is not None:
        shared[asked] = names
    return names


def _measures(spec: Rollup, table: Table):
    if table.name != "sales":
        return [func.sum(table.c[m]).label(m) for m in spec.measures]
    if spec.measures != SALES_SUMS:
        raise ValueError("sales sums are read whole; pass measures=None")
    c = table.c
    return [
        func.count().label("days"),
        func.sum(c.revenue).label("revenue"),
        func.sum(c.transactions).label("transactions"),
        func.coalesce(func.sum(case((c.transactions.is_not(None), c.revenue))), 0).label("revenue_paired"),
        func.coalesce(func.sum(case((c.revenue.is_not(None), c.transactions))), 0).label(
            "transactions_paired"
        ),
    ]
