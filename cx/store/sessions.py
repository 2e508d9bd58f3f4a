"""Dashboard sign-in sessions that outlive a page reload: a random token for the browser's cookie, its
SHA-256 in the database; a session is valid until it expires or is ended (sign-out)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine, insert, select, update

from cx.store.models import SignInSession


def start_session(
    engine: Engine, email: str, *, method: str, hours: float, now: dt.datetime | None = None
) -> str:
    """A new session for ``email`` lasting ``hours``; returns the token (only its hash is kept)."""
    now = now or dt.datetime.now()
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        connection.execute(
            insert(SignInSession).values(token_hash=_hash(token), email=email, method=method, created_at=now,
                                         expires_at=now + dt.timedelta(hours=hours))
        )  # fmt: skip
    return token


def session_for(engine: Engine, token: str, *, now: dt.datetime | None = None) -> dict | None:
    """``{"email", "since", "method"}`` of the live session ``token`` names; None for an unknown, ended
    or expired one."""
    now = now or dt.datetime.now()
    query = select(SignInSession.email, SignInSession.created_at, SignInSession.method).where(
        SignInSession.token_hash == _hash(token),
        SignInSession.ended_at.is_(None),
        SignInSession.expires_at > now,
    )
    with engine.connect() as connection:
        found = connection.execute(query).first()
    return (
        None if found is None else {"email": found.email, "since": found.created_at, "method": found.method}
    )


def end_session(engine: Engine, token: str, *, now: dt.datetime | None = None) -> None:
    """End the session ``token`` names (sign-out); nothing happens for an unknown one."""
    with engine.begin() as connection:
        connection.execute(
            update(SignInSession)
            .where(SignInSession.token_hash == _hash(token), SignInSession.ended_at.is_(None))
            .values(ended_at=now or dt.datetime.now())
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
