"""Query functions: keyword-only, parameterised, aggregated in the database. Every read of store
data takes a ``Scope`` and builds its FROM and WHERE through the gate (:func:`cx.store.scope.gated`)."""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce

import pandas as pd
from sqlalchemy import Engine, String, func, literal, select, union_all

from cx.periods import Period
from cx.store.models import (
    Brand,
    District,
    DriverMoments,
    ImportBatch,
    NpsResponse,
    Region,
    Review,
    Sales,
    Store,
    SurveyResponse,
    Touchpoint,
)
from cx.store.rollups import NPS_COUNTS
from cx.store.scope import Scope, gated
from cx.store.sums import ROLLUPS, fetch_frame

SOURCES = {
    "nps": (NpsResponse, NpsResponse.responded_at),
    "surveys": (SurveyResponse, SurveyResponse.responded_at),
    "reviews": (Review, Review.posted_at),
    "sales": (Sales, Sales.date),
}


ROW_COUNTS = {"nps": NPS_COUNTS, "surveys": ("n",), "reviews": ("n",), "sales": ("days",)}  # sum = raw rows


def source_coverage(engine: Engine) -> pd.DataFrame:
    """Per source: rows, stores covered, first and last date. Rows and stores are counted in the
    rollups (every store's daily totals; the store x month table), first and last read from the raw
    table's indexed date column."""
    records = []
    with engine.connect() as connection:
        total_stores = connection.execute(select(func.count()).select_from(Store)).scalar_one()
        for source, (_, moment) in SOURCES.items():
            totals, by_store = ROLLUPS[source].daily_total, ROLLUPS[source].store_monthly
            answers = reduce(operator.add, (totals.c[name] for name in ROW_COUNTS[source]))
            rows = connection.execute(select(func.coalesce(func.sum(answers), 0))).scalar_one()
            stores = connection.execute(select(func.count(by_store.c.store_id.distinct()))).scalar_one()
            first = connection.execute(select(func.min(moment))).scalar_one()
            last = connection.execute(select(func.max(moment))).scalar_one()
            records.append(
                {"source": source, "rows": int(rows), "stores": stores, "of_stores": total_stores,
                 "first": first, "last": last}
            )  # fmt: skip
    return pd.DataFrame.from_records(records)


def import_history(engine: Engine, *, limit: int = 50) -> pd.DataFrame:
    """The latest import batches, newest first."""
    query = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all())


def data_version(engine: Engine) -> int:
    """A number that grows whenever data change, so caches keyed on it stay fresh: the newest import
    batch id plus the number of batches undone (an import adds a batch, an undo marks one undone, and
    neither is ever taken back, so a version never comes back)."""
    undone = func.count().filter(ImportBatch.status == "undone")
    with engine.connect() as connection:
        return connection.execute(select(func.coalesce(func.max(ImportBatch.id), 0) + undone)).scalar_one()


def latest_data_day(engine: Engine) -> dt.date | None:
    """The last day any source has data for (periods such as "last 90 days" end here): one indexed
    MAX per source."""
    with engine.connect() as connection:
        days = [connection.execute(select(func.max(moment))).scalar() for _, moment in SOURCES.values()]
    days = [day for day in days if day is not None]
    return max(pd.Timestamp(day).date() for day in days) if days else None


def store_directory(engine: Engine, *, scope: Scope | None = None) -> pd.DataFrame:
    """Every store in ``scope`` (default: every store) with its region, district, format, city and
    coordinates (for filters and maps)."""
    scope = (scope or Scope()).all_touchpoints()
    joined, conditions = gated(Store.__table__, scope, also=frozenset({"brand", "district"}))
    query = (
        select(Store.store_id, Store.name, Brand.name.label("brand"), Region.name.label("region"),
               District.name.label("district"), Store.format, Store.city, Store.country, Store.latitude,
               Store.longitude, Store.opened_on)
        .select_from(joined).where(*conditions).order_by(Store.store_id)
    )  # fmt: skip
    with engine.connect() as connection:
        return pd.DataFrame(
            connection.execute(query).mappings().all(), columns=[c.name for c in query.selected_columns]
        )


def touchpoint_stages(engine: Engine) -> dict[str, str | None]:
    """Touchpoint name -> its journey stage, for every touchpoint of the catalogue."""
    with engine.connect() as connection:
        return dict(connection.execute(select(Touchpoint.name, Touchpoint.stage)).all())


FEEDBACK_TEXTS = (  # source, table, its date column, its text column, whether answers name a touchpoint
    ("nps", NpsResponse, NpsResponse.responded_at, NpsResponse.comment, True),
    ("survey", SurveyResponse, SurveyResponse.responded_at, SurveyResponse.comment, True),
    ("review", Review, Review.posted_at, Review.text, False),
)


def feedback_texts(engine: Engine, *, scope: Scope, period: Period) -> pd.DataFrame:
    """Comments and review texts (``source, date, store_id, touchpoint, text``) of the scope's stores in
    the period; ``touchpoint`` is where an NPS or survey answer was given (``None`` for reviews)."""
    scope = scope.all_touchpoints()
    parts = []
    for source, model, moment, column, at_touchpoint in FEEDBACK_TEXTS:
        given_at = Touchpoint.name if at_touchpoint else literal(None, String)
        columns = (literal(source).label("source"), moment.label("date"), model.store_id.label("store_id"),
                   given_at.label("touchpoint"), column.label("text"))  # fmt: skip
        joined, conditions = gated(
            model.__table__, scope, also=frozenset({"touchpoint"} if at_touchpoint else ())
        )
        conditions += [
            column.is_not(None),
            moment >= period.start,
            moment < period.end + dt.timedelta(days=1),
        ]
        parts.append(select(*columns).select_from(joined).where(*conditions))
    texts = fetch_frame(engine, union_all(*parts))  # plain tuples: texts can be hundreds of thousands
    texts.columns = ["source", "date", "store_id", "touchpoint", "text"]
    return texts.assign(date=pd.to_datetime(texts["date"]))


MOMENTS = ("n", "sum_a", "sum_b", "sum_ab", "sum_aa", "sum_bb")


def driver_moments(engine: Engine, *, scope: Scope, period: Period | None, by_month: bool) -> pd.DataFrame:
    """Pairwise moments of survey variables summed per store (or per store-month) and variable pair."""
    table = DriverMoments.__table__
    cluster = [table.c.store_id] + ([table.c.month] if by_month else [])
    joined, conditions = gated(table, scope)
    if period is not None:
        conditions += [table.c.month >= period.start.replace(day=1), table.c.month <= period.end]
    query = (
        select(*cluster, table.c.var_a, table.c.var_b, *[func.sum(table.c[m]).label(m) for m in MOMENTS])
        .select_from(joined)
        .where(*conditions)
        .group_by(*cluster, table.c.var_a, table.c.var_b)
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all())


def data_span(engine: Engine, *, source: str, scope: Scope) -> pd.DataFrame:
    """First and last day with data of ``source`` per store (index ``store``; columns ``first, last``).

    A fact table's first and last moment per store are two seeks in its (store, time) index; the
    attribute rollups have no such table and are read whole."""
    if source not in SOURCES:
        rollup = ROLLUPS[source]
        table, day = rollup.daily, rollup.daily.c[rollup.day_column]
        joined, conditions = gated(table, scope.all_touchpoints())
        query = (
            select(table.c.store_id.label("store"), func.min(day).label("first"), func.max(day).label("last"))
            .select_from(joined).where(*conditions).group_by(table.c.store_id)
        )  # fmt: skip
        span = fetch_frame(engine, query)
    else:
        model, moment = SOURCES[source]
        joined, conditions = gated(Store.__table__, scope.all_touchpoints())
        first, last = (select(edge(moment)).where(model.store_id == Store.store_id).scalar_subquery()
                       for edge in (func.min, func.max))  # fmt: skip
        query = select(Store.store_id.label("store"), first.label("first"), last.label("last"))
        query = query.select_from(joined).where(*conditions).order_by(Store.store_id)
        span = fetch_frame(engine, query).dropna(subset=["first"])
    for name in ("first", "last"):
        span[name] = pd.to_datetime(span[name]).dt.normalize()
    return span.set_index("store")


def is_demo(engine: Engine) -> bool:
    """True while the data are only the demo brand of ``python -m cx demo`` (its batches are named
    ``demo:<kind>``): once an import of one's own loads or updates a row, the data are no longer the demo."""
    loaded = ImportBatch.status == "loaded"
    demo = loaded & ImportBatch.file_name.like("demo:%")
    own = (
        loaded
        & ~ImportBatch.file_name.like("demo:%")
        & ((ImportBatch.rows_loaded > 0) | (ImportBatch.rows_updated > 0))
    )
    with engine.connect() as connection:
        demo_batches, own_batches = connection.execute(
            select(func.count().filter(demo), func.count().filter(own))
        ).one()
    return bool(demo_batches) and not own_batches
