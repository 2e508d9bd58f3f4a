"""Write one batch in one transaction: organisation rows, touchpoints, facts, the batch record.

Facts go in with ``INSERT ... ON CONFLICT DO NOTHING`` on their natural key, so a row already in the
database counts as a duplicate and is never written twice. SQLite takes them through the driver's
``executemany``; PostgreSQL through ``COPY`` into a temporary table. The batch's ``import`` event in the
audit log commits with it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update

from cx.config import local_user
from cx.ingest.plan import LoadPlan
from cx.ingest.schema import DEFAULT_BRAND
from cx.store import audit
from cx.store.models import (
    Brand,
    District,
    ImportBatch,
    Region,
    Store,
    StoreChange,
    SurveyAttribute,
    SurveyResponse,
    Touchpoint,
)
from cx.store.rollups import add_batch_to_rollups

CHUNK_ROWS = 50_000
Progress = Callable[[int, int], None]

KEY_HASHES = ("email_hash", "phone_hash", "loyalty_hash")
FACT_TABLES = {
    "nps": ("nps_response", ("response_id",), ("response_id", "store_id", "responded_at", "date_precision",
            "score", "touchpoint_id", "comment", "customer_id", *KEY_HASHES, "batch_id")),
    "surveys": ("survey_response", ("response_id",), ("response_id", "store_id", "responded_at", "date_precision",
                "touchpoint_id", "csat", "ces", "comment", "customer_id", *KEY_HASHES, "batch_id")),
    "reviews": ("review", ("review_id",), ("review_id", "store_id", "posted_at", "date_precision", "rating",
                "text", "platform", "language", "author", "batch_id")),
    "sales": ("sales", ("store_id", "date"), ("store_id", "date", "revenue", "transactions", "batch_id")),
    "customers": ("customer", ("customer_id",), ("customer_id", "name", "email", "phone", "loyalty_id", "city",
                  "country", "segment", "signed_up_at", *KEY_HASHES, "batch_id")),
    "transactions": ("purchase", ("transaction_id",), ("transaction_id", "store_id", "purchased_at",
                     "date_precision", "amount", "items", "channel", "customer_id", *KEY_HASHES, "batch_id")),
}  # fmt: skip
STORE_FIELDS = ("name", "city", "country", "latitude", "longitude", "format", "opened_on")


@dataclass(frozen=True)
class WriteResult:
    batch_id: int
    loaded: int
    duplicate: int
    updated: int
    changes: list[dict]  # per changed attribute of an existing store: store_id, field, from, to


class UpdatesRefused(ValueError):
    """The stores file would change existing stores, and the import was told not to."""

    def __init__(self, changes: list[dict]):
        super().__init__(f"{len(changes)} changes to existing stores")
        self.changes = changes


def write_batch(
    engine: Engine,
    plan: LoadPlan,
    *,
    file_name: str,
    sha256: str,
    rows_read: int,
    rows_rejected: int,
    options: dict,
    progress: Progress | None = None,
    imported_by: str | None = None,
    refuse_updates: bool = False,
) -> WriteResult:
    """Insert the plan's rows and record the batch and its ``import`` event (``imported_by``: who,
    default the OS user); all of it commits, or none of it. A store's values before an update are kept
    for undoing the batch; with ``refuse_updates`` a file that would change an existing store raises
    :class:`UpdatesRefused`."""
    imported_by = imported_by or local_user()
    with engine.begin() as connection:
        batch_id = connection.execute(
            insert(ImportBatch).values(
                kind=plan.kind, file_name=file_name, sha256=sha256, rows_read=rows_read, rows_loaded=0,
                rows_duplicate=0, rows_updated=0, rows_rejected=rows_rejected,
                options=json.dumps(options, default=str), imported_at=dt.datetime.now(),
                imported_by=imported_by,
            )
        ).inserted_primary_key[0]  # fmt: skip
        updated, changes = 0, []
        if plan.kind == "stores":
            loaded, changes = _upsert_stores(connection, plan.facts, batch_id)
            updated = len({change["store_id"] for change in changes})
            if changes and refuse_updates:
                raise UpdatesRefused(changes)  # the transaction rolls back
            attempted = len(plan.facts)
        else:
            if plan.new_stores is not None and len(plan.new_stores):
                _upsert_stores(connection, plan.new_stores, batch_id)
            facts = plan.facts.assign(batch_id=batch_id)
            if "touchpoint" in facts:
                facts["touchpoint_id"] = _touchpoint_ids(connection, facts["touchpoint"])
            loaded = _insert_facts(connection, plan.kind, facts, progress)
            attempted = len(facts)
            if plan.attributes is not None and len(plan.attributes):
                _insert_attributes(connection, plan.attributes, batch_id)
            add_batch_to_rollups(connection, plan.kind, batch_id)
        duplicate = attempted - loaded - updated + plan.duplicates_in_file
        connection.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(rows_loaded=loaded, rows_duplicate=duplicate, rows_updated=updated)
        )
        audit.record(connection, actor=imported_by, action="import", batch_id=batch_id, kind=plan.kind,
                     file=file_name, rows_added=loaded, rows_updated=updated, rows_duplicate=duplicate,
                     rows_rejected=rows_rejected)  # fmt: skip
    return WriteResult(
        batch_id=batch_id, loaded=loaded, duplicate=duplicate, updated=updated, changes=changes
    )


# --- facts ------------------------------------------------------------------------------------


def _insert_facts(connection: Connection, kind: str, facts: pd.DataFrame, progress: Progress | None) -> int:
    table, key, columns = FACT_TABLES[kind]
    if connection.dialect.name == "postgresql":
        return _copy_insert(connection, table, key, columns, facts, progress)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO NOTHING"
    )
    cursor = connection.connection.driver_connection.cursor()
    inserted = 0
    for done, rows in _chunks(facts, columns):
        cursor.executemany(sql, rows)
        inserted += cursor.rowcount
        if progress:
            progress(done, len(facts))
    cursor.close()
    return inserted


def _copy_insert(connection, table, key, columns, facts: pd.DataFrame, progress) -> int:
    staging = f"staging_{table}"
    column_list = ", ".join(columns)
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute(
        f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {column_list} FROM {table} WITH NO DATA"
    )
    with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
        for done, rows in _chunks(facts, columns):
            for row in rows:
                copy.write_row(row)
            if progress:
                progress(done, len(facts))
    cursor.execute(
        f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {staging} "
        f"ON CONFLICT ({', '.join(key)}) DO NOTHING"
    )
    inserted = cursor.rowcount
    cursor.execute(f"DROP TABLE {staging}")
    cursor.close()
    if progress and facts.empty:
        progress(0, 0)
    return inserted


def _insert_attributes(connection: Connection, attributes: pd.DataFrame, batch_id: int) -> None:
    """Attribute ratings of the responses this batch inserted (not of duplicates already stored)."""
    new_ids = set(
        connection.execute(
            select(SurveyResponse.response_id).where(SurveyResponse.batch_id == batch_id)
        ).scalars()
    )
    fresh = attributes.loc[attributes["response_id"].isin(new_ids)]
    if len(fresh):
        connection.execute(
            insert(SurveyAttribute), fresh[["response_id", "attribute", "rating"]].to_dict("records")
        )


def _chunks(facts: pd.DataFrame, columns: tuple[str, ...]) -> Iterator[tuple[int, Iterator[tuple]]]:
    """``CHUNK_ROWS`` rows at a time, as tuples of plain Python values (None for missing, dates as ISO
    text), with the number of rows done after each chunk; only one chunk's Python values exist at once."""
    for start in range(0, len(facts), CHUNK_ROWS):
        part = facts.iloc[start : start + CHUNK_ROWS]
        values = [_plain(part[c]) if c in part else [None] * len(part) for c in columns]
        yield start + len(part), zip(*values, strict=True)


def _plain(series: pd.Series) -> list:
    if series.empty:
        return []
    if pd.api.types.is_datetime64_any_dtype(series):
        codes, moments = pd.factorize(series)  # few distinct moments: format each once
        text = np.datetime_as_string(moments.to_numpy(dtype="datetime64[us]"), unit="us")
        labels = np.append(np.char.replace(text.astype(str), "T", " ").astype(object), None)
        return labels[codes].tolist()
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float)
        return np.where(np.isnan(values), None, values.astype(object)).tolist()
    if pd.api.types.is_integer_dtype(series) and not series.hasnans:
        return series.to_numpy().tolist()
    return series.to_numpy(dtype=object, na_value=None).tolist()


# --- organisation -----------------------------------------------------------------------------


def _touchpoint_ids(connection: Connection, names: pd.Series) -> pd.Series:
    """Touchpoint ids for names, creating touchpoints the catalogue does not hold (stage unassigned)."""
    wanted = set(names.dropna().unique())
    known = dict(connection.execute(select(Touchpoint.name, Touchpoint.id)).all())
    missing = sorted(wanted - set(known))
    if missing:
        connection.execute(insert(Touchpoint), [{"name": name} for name in missing])
        known = dict(connection.execute(select(Touchpoint.name, Touchpoint.id)).all())
    return names.map(known).astype("Int64")


def _upsert_stores(connection: Connection, stores: pd.DataFrame, batch_id: int) -> tuple[int, list[dict]]:
    """Insert new stores and update changed ones (only fields the file carries); returns how many were
    inserted and each changed attribute of an updated store (``store_id, field, from, to``)."""
    existing = _existing_stores(connection, stores["store_id"])
    inserted, changes = 0, []
    region_ids: dict[tuple[str, str], int] = {}
    district_ids: dict[tuple[int, str], int] = {}
    for record in stores.to_dict("records"):  # stores files are small: thousands of rows at most
        record = {k: (None if _missing(v) else v) for k, v in record.items()}
        brand = record.get("brand") or _default_brand(connection)
        current = existing.get(record["store_id"])
        region_name = record.get("region") or (current["region"] if current else None)
        region_id = _region_id(connection, region_ids, brand, region_name) if region_name else None
        values = {f: _to_python(record[f]) for f in STORE_FIELDS if f in record and f in stores.columns}
        if "region" in stores.columns or current is None:
            values["region_id"] = region_id
        if "district" in stores.columns:
            district = record.get("district")
            values["district_id"] = (
                _district_id(connection, district_ids, region_id, district) if district else None
            )
        if current is None:
            values.setdefault("name", record["store_id"])
            connection.execute(insert(Store).values(store_id=record["store_id"], batch_id=batch_id, **values))
            inserted += 1
        elif any(current.get(k) != v for k, v in values.items()):
            previous = {k: current.get(k) for k, v in values.items() if current.get(k) != v}
            connection.execute(update(Store).where(Store.store_id == record["store_id"]).values(**values))
            connection.execute(
                insert(StoreChange).values(
                    batch_id=batch_id, store_id=record["store_id"], previous=json.dumps(previous, default=str)
                )
            )
            changes += _changes(record, current, values, previous)
    return inserted, changes


def _changes(record: dict, current: dict, values: dict, previous: dict) -> list[dict]:
    """The changed attributes of one store in words: region and district by name."""
    named = {"region_id": ("region", "region"), "district_id": ("district", "district")}
    changes = []
    for key in previous:
        field, column = named.get(key, (key, key))
        before = current.get(column) if key in named else previous[key]
        after = record.get(column) if key in named else values[key]
        changes.append({"store_id": record["store_id"], "field": field, "from": _plain_value(before),
                        "to": _plain_value(after)})  # fmt: skip
    return changes


def _plain_value(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _existing_stores(connection: Connection, store_ids: pd.Series) -> dict[str, dict]:
    query = (
        select(*Store.__table__.c, Region.name.label("region"), District.name.label("district"))
        .join(Region, Store.region_id == Region.id)
        .outerjoin(District, Store.district_id == District.id)
    )
    wanted = set(store_ids)
    return {
        row["store_id"]: dict(row)
        for row in connection.execute(query).mappings()
        if row["store_id"] in wanted
    }


def _default_brand(connection: Connection) -> str:
    names = connection.execute(select(Brand.name)).scalars().all()
    return names[0] if len(names) == 1 else DEFAULT_BRAND


def _region_id(connection, cache, brand: str, region: str) -> int:
    if (brand, region) not in cache:
        brand_id = _get_or_create(connection, Brand, name=brand)
        cache[(brand, region)] = _get_or_create(connection, Region, brand_id=brand_id, name=region)
    return cache[(brand, region)]


def _district_id(connection, cache, region_id: int, district: str) -> int:
    if (region_id, district) not in cache:
        cache[(region_id, district)] = _get_or_create(
            connection, District, region_id=region_id, name=district
        )
    return cache[(region_id, district)]


def _get_or_create(connection: Connection, model, **values) -> int:
    conditions = [getattr(model, k) == v for k, v in values.items()]
    found = connection.execute(select(model.id).where(*conditions)).scalar()
    if found is not None:
        return found
    return connection.execute(insert(model).values(**values)).inserted_primary_key[0]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT


def _to_python(value):
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value
