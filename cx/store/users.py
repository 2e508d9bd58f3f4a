"""Users, their grants and the built-in sign-in; and a user's grants as the ``Scope`` every read takes.

A user's e-mail is their name here (stored lower-case). A role that reads the whole brand needs no
grant; a regional or store manager sees the stores their grants name (a brand, region or district
grants every store in it), and nothing when they have none.

Every change and every sign-in, refused or not, is recorded in the audit log (:mod:`cx.store.audit`) in
the transaction that makes it; ``actor`` is who made a change (default: the OS user).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import Engine, delete, insert, select, update

from cx.access.passwords import hash_password, password_matches
from cx.access.roles import ROLES, role_of
from cx.config import local_user
from cx.store import audit
from cx.store.models import AccessGrant, AppUser, Brand, District, Region, Store
from cx.store.scope import Scope

GRANT_LEVELS = {
    "brand": Brand.name,
    "region": Region.name,
    "district": District.name,
    "store": Store.store_id,
}
LOCK_AFTER = 5  # failed sign-ins in a row
LOCK_FOR = dt.timedelta(minutes=15)
USER_KEYS = ("email", "name", "role", "active", "grants", "created_at", "last_sign_in_at", "locked_until")


class SignInRefused(ValueError):
    """The sign-in failed; the message says why in words that do not tell which accounts exist."""


def normal_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or any(c.isspace() for c in email):
        raise ValueError(f"{email!r} is not an e-mail address.")
    return email


def add_user(
    engine: Engine,
    email: str,
    *,
    role: str,
    name: str | None = None,
    password: str | None = None,
    grants: list[tuple[str, str]] = (),
    actor: str | None = None,
) -> dict:
    """Create a user with ``role``, an optional password (hashed) and grants; returns it as listed."""
    email, role = normal_email(email), role_of(role).name
    with engine.begin() as connection:
        if connection.execute(select(AppUser.id).where(AppUser.email == email)).first():
            raise ValueError(f"There is already a user {email}; change their role or grants instead.")
        user_id = connection.execute(
            insert(AppUser).values(
                email=email, display_name=name or email.split("@")[0], role=role, active=True,
                password_hash=hash_password(password) if password else None, created_at=dt.datetime.now(),
                failed_attempts=0,
            )
        ).inserted_primary_key[0]  # fmt: skip
        for level, value in grants:
            _add_grant(connection, user_id, role, level, value)
        granted = [f"{level} {value}" for level, value in grants]
        audit.record(connection, actor=actor or local_user(), action="user_add", email=email, role=role,
                     grants=granted, with_password=bool(password))  # fmt: skip
    return user(engine, email)


def grant(engine: Engine, email: str, level: str, value: str, *, actor: str | None = None) -> dict:
    """Let the user see ``level`` ``value`` too (a region, a store ...)."""
    with engine.begin() as connection:
        found = _user_row(connection, email)
        _add_grant(connection, found["id"], found["role"], level, value)
        audit.record(connection, actor=actor or local_user(), action="user_grant", scope=f"{level} {value}",
                     email=found["email"])  # fmt: skip
    return user(engine, email)


def revoke(engine: Engine, email: str, level: str, value: str, *, actor: str | None = None) -> dict:
    """Take one grant away; ``ValueError`` when the user did not hold it."""
    with engine.begin() as connection:
        found = _user_row(connection, email)
        removed = connection.execute(
            delete(AccessGrant).where(
                AccessGrant.user_id == found["id"], AccessGrant.level == level, AccessGrant.value == value
            )
        ).rowcount
        if not removed:
            raise ValueError(f"{found['email']} holds no grant of {level} {value!r}.")
        audit.record(connection, actor=actor or local_user(), action="user_revoke", scope=f"{level} {value}",
                     email=found["email"])  # fmt: skip
    return user(engine, email)


def disable(engine: Engine, email: str, *, actor: str | None = None) -> dict:
    """The user can no longer sign in, and a session of theirs ends at its next rerun."""
    with engine.begin() as connection:
        found = _user_row(connection, email)
        connection.execute(update(AppUser).where(AppUser.id == found["id"]).values(active=False))
        audit.record(connection, actor=actor or local_user(), action="user_disable", email=found["email"])
    return user(engine, email)


def set_password(engine: Engine, email: str, password: str, *, actor: str | None = None) -> None:
    """Give the user a new password (its Argon2 hash), which also lifts a lockout."""
    hashed = hash_password(password)
    with engine.begin() as connection:
        found = _user_row(connection, email)
        connection.execute(
            update(AppUser)
            .where(AppUser.id == found["id"])
            .values(password_hash=hashed, failed_attempts=0, locked_until=None)
        )
        audit.record(connection, actor=actor or local_user(), action="user_password", email=found["email"])


def sign_in(
    engine: Engine, email: str, password: str, *, now: dt.datetime | None = None, method: str = "password"
) -> dict:
    """The user, when ``password`` is theirs and the account is active and not locked; every failure
    raises :class:`SignInRefused` with the same words for an unknown e-mail and a wrong password (a
    disabled account says so only to its right password).
    ``LOCK_AFTER`` failures in a row lock the account for ``LOCK_FOR``, even to the right password.
    The attempt is recorded as ``sign_in`` or ``sign_in_failed`` with its ``reason`` (unknown, wrong,
    locked, disabled) and ``method``, the person signing in as the actor."""
    now = now or dt.datetime.now()
    wrong = SignInRefused("The e-mail address or the password is wrong.")
    try:
        email = normal_email(email)
    except ValueError:
        audit.record(engine, actor=email.strip(), action="sign_in_failed", reason="unknown", method=method)
        raise wrong from None
    refusal = wrong
    with engine.begin() as connection:
        found = connection.execute(select(AppUser).where(AppUser.email == email)).mappings().first()
        if found is None:
            reason = "unknown"
        elif found["locked_until"] is not None and found["locked_until"] > now:
            reason = "locked"
            refusal = SignInRefused(
                f"Too many failed sign-ins: the account is locked until {found['locked_until']:%H:%M}. "
                "Try again then, or ask an administrator to set a new password."
            )
        elif (matches := password_matches(found["password_hash"], password)) and not found["active"]:
            reason, refusal = "disabled", SignInRefused("This account is disabled; ask an administrator.")
        elif matches:
            reason = None
            connection.execute(
                update(AppUser)
                .where(AppUser.id == found["id"])
                .values(failed_attempts=0, locked_until=None, last_sign_in_at=now)
            )
        else:  # kept: the failure is committed before it is reported
            reason, failures = "wrong", found["failed_attempts"] + 1
            locked = now + LOCK_FOR if failures >= LOCK_AFTER else None
            connection.execute(
                update(AppUser)
                .where(AppUser.id == found["id"])
                .values(failed_attempts=0 if locked else failures, locked_until=locked)
            )
        outcome = {"action": "sign_in_failed", "reason": reason} if reason else {"action": "sign_in"}
        audit.record(connection, actor=email, method=method, **outcome)
    if reason:
        raise refusal
    return user(engine, email)


def note_sign_in(engine: Engine, email: str, *, method: str, now: dt.datetime | None = None) -> None:
    """Record a sign-in that another check let through (``demo`` on the demo brand, ``sso`` by the
    identity provider): the user's last sign-in and a ``sign_in`` event."""
    now = now or dt.datetime.now()
    with engine.begin() as connection:
        found = _user_row(connection, email)
        connection.execute(update(AppUser).where(AppUser.id == found["id"]).values(last_sign_in_at=now))
        audit.record(connection, actor=found["email"], action="sign_in", method=method)


def user(engine: Engine, email: str) -> dict:
    """One user as :func:`list_users` gives them; ``ValueError`` for an unknown e-mail."""
    email = normal_email(email)
    listed = [found for found in list_users(engine) if found["email"] == email]
    if not listed:
        raise ValueError(f"There is no user {email}.")
    return listed[0]


def list_users(engine: Engine) -> list[dict]:
    """Every user with ``USER_KEYS`` (grants as ``level value`` pairs); never the password hash."""
    with engine.connect() as connection:
        users = connection.execute(select(AppUser).order_by(AppUser.email)).mappings().all()
        grants = connection.execute(
            select(AccessGrant.user_id, AccessGrant.level, AccessGrant.value).order_by(
                AccessGrant.level, AccessGrant.value
            )
        ).all()
    held: dict[int, list[dict]] = {}
    for user_id, level, value in grants:
        held.setdefault(user_id, []).append({"level": level, "value": value})
    return [
        {"email": found["email"], "name": found["display_name"], "role": found["role"], "active": found["active"],
         "grants": held.get(found["id"], []), "created_at": found["created_at"],
         "last_sign_in_at": found["last_sign_in_at"], "locked_until": found["locked_until"]}
        for found in users
    ]  # fmt: skip


def visible_stores(engine: Engine, email: str) -> frozenset[str] | None:
    """The stores the user may see: ``None`` (every store) for a role that reads the whole brand, else
    the stores their grants name or lie in (empty without grants)."""
    found = user(engine, email)
    if not found["active"]:
        raise ValueError(f"The user {found['email']} is disabled.")
    if ROLES[found["role"]].whole_brand:
        return None
    with engine.connect() as connection:
        stores = set().union(
            *(_stores_named(connection, held["level"], held["value"]) for held in found["grants"])
        )
    return frozenset(stores)


def granted_store_sets(engine: Engine) -> list[frozenset[str]]:
    """The distinct sets of stores the active users of confined roles may see, largest first: the
    scopes their first views start from."""
    confined = [found["email"] for found in list_users(engine)
                if found["active"] and not ROLES[found["role"]].whole_brand]  # fmt: skip
    distinct = {visible_stores(engine, email) for email in confined}
    return sorted(
        (stores for stores in distinct if stores), key=lambda stores: (-len(stores), sorted(stores))
    )


def user_scope(engine: Engine, email: str) -> Scope:
    """The whole brand as the user may see it: the ``Scope`` every read of theirs starts from."""
    return Scope(visible_stores=visible_stores(engine, email))


def _user_row(connection, email: str):
    found = connection.execute(select(AppUser).where(AppUser.email == normal_email(email))).mappings().first()
    if found is None:
        raise ValueError(f"There is no user {normal_email(email)}.")
    return found


def _stores_named(connection, level: str, value: str) -> set[str]:
    """The stores a grant of ``level`` ``value`` covers (a brand, region or district: every store in it)."""
    query = (
        select(Store.store_id)
        .join(Region, Store.region_id == Region.id)
        .join(Brand, Region.brand_id == Brand.id)
        .outerjoin(District, Store.district_id == District.id)
        .where(GRANT_LEVELS[level] == value)
    )
    return set(connection.execute(query).scalars())


def _add_grant(connection, user_id: int, role: str, level: str, value: str) -> None:
    """Record a grant that names something there is, at a level the role takes."""
    allowed = role_of(role).grant_levels
    if not allowed:
        raise ValueError(f"The {role} role reads the whole brand; it takes no grants.")
    if level not in allowed:
        raise ValueError(f"The {role} role takes grants of {' or '.join(sorted(allowed))}, not {level}.")
    if not _stores_named(connection, level, value):
        raise ValueError(f"There is no {level} {value!r} with stores; check the name (names are exact).")
    exists = connection.execute(
        select(AccessGrant.id).where(
            AccessGrant.user_id == user_id, AccessGrant.level == level, AccessGrant.value == value
        )
    ).first()
    if exists is None:
        connection.execute(insert(AccessGrant).values(user_id=user_id, level=level, value=value))


class OutsideGrant(ValueError):
    """A read names a user who may not read, or a part of the brand outside their grant."""


def granted_scope(engine: Engine, email: str, scope: Scope) -> Scope:
    """``scope`` confined to what the user may see (``visible_stores``); :class:`OutsideGrant` when the
    user is unknown or disabled, or the scope's store or region lies wholly outside their grant."""
    try:
        visible = visible_stores(engine, email)
    except ValueError as error:
        raise OutsideGrant(str(error)) from None
    if visible is None:
        return scope
    who = normal_email(email)
    if scope.store is not None and scope.store not in visible:
        raise OutsideGrant(f"Store {scope.store!r} is outside what {who} may see.")
    if scope.region is not None:
        with engine.connect() as connection:
            in_region = _stores_named(connection, "region", scope.region)
        if not in_region & visible:
            raise OutsideGrant(f"Region {scope.region!r} is outside what {who} may see.")
    return replace(scope, visible_stores=visible)
