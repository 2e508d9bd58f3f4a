"""Query functions: keyword-only, parameterised, aggregated in the database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select

from cx.store.models import (
    Brand,
    District,
    ImportBatch,
    NpsResponse,
    Region,
    Review,
    Sales,
    Store,
    SurveyResponse,
)

SOURCES = {
    "nps": (NpsResponse, NpsResponse.responded_at),
    "surveys": (SurveyResponse, SurveyResponse.responded_at),
    "reviews": (Review, Review.posted_at),
    "sales": (Sales, Sales.date),
}


def source_coverage(engine: Engine) -> pd.DataFrame:
    """Per source: rows, stores covered, first and last date (one GROUP-free aggregate each)."""
    records = []
    with engine.connect() as connection:
        total_stores = connection.execute(select(func.count()).select_from(Store)).scalar_one()
        for source, (model, moment) in SOURCES.items():
            rows, stores, first, last = connection.execute(
                select(
                    func.count(), func.count(model.store_id.distinct()), func.min(moment), func.max(moment)
                )
            ).one()
            records.append(
                {"source": source, "rows": rows, "stores": stores, "of_stores": total_stores,
                 "first": first, "last": last}
            )  # fmt: skip
    return pd.DataFrame.from_records(records)


def import_history(engine: Engine, *, limit: int = 50) -> pd.DataFrame:
    """The latest import batches, newest first."""
    query = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all())


def data_version(engine: Engine) -> int:
    """The newest import batch id: changes whenever data changes, so caches keyed on it stay fresh."""
    with engine.connect() as connection:
        return connection.execute(select(func.coalesce(func.max(ImportBatch.id), 0))).scalar_one()


def latest_data_day(engine: Engine) -> dt.date | None:
    """The last day any source has data for (periods such as "last 90 days" end here): one indexed
    MAX per source."""
    with engine.connect() as connection:
        days = [connection.execute(select(func.max(moment))).scalar() for _, moment in SOURCES.values()]
    days = [day for day in days if day is not None]
    return max(pd.Timestamp(day).date() for day in days) if days else None


def store_directory(engine: Engine) -> pd.DataFrame:
    """Every store with its region, district, format, city and coordinates (for filters and maps)."""
    query = (
        select(Store.store_id, Store.name, Brand.name.label("brand"), Region.name.label("region"),
               District.name.label("district"), Store.format, Store.city, Store.country, Store.latitude,
               Store.longitude, Store.opened_on)
        .join(Region, Region.id == Store.region_id)
        .join(Brand, Brand.id == Region.brand_id)
        .outerjoin(District, District.id == Store.district_id)
        .order_by(Store.store_id)
    )  # fmt: skip
    with engine.connect() as connection:
        return pd.DataFrame(
            connection.execute(query).mappings().all(), columns=[c.name for c in query.selected_columns]
        )


def is_demo(engine: Engine) -> bool:
    """True when the data came from ``python -m cx demo`` (its batches are named ``demo:<kind>``)."""
    with engine.connect() as connection:
        return bool(
            connection.execute(select(func.count()).where(ImportBatch.file_name.like("demo:%"))).scalar()
        )
