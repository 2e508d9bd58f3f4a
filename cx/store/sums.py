"""Sufficient statistics for any scope, grouping and period, summed in the database from rollups.

A period's whole months come from the monthly rollups and its edge days from the daily ones; the
parts are added (sums and counts are additive). Week and day trends read the daily rollups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Table, case, func, literal_column, select

from cx.periods import Period
from cx.store.models import (
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
from cx.store.scope import GROUP_COLUMNS, TOUCHPOINT_KEYS, Scope, gated


@dataclass(frozen=True)
class Rollup:
    """A source's daily and monthly rollup tables and the measures they sum."""

    daily: Table
    monthly: Table
    measures: tuple[str, ...]
    touchpoints: bool
    day_column: str = "day"


ROLLUPS = {
    "nps": Rollup(NpsDaily.__table__, NpsMonthly.__table__, NPS_COUNTS, True),
    "surveys": Rollup(SurveyDaily.__table__, SurveyMonthly.__table__, SURVEY_SUMS, True),
    "attributes": Rollup(AttributeDaily.__table__, AttributeMonthly.__table__, ATTRIBUTE_SUMS, True),
    "reviews": Rollup(ReviewDaily.__table__, ReviewMonthly.__table__, REVIEW_SUMS, False),
    "sales": Rollup(Sales.__table__, SalesMonthly.__table__, SALES_SUMS, False, day_column="date"),
}


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
    only). ``measures`` narrows the summed columns (default: all of the source's). Sources without touchpoints (reviews, sales) return an empty frame when the scope or the
    grouping needs touchpoints.
    """
    spec = ROLLUPS[source]
    if measures is not None:
        spec = Rollup(spec.daily, spec.monthly, measures, spec.touchpoints, spec.day_column)
    keys = list(by) + (["bucket"] if grain else [])
    if not spec.touchpoints and (scope.needs_touchpoints or set(by) & set(TOUCHPOINT_KEYS)):
        return pd.DataFrame(columns=keys + list(spec.measures))
    parts = _parts(spec, period, grain)
    frames = [_query(engine, spec, table, part, scope, by, grain) for table, part in parts]
    frame = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    if len(parts) > 1 and len(frame):
        frame = (
            frame.groupby(keys, dropna=False, sort=False).sum(min_count=1).reset_index()
            if keys
            else (frame.sum(min_count=1).to_frame().T)
        )
    return frame.reset_index(drop=True)


def _parts(spec: Rollup, period: Period | None, grain: str | None) -> list[tuple[Table, Period | None]]:
    if grain in ("day", "week"):
        return [(spec.daily, period)]
    if period is None:
        return [(spec.monthly, None)]
    months, edges = period.split_months()
    return ([(spec.monthly, months)] if months else []) + [(spec.daily, edge) for edge in edges]


def _query(
    engine, spec: Rollup, table: Table, period: Period | None, scope: Scope, by, grain
) -> pd.DataFrame:
    day = table.c.month if "month" in table.c else table.c[spec.day_column]
    columns = {**GROUP_COLUMNS, "store": table.c.store_id}
    if "touchpoint_id" in table.c:  # group on the id (rollup key order); names are mapped afterwards
        columns["touchpoint"] = table.c.touchpoint_id
    groups = [columns[key].label(key) if key != "attribute" else table.c.attribute for key in by]
    if grain == "month" and day.name == "month":
        groups.append(literal_column(f"{table.name}.month").label("bucket"))
    elif grain:
        groups.append(
            literal_column(bucket_sql(f"{table.name}.{day.name}", grain, engine.dialect.name)).label("bucket")
        )
    joined, conditions = gated(table, scope, by=tuple(key for key in by if key != "touchpoint"))
    if period is not None:
        conditions += [day >= period.start, day <= period.end]
    query = select(*groups, *_measures(spec, table)).select_from(joined).where(*conditions).group_by(*groups)
    frame = fetch_frame(engine, query)
    if "bucket" in frame:
        frame["bucket"] = pd.to_datetime(frame["bucket"])
    if "touchpoint" in by and len(frame):
        frame["touchpoint"] = frame["touchpoint"].map(_touchpoint_names(engine))
    return frame


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
    with engine.connect() as connection:
        return dict(connection.execute(select(Touchpoint.id, Touchpoint.name)).all())


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
