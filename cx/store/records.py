"""Goals and recorded actions: what people set and did, stored beside the data.

Each record names its scope as ``scope_type`` (brand, region, store, format) and ``scope_value``.
Reads take the caller's ``Scope``: a caller limited to some stores (``visible_stores``) sees only
the records of those stores.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import ColumnElement, Engine, delete, insert, select, true, update

from cx.store.models import Action, Goal
from cx.store.scope import Scope

GOAL_FIELDS = ("metric", "scope_type", "scope_value", "period_start", "period_end", "target")
GOAL_COLUMNS = ("id", *GOAL_FIELDS, "created_at")


def _visible(model, scope: Scope) -> ColumnElement[bool]:
    if scope.visible_stores is None:
        return true()
    return (model.scope_type == "store") & model.scope_value.in_(sorted(scope.visible_stores))


def insert_goal(engine: Engine, goal: dict) -> int:
    with engine.begin() as connection:
        result = connection.execute(insert(Goal).values(**goal, created_at=dt.datetime.now()))
        return int(result.inserted_primary_key[0])


def update_goal_row(engine: Engine, goal_id: int, goal: dict) -> None:
    with engine.begin() as connection:
        connection.execute(update(Goal).where(Goal.id == goal_id).values(**goal))


def delete_goal_row(engine: Engine, goal_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(delete(Goal).where(Goal.id == goal_id))


def goal_rows(engine: Engine, *, scope: Scope) -> pd.DataFrame:
    """The goals the scope's caller may see, oldest first: ``id``, the goal's fields and ``created_at``."""
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
                  description: str) -> int:  # fmt: skip
    with engine.begin() as connection:
        return connection.execute(
            insert(Action).values(action_date=action_date, scope_type=scope_type, scope_value=scope_value,
                                  description=description, created_at=dt.datetime.now())
        ).inserted_primary_key[0]  # fmt: skip


def actions_for(engine: Engine, *, scope_type: str, scope_value: str | None, scope: Scope) -> list[dict]:
    """The actions recorded for exactly this scope type and value, oldest first."""
    named = (Action.scope_value == scope_value) if scope_value else true()
    query = select(Action).where(Action.scope_type == scope_type, named, _visible(Action, scope))
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query.order_by(Action.action_date)).mappings()]
