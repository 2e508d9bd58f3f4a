"""Import batches: the history, and undoing one batch.

Undoing a batch takes back exactly what it wrote, in one transaction (a refusal or a failure changes
nothing): its facts (with their survey attributes), its customers or transactions, the stores it created and the store values it
changed (restored from ``store_change``, where the import kept them). The rollup buckets its facts fell
in are recomputed from the rows left (:func:`cx.store.rollups.recompute_rollups`), so metrics return to
their values before the import. The batch row stays, marked ``undone``, with who and when, and the undo
is recorded in the audit log.

Refused, with the reason: a batch already undone; a batch that changed stores before imports kept
their earlier values (imported before schema revision 0007); a batch whose stores other batches' facts
refer to; a batch whose stores (created or changed) a later batch changed again; an undo that would
leave a goal or an action naming a store, region, brand or format no store has any more; a batch
after which a later batch of its kind skipped rows as already there (they may be this batch's rows,
which that later file then needs). Organisation rows (brands, regions, districts) and touchpoints the
batch created stay: they hold no data of their own.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Date, Engine, delete, func, select, update

from cx.config import local_user
from cx.store import audit
from cx.store.models import (
    Action,
    Brand,
    Customer,
    Goal,
    ImportBatch,
    Purchase,
    Region,
    Store,
    StoreChange,
    SurveyAttribute,
    SurveyResponse,
)
from cx.store.queries import SOURCES
from cx.store.rollups import recompute_rollups

BATCH_KEYS = ("id", "kind", "file", "sha256", "rows_read", "rows_loaded", "rows_duplicate", "rows_updated",
              "rows_rejected", "when", "who", "status", "undone_at", "undone_by")  # fmt: skip
SOURCE_NOUNS = {
    "nps": "NPS answers",
    "surveys": "survey answers",
    "reviews": "reviews",
    "sales": "sales days",
    "transactions": "transactions",
}
CUSTOMER_RECORDS = {"customers": Customer, "transactions": Purchase}  # kinds without rollups


class UndoRefused(ValueError):
    """The batch was not undone; the message says why and what to do first."""


def batch_list(engine: Engine) -> list[dict]:
    """Every import batch, oldest first, as dicts with ``BATCH_KEYS``."""
    batch = ImportBatch
    query = select(
        batch.id, batch.kind, batch.file_name.label("file"), batch.sha256, batch.rows_read, batch.rows_loaded,
        batch.rows_duplicate, batch.rows_updated, batch.rows_rejected, batch.imported_at.label("when"),
        batch.imported_by.label("who"), batch.status, batch.undone_at, batch.undone_by,
    ).order_by(batch.id)  # fmt: skip
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def undo_batch(engine: Engine, batch_id: int, *, undone_by: str | None = None) -> dict:
    """Undo one import batch (see the module's description); returns ``id, kind, file, removed`` (rows
    per table) and ``restored`` (stores given back their earlier values). ``UndoRefused`` says why not."""
    with engine.begin() as connection:
        batch = connection.execute(
            select(ImportBatch).where(ImportBatch.id == batch_id).with_for_update()
        ).mappings().first()  # fmt: skip
        if batch is None:
            raise UndoRefused(f"There is no import batch {batch_id}; the import history lists the batches.")
        if batch["status"] == "undone":
            raise UndoRefused(
                f"Batch {batch_id} was already undone on {batch['undone_at']:%Y-%m-%d %H:%M} by "
                f"{batch['undone_by']}."
            )
        created = list(connection.execute(select(Store.store_id).where(Store.batch_id == batch_id)).scalars())
        changed = list(
            connection.execute(select(StoreChange.store_id).where(StoreChange.batch_id == batch_id)).scalars()
        )
        if len(changed) < batch["rows_updated"]:
            raise UndoRefused(
                f"Batch {batch_id} changed existing stores before imports kept their earlier values, so undo "
                "cannot give them back; import a stores file with the earlier values instead."
            )
        _refuse_dependents(connection, batch_id, created, changed)
        _refuse_shared_rows(connection, batch)
        scopes_before = _scope_values(connection)
        removed = {}
        if batch["kind"] in SOURCES:
            removed.update(_remove_facts(connection, batch["kind"], batch_id))
        if batch["kind"] in CUSTOMER_RECORDS:
            model = CUSTOMER_RECORDS[batch["kind"]]
            removed[model.__tablename__] = connection.execute(
                delete(model).where(model.batch_id == batch_id)
            ).rowcount
        restored = _restore_stores(connection, batch_id)
        if created:
            removed["store"] = connection.execute(delete(Store).where(Store.batch_id == batch_id)).rowcount
        _refuse_lost_scopes(connection, batch_id, scopes_before - _scope_values(connection))
        undone_by = undone_by or local_user()
        connection.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(status="undone", undone_at=dt.datetime.now(), undone_by=undone_by)
        )
        audit.record(connection, actor=undone_by, action="undo", batch_id=batch_id, kind=batch["kind"],
                     file=batch["file_name"], removed=removed, restored=restored)  # fmt: skip
    return {"id": batch_id, "kind": batch["kind"], "file": batch["file_name"], "removed": removed,
            "restored": restored}  # fmt: skip


def _refuse_dependents(connection: Connection, batch_id: int, created: list[str], changed: list[str]) -> None:
    """Refuse when other batches' facts refer to the stores this batch created, or a later batch changed
    stores this batch created or changed."""
    if created:
        referring = {source: model for source, (model, _) in SOURCES.items()} | {"transactions": Purchase}
        for source, model in referring.items():
            users = list(
                connection.execute(
                    select(model.batch_id, func.count())
                    .where(model.store_id.in_(created), model.batch_id != batch_id)
                    .group_by(model.batch_id)
                    .order_by(model.batch_id)
                )
            )
            if users:
                rows = sum(count for _, count in users)
                raise UndoRefused(
                    f"Batch {batch_id} created stores that {rows:,} {SOURCE_NOUNS[source]} of "
                    f"{_batches(b for b, _ in users)} refer to; undo those batches first."
                )
    later = sorted(
        set(
            connection.execute(
                select(StoreChange.batch_id).where(
                    StoreChange.store_id.in_(created + changed), StoreChange.batch_id > batch_id
                )
            ).scalars()
        )
    )
    if later:
        raise UndoRefused(
            f"{_batches(later).capitalize()} changed stores of batch {batch_id} again afterwards; undo "
            f"{'it' if len(later) == 1 else 'them'} first, newest first."
        )


def _refuse_shared_rows(connection: Connection, batch) -> None:
    """Refuse when a later batch of the same kind skipped rows as already there: some may be this
    batch's, and removing them would take them from that later file too."""
    later = list(
        connection.execute(
            select(ImportBatch.id).where(
                ImportBatch.kind == batch["kind"], ImportBatch.id > batch["id"], ImportBatch.status == "loaded",
                ImportBatch.rows_duplicate > 0,
            ).order_by(ImportBatch.id)
        ).scalars()
    )  # fmt: skip
    if later:
        raise UndoRefused(
            f"{_batches(later).capitalize()} skipped rows that were already there, perhaps from batch "
            f"{batch['id']}: undoing it would take them from {'that file' if len(later) == 1 else 'those files'} "
            f"too. Undo {'it' if len(later) == 1 else 'them'} first, newest first."
        )


def _remove_facts(connection: Connection, kind: str, batch_id: int) -> dict[str, int]:
    """Delete the batch's facts (and survey attributes), then recompute the rollup buckets they fell in."""
    model, moment = SOURCES[kind]
    mine = model.batch_id == batch_id
    first, last = connection.execute(select(func.min(moment), func.max(moment)).where(mine)).one()
    stores = list(connection.execute(select(model.store_id).where(mine).distinct()).scalars())
    removed = {}
    if kind == "surveys":
        responses = select(SurveyResponse.response_id).where(mine)
        removed["survey_attribute"] = connection.execute(
            delete(SurveyAttribute).where(SurveyAttribute.response_id.in_(responses))
        ).rowcount
    removed[model.__tablename__] = connection.execute(delete(model).where(mine)).rowcount
    if stores:
        recompute_rollups(connection, kind, stores=stores, first=_day(first), last=_day(last))
    return removed


def _restore_stores(connection: Connection, batch_id: int) -> int:
    """Give the stores this batch changed their earlier values; returns how many."""
    changes = connection.execute(
        select(StoreChange.store_id, StoreChange.previous).where(StoreChange.batch_id == batch_id)
    ).all()
    columns = Store.__table__.c
    for store_id, previous in changes:
        values = {
            name: dt.date.fromisoformat(value) if isinstance(columns[name].type, Date) and value else value
            for name, value in json.loads(previous).items()
        }
        connection.execute(update(Store).where(Store.store_id == store_id).values(**values))
    connection.execute(delete(StoreChange).where(StoreChange.batch_id == batch_id))
    return len(changes)


def _scope_values(connection: Connection) -> set[tuple[str, str]]:
    """Every ``(scope type, value)`` a goal or action can name that some store has."""
    query = select(Store.store_id, Region.name, Brand.name, Store.format).join(
        Region, Store.region_id == Region.id
    ).join(Brand, Region.brand_id == Brand.id)  # fmt: skip
    values = set()
    for store_id, region, brand, store_format in connection.execute(query):
        values |= {("store", store_id), ("region", region), ("brand", brand), ("format", store_format)}
    return values


def _refuse_lost_scopes(connection: Connection, batch_id: int, lost: set[tuple[str, str]]) -> None:
    """Refuse (rolling the undo back) when a goal or an action names a scope the undo leaves empty."""
    named = []
    for noun, model in (("goal", Goal), ("action", Action)):
        for record_id, scope_type, scope_value in connection.execute(
            select(model.id, model.scope_type, model.scope_value).order_by(model.id)
        ):
            if (scope_type, scope_value) in lost:
                named.append(f"{noun} #{record_id} ({scope_type} {scope_value})")
    if named:
        raise UndoRefused(
            f"Undoing batch {batch_id} would leave {', '.join(named)} without stores; change or delete "
            f"{'it' if len(named) == 1 else 'them'} first."
        )


def _batches(ids) -> str:
    ids = list(ids)
    return f"batch{'es' if len(ids) > 1 else ''} {', '.join(str(i) for i in ids)}"


def _day(moment) -> dt.date:
    return moment.date() if isinstance(moment, dt.datetime) else moment
