"""A large synthetic brand written straight into a database, for the metric and root-cause benchmarks.

1,000 stores in 10 regions, 3 years: 2,000,000 NPS answers (about a third with a comment), 1,000,000
surveys with three attribute ratings, 500,000 reviews (most with text) and daily sales. Rows are generated with NumPy and inserted in bulk, then the
rollups are rebuilt with the same SQL that imports use.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, text

from cx.config import make_engine
from cx.store.models import Brand, District, ImportBatch, Region, Store
from cx.store.rollups import rebuild_rollups
from cx.store.schema import upgrade_schema

START = dt.date(2023, 1, 1)
DAYS = 3 * 365
ATTRIBUTES = ("speed", "staff", "cleanliness")
OPENINGS = np.array(
    [
        "Staff were friendly",
        "The queue was long",
        "Delivery came late",
        "Prices are fair",
        "The app kept crashing",
        "Checkout was quick",
        "The store was clean",
        "Nobody answered the phone",
        "Returns took ages",
        "Great loyalty offers",
        "Shelves were half empty",
        "Parking was easy",
    ]
)
CLOSINGS = np.array(
    [
        "will come back",
        "not impressed this time",
        "as usual",
        "thanks to the team",
        "please fix this",
        "better than the other branch",
        "could be better",
        "very happy",
    ]
)


def build(url: str, *, stores: int = 1000, nps: int = 2_000_000, surveys: int = 1_000_000,
          reviews: int = 500_000, seed: int = 1) -> dict[str, float]:  # fmt: skip
    """Create the brand in ``url``; returns the seconds each step took."""
    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    upgrade_schema(engine)
    timings = {}
    started = time.perf_counter()
    store_ids, touchpoint_ids = _organisation(engine, stores)
    level = rng.normal(0, 0.35, stores)  # each store's latent satisfaction offset
    _facts(engine, rng, store_ids, touchpoint_ids, level, nps, surveys, reviews)
    timings["insert"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as connection:
        rebuild_rollups(connection)
    timings["rollups"] = time.perf_counter() - started
    engine.dispose()
    return timings


def _organisation(engine: Engine, stores: int) -> tuple[np.ndarray, np.ndarray]:
    store_ids = np.array([f"L{i:05d}" for i in range(stores)])
    with engine.begin() as connection:
        connection.execute(insert(Brand), [{"id": 1, "name": "Large brand"}])
        connection.execute(
            insert(Region), [{"id": r + 1, "brand_id": 1, "name": f"Region {r + 1}"} for r in range(10)]
        )
        connection.execute(
            insert(District),
            [{"id": d + 1, "region_id": d // 2 + 1, "name": f"District {d + 1}"} for d in range(20)],
        )
        connection.execute(
            insert(Store),
            [
                {"store_id": sid, "name": f"Store {i}", "region_id": i % 10 + 1, "district_id": i % 20 + 1,
                 "format": ("mall", "street", "express")[i % 3], "latitude": 40 + i % 50 / 10, "longitude": i % 70 / 10}
                for i, sid in enumerate(store_ids)
            ],
        )  # fmt: skip
        connection.execute(
            insert(ImportBatch),
            [{"id": 1, "kind": "bench", "file_name": "generated", "sha256": "-", "rows_read": 0, "rows_loaded": 0,
              "rows_duplicate": 0, "rows_updated": 0, "rows_rejected": 0, "imported_at": dt.datetime.now()}],
        )  # fmt: skip
        touchpoint_ids = np.array(
            connection.execute(text("SELECT id FROM touchpoint ORDER BY id")).scalars().all()
        )
    return store_ids, touchpoint_ids


def _moments(rng: np.random.Generator, n: int, stores: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    store = rng.integers(0, stores, n)
    day = rng.integers(0, DAYS, n)
    stamp = (np.datetime64(START) + day.astype("timedelta64[D]")).astype("datetime64[us]")
    text_stamp = np.char.replace(np.datetime_as_string(stamp, unit="us").astype(str), "T", " ")
    return store, day, text_stamp


def _comments(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Short free-text comments for a ``share`` of ``n`` rows (``None`` elsewhere)."""
    text = np.char.add(np.char.add(OPENINGS[rng.integers(0, len(OPENINGS), n)], ", "),
                       CLOSINGS[rng.integers(0, len(CLOSINGS), n)])  # fmt: skip
    return np.where(rng.random(n) < share, text.astype(object), None)


def _facts(engine, rng, store_ids, touchpoint_ids, level, nps, surveys, reviews) -> None:
    stores = len(store_ids)
    store, _, stamp = _moments(rng, nps, stores)
    latent = level[store] + rng.normal(0, 1, nps)
    score = np.clip(np.round(8 + 1.6 * latent), 0, 10).astype(int)
    tp = rng.choice(touchpoint_ids, nps)
    _bulk(engine, "nps_response", ["response_id", "store_id", "responded_at", "date_precision", "score",
                                   "touchpoint_id", "comment", "batch_id"],
          [np.char.add("N", np.arange(nps).astype(str)), store_ids[store], stamp, np.full(nps, "day"), score,
           tp, _comments(rng, nps, 0.35), np.ones(nps, int)])  # fmt: skip

    store, _, stamp = _moments(rng, surveys, stores)
    latent = level[store] + rng.normal(0, 1, surveys)
    parts = [np.clip(np.round(3.6 + 0.9 * (latent + rng.normal(0, 0.7, surveys))), 1, 5) for _ in ATTRIBUTES]
    csat = np.clip(
        np.round(0.5 * parts[0] + 0.3 * parts[1] + 0.2 * parts[2] + rng.normal(0, 0.5, surveys)), 1, 5
    )
    ids = np.char.add("V", np.arange(surveys).astype(str))
    _bulk(engine, "survey_response", ["response_id", "store_id", "responded_at", "date_precision", "touchpoint_id",
                                      "csat", "ces", "batch_id"],
          [ids, store_ids[store], stamp, np.full(surveys, "day"), rng.choice(touchpoint_ids, surveys), csat,
           np.clip(np.round(5 + latent), 1, 7), np.ones(surveys, int)])  # fmt: skip
    _bulk(engine, "survey_attribute", ["response_id", "attribute", "rating"],
          [np.tile(ids, len(ATTRIBUTES)), np.repeat(ATTRIBUTES, surveys), np.concatenate(parts)])  # fmt: skip

    store, _, stamp = _moments(rng, reviews, stores)
    rating = np.clip(np.round(4.1 + level[store] + rng.normal(0, 1, reviews)), 1, 5)
    _bulk(engine, "review", ["review_id", "store_id", "posted_at", "date_precision", "rating", "text", "batch_id"],
          [np.char.add("R", np.arange(reviews).astype(str)), store_ids[store], stamp, np.full(reviews, "day"),
           rating, _comments(rng, reviews, 0.7), np.ones(reviews, int)])  # fmt: skip

    days = pd.date_range(START, periods=DAYS).strftime("%Y-%m-%d").to_numpy()
    grid_store = np.repeat(np.arange(stores), DAYS)
    transactions = rng.poisson(300 * np.exp(0.1 * level[grid_store]))
    _bulk(engine, "sales", ["store_id", "date", "revenue", "transactions", "batch_id"],
          [store_ids[grid_store], np.tile(days, stores), transactions * rng.normal(25, 2, len(grid_store)),
           transactions, np.ones(len(grid_store), int)])  # fmt: skip


def _bulk(engine: Engine, table: str, columns: list[str], values: list[np.ndarray]) -> None:
    rows = list(zip(*(np.asarray(v).tolist() for v in values), strict=True))
    placeholders = (
        ", ".join(["?"] * len(columns))
        if engine.dialect.name == "sqlite"
        else ", ".join(["%s"] * len(columns))
    )
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for start in range(0, len(rows), 200_000):
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                rows[start : start + 200_000],
            )
        cursor.close()
