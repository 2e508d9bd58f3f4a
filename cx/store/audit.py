"""The audit log: who did what, when, and to which part of the brand.

Sign-ins, imports and their undo, changes to users, goals and actions, and downloads each add one row
to ``audit_event``; the database refuses to change or delete a row. Given a connection, :func:`record`
writes in the caller's transaction, so an event commits with the change it records and rolls back with
it. ``detail`` is JSON and never holds a password or a hash.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine, func, insert, select

from cx.store.models import AuditEvent
from cx.store.scope import Scope

ACTIONS = (
    "sign_in", "sign_in_failed", "import", "undo", "user_add", "user_grant", "user_revoke", "user_disable",
    "user_password", "goal_create", "goal_update", "goal_delete", "action_create", "action_update", "export",
    "report_download", "customers_link", "customer_forget", "customer_merge", "customer_unmerge",
    "customer_merge_reject",
)  # fmt: skip
DOWNLOADS = ("export", "report_download")
EVENT_KEYS = ("at", "actor", "action", "scope", "detail")
WHOLE_BRAND = "whole brand"
SECRET_KEYS = frozenset({"password", "password_hash"})


def record(
    engine_or_connection: Engine | Connection,
    /,
    *,
    actor: str,
    action: str,
    scope: str = WHOLE_BRAND,
    **detail,
) -> None:
    """Add one event: ``actor`` (an e-mail or the OS user) did ``action`` (one of ``ACTIONS``) to
    ``scope``; ``detail`` is stored as JSON. With a connection, in its transaction."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; it is one of {', '.join(ACTIONS)}.")
    secret = SECRET_KEYS & set(detail)
    if secret:
        raise ValueError(f"The audit log never stores {', '.join(sorted(secret))}; leave it out.")
    statement = insert(AuditEvent).values(
        at=dt.datetime.now(), actor=actor[:320], action=action, scope=scope[:400],
        detail=json.dumps(detail, default=str, ensure_ascii=False),
    )  # fmt: skip
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.begin() as connection:
            connection.execute(statement)
    else:
        engine_or_connection.execute(statement)


def record_export(
    engine: Engine, *, actor: str, what: str, scope: str | Scope, rows: int, action: str = "export"
) -> None:
    """A download from the dashboard: ``what`` (e.g. ``league table CSV``) of ``rows`` rows over
    ``scope`` (its words, or the ``Scope`` read); ``action`` is ``export`` or ``report_download``."""
    if action not in DOWNLOADS:
        raise ValueError(f"A download is recorded as {' or '.join(DOWNLOADS)}, not {action!r}.")
    words = scope.describe() if isinstance(scope, Scope) else scope
    record(engine, actor=actor, action=action, scope=words, what=what, rows=int(rows))


def scope_text(scope_type: str, scope_value: str | None) -> str:
    """A goal's or an action's scope in words: ``store ST007``, ``region Gulf``; ``whole brand`` when it
    names nothing."""
    return f"{scope_type} {scope_value}" if scope_value else WHOLE_BRAND


def events(
    engine: Engine,
    *,
    limit: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
) -> list[dict]:
    """Events newest first with ``EVENT_KEYS`` (``detail`` as a dict): at most ``limit``, only of
    ``actor`` (any case) or ``action``, only from ``since`` (a day or a moment) on."""
    if action is not None and action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; it is one of {', '.join(ACTIONS)}.")
    if limit is not None and limit < 1:
        raise ValueError(f"The limit must be 1 or more, got {limit}.")
    query = select(*(getattr(AuditEvent, key) for key in EVENT_KEYS))
    if actor is not None:
        query = query.where(func.lower(AuditEvent.actor) == actor.strip().lower())
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        start = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time())
        query = query.where(AuditEvent.at >= start)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    with engine.connect() as connection:
        found = connection.execute(query).mappings().all()
    return [{**row, "detail": json.loads(row["detail"])} for row in found]
