"""Goals and recorded actions: what people set and did, stored beside the data.

Each record names its scope as ``scope_type`` (brand, region, store, format) and ``scope_value``.
Reads take the caller's ``Scope``: a caller limited to some stores (``visible_stores``) sees only
the records of those stores and of the regions and districts whose every store they see.

Records carry who made and last changed them, when, and a ``version`` that every change raises: a
change or deletion names the version it was read at, and is refused (:class:`StaleEdit`) when someone
saved the record in between, so nobody overwrites a change unseen. Every change is recorded in the
audit log (:mod:`cx.store.audit`) in its own transaction.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Delete,
    Engine,
    Update,
    delete,
    insert,
    or_,
    select,
    true,
    update,
)  # fmt: skip

from cx.config import local_user
from cx.store import audit
from cx.store.models import Action, District, Goal, Region, Store
from cx.store.scope import Scope

GOAL_FIELDS = ("metric", "scope_type", "scope_value", "period_start", "period_end", "target")
AUTHORSHIP = ("version", "created_at", "created_by", "updated_at", "updated_by")
GOAL_COLUMNS = ("id", *GOAL_FIELDS, *AUTHORSHIP)
ACTION_FIELDS = ("action_date", "scope_type", "scope_value", "description")
ACTION_COLUMNS = ("id", *ACTION_FIELDS, *AUTHORSHIP)


class StaleEdit(ValueError):
    """The record changed after the editor read it; nothing was saved."""


def _visible(model, scope: Scope) -> ColumnElement[bool]:
    """The records a caller confined to ``visible_stores`` may see: those of their stores, and of the
    regions and districts that hold only stores they see."""
    if scope.visible_stores is None:
        return true()
    visible = sorted(scope.visible_stores)
    levels = [(model.scope_type == "store") & model.scope_value.in_(visible)]
    for level, named in (("region", Region), ("district", District)):
        link = Store.region_id if named is Region else Store.district_id
        holding = select(named.name).join(Store, link == named.id)
        levels.append(
            (model.scope_type == level)
            & model.scope_value.in_(holding.where(Store.store_id.in_(visible)))
            & model.scope_value.not_in(holding.where(Store.store_id.not_in(visible)))
        )
    return or_(*levels)


def insert_goal(engine: Engine, goal: dict, *, created_by: str | None = None) -> int:
    created_by = created_by or local_user()
    with engine.begin() as connection:
        result = connection.execute(
            insert(Goal).values(**goal, created_at=dt.datetime.now(), created_by=created_by)
        )
        goal_id = int(result.inserted_primary_key[0])
        scope = audit.scope_text(goal["scope_type"], goal.get("scope_value"))
        audit.record(connection, actor=created_by, action="goal_create", scope=scope, goal_id=goal_id, **goal)
        return goal_id


def update_goal_row(
    engine: Engine, goal_id: int, goal: dict, *, version: int, updated_by: str | None = None
) -> None:
    """Save the goal's fields if it is still at ``version`` (else :class:`StaleEdit`)."""
    updated_by = updated_by or local_user()
    _save_at_version(engine, Goal, goal_id, version, _changed(Goal, goal, updated_by),
                     actor=updated_by, action="goal_update",
                     detail={"goal_id": goal_id, "version": version + 1, **goal})  # fmt: skip


def delete_goal_row(engine: Engine, goal_id: int, *, version: int, deleted_by: str | None = None) -> None:
    """Delete the goal if it is still at ``version`` (else :class:`StaleEdit`); ``deleted_by``: who,
    default the OS user."""
    _save_at_version(engine, Goal, goal_id, version, delete(Goal), actor=deleted_by or local_user(),
                     action="goal_delete", detail={"goal_id": goal_id, "version": version})  # fmt: skip


def _changed(model, values: dict, updated_by: str) -> Update:
    return update(model).values(
        **values,
        version=model.version + 1,
        updated_at=dt.datetime.now(),
        updated_by=updated_by,
    )


def _save_at_version(
    engine: Engine, model, record_id: int, version: int, statement: Update | Delete, *, actor: str,
    action: str, detail: dict,
) -> None:  # fmt: skip
    """Run ``statement`` on the record if it is still at ``version``, in one statement (two editors
    cannot both pass), and record ``action`` with ``detail`` and the record's scope (after an update,
    before a deletion); otherwise say who changed it, or that it is gone."""
    with engine.begin() as connection:
        saved = connection.execute(
            statement.where(model.id == record_id, model.version == version).returning(
                model.scope_type, model.scope_value
            )
        ).all()
        if len(saved) != 1:
            _refuse_edit(connection, model, record_id, version)
        audit.record(connection, actor=actor, action=action, scope=audit.scope_text(*saved[0]), **detail)


def _refuse_edit(connection: Connection, model, record_id: int, version: int) -> None:
    noun = model.__tablename__
    current = connection.execute(
        select(model.version, model.updated_by, model.updated_at).where(model.id == record_id)
    ).first()
    if current is None:
        raise ValueError(
            f"There is no {noun} {record_id}; it may have been deleted. Reload the {noun}s list."
        )
    if current.version < version or current.updated_at is None:
        raise StaleEdit(f"{noun.capitalize()} #{record_id} is at version {current.version}, not {version}.")
    raise StaleEdit(
        f"{noun.capitalize()} #{record_id} was changed by {current.updated_by} at "
        f"{current.updated_at:%Y-%m-%d %H:%M:%S} after you read it (you read version {version}, it is now "
        f"version {current.version}), so nothing was saved. Look at the current values, then make your "
        "change again."
    )


def goal_rows(engine: Engine, *, scope: Scope) -> pd.DataFrame:
    """The goals the scope's caller may see, oldest first, with ``GOAL_COLUMNS``."""
    query = (
        select(*(getattr(Goal, name) for name in GOAL_COLUMNS)).where(_visible(Goal, scope)).order_by(Goal.id)
    )
    with engine.connect() as connection:
        goals = pd.DataFrame(connection.execute(query).mappings().all(), columns=list(GOAL_COLUMNS))
    goals["scope_value"] = goals["scope_value"].astype(object).where(goals["scope_value"].notna(), None)
    return goals


def goal_row(engine: Engine, goal_id: int, *, scope: Scope) -> dict | None:
    query = select(Goal).where(Goal.id == goal_id, _visible(Goal, scope))
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row is not None else None


def insert_action(engine: Engine, *, action_date: dt.date, scope_type: str, scope_value: str | None,
                  description: str, created_by: str | None = None) -> int:  # fmt: skip
    created_by = created_by or local_user()
    fields = {"action_date": action_date, "scope_type": scope_type, "scope_value": scope_value,
              "description": description}  # fmt: skip
    with engine.begin() as connection:
        action_id = connection.execute(
            insert(Action).values(**fields, created_at=dt.datetime.now(), created_by=created_by)
        ).inserted_primary_key[0]
        scope = audit.scope_text(scope_type, scope_value)
        audit.record(connection, actor=created_by, action="action_create", scope=scope, action_id=action_id,
                     **fields)  # fmt: skip
        return action_id


def update_action_row(
    engine: Engine, action_id: int, action: dict, *, version: int, updated_by: str | None = None
) -> None:
    """Save the action's fields if it is still at ``version`` (else :class:`StaleEdit`)."""
    updated_by = updated_by or local_user()
    _save_at_version(engine, Action, action_id, version, _changed(Action, action, updated_by),
                     actor=updated_by, action="action_update",
                     detail={"action_id": action_id, "version": version + 1, **action})  # fmt: skip


def action_row(engine: Engine, action_id: int) -> dict | None:
    with engine.connect() as connection:
        row = connection.execute(select(Action).where(Action.id == action_id)).mappings().first()
    return dict(row) if row is not None else None


def action_rows(engine: Engine, *, scope: Scope) -> pd.DataFrame:
    """The actions the scope's caller may see, oldest first, with ``ACTION_COLUMNS``."""
    query = select(*(getattr(Action, name) for name in ACTION_COLUMNS)).where(_visible(Action, scope))
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(Action.id)).mappings().all()
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS))


def actions_for(engine: Engine, *, scope_type: str, scope_value: str | None, scope: Scope) -> list[dict]:
    """The actions recorded for exactly this scope type and value, oldest first."""
    named = (Action.scope_value == scope_value) if scope_value else true()
    query = select(Action).where(Action.scope_type == scope_type, named, _visible(Action, scope))
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query.order_by(Action.action_date)).mappings()]
