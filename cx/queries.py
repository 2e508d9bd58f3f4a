"""Query functions: keyword-only, parameterised, aggregated in the database."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from cx.models import ImportBatch, NpsResponse, Review, Sales, Store, SurveyResponse

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
