"""Who is reading: a signed-in user, or the open dashboard of a database that has no users yet; the
part of the brand they may see and what they may change.

Every read of the dashboard takes its ``Scope`` through :meth:`Viewer.confine`, so the stores outside a
grant never reach a query's result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine, func, select

from cx.access.roles import ROLES
from cx.store.models import AppUser
from cx.store.queries import is_demo, store_directory
from cx.store.scope import Scope
from cx.store.users import OutsideGrant, SignInRefused, note_sign_in, user, visible_stores

WRITE_WORDS = {"imports": "import data", "users": "manage users", "settings": "change settings",
               "goals": "set goals", "actions": "record actions", "alerts": "set alert rules",
               "personal_data": "export or erase customers' personal data"}  # fmt: skip
# The levels goals and actions are recorded for, and the store directory's column that names them.
LEVEL_COLUMNS = {"region": "region", "district": "district", "store": "store_id", "format": "format"}


@dataclass(frozen=True)
class Viewer:
    """``email`` None: the open dashboard (no users exist yet), which reads and writes everything."""

    email: str | None
    name: str
    role: str
    visible_stores: frozenset[str] | None  # None: every store

    @property
    def confined(self) -> bool:
        """Reads only the stores of its grants (a regional or store manager)."""
        return self.visible_stores is not None

    def may(self, write: str) -> bool:
        """Whether the role may ``write`` (one of ``imports``, ``users``, ``settings``, ``goals``,
        ``actions``, ``alerts``) at all; :func:`check_write` says where."""
        return write in ROLES[self.role].writes

    def scope(self) -> Scope:
        """The whole brand as this viewer may see it."""
        return Scope(visible_stores=self.visible_stores)

    def confine(self, scope: Scope | None) -> Scope:
        """``scope`` narrowed to the stores this viewer may see (never widened)."""
        scope = scope or Scope()
        if self.visible_stores is None:
            return scope
        seen = (
            self.visible_stores
            if scope.visible_stores is None
            else scope.visible_stores & self.visible_stores
        )
        return replace(scope, visible_stores=frozenset(seen))


OPEN = Viewer(email=None, name="Open dashboard", role="admin", visible_stores=None)


def anyone_signs_in(engine: Engine) -> bool:
    """Whether the database has users: then every reader signs in; until then the dashboard is open."""
    with engine.connect() as connection:
        return bool(connection.execute(select(func.count()).select_from(AppUser)).scalar_one())


def viewer_for(engine: Engine, email: str) -> Viewer:
    """The active user ``email`` as a viewer, with the stores their grants cover read now (so a change
    of role or grant takes effect on their next page); ``ValueError`` for an unknown or disabled user."""
    found = user(engine, email)
    if not found["active"]:
        raise ValueError(f"The account {found['email']} is disabled.")
    return Viewer(email=found["email"], name=found["name"] or found["email"], role=found["role"],
                  visible_stores=visible_stores(engine, found["email"]))  # fmt: skip


def demo_viewer(engine: Engine, email: str) -> Viewer:
    """A demo user (``...@demo``) signs in without a password, and only while the database holds
    nothing but the demo brand; :class:`SignInRefused` otherwise."""
    if not email.endswith("@demo") or not is_demo(engine):
        raise SignInRefused("Demo users sign in only on the demo brand.")
    try:
        viewer = viewer_for(engine, email)
    except ValueError as error:
        raise SignInRefused(str(error)) from None
    note_sign_in(engine, email, method="demo")
    return viewer


def check_write(engine: Engine, viewer: Viewer, write: str, scope_type: str, scope_value: str | None) -> None:
    """Refuse (:class:`OutsideGrant`) a change the viewer's role may not make, or one recorded for a
    part of the brand (``scope_type`` brand, region, district, store or format, and its value) that
    holds a store outside their grant: a regional manager sets goals for their region and its stores,
    not for the brand or a store format that spans other regions."""
    if not viewer.may(write):
        raise OutsideGrant(f"The {viewer.role.replace('_', ' ')} role may not {WRITE_WORDS[write]}.")
    if not viewer.confined:
        return
    where = f"{scope_type} {scope_value}" if scope_value else "the whole brand"
    covered = _stores_of(engine, scope_type, scope_value)
    if not covered or not covered <= viewer.visible_stores:
        raise OutsideGrant(f"You may {WRITE_WORDS[write]} only for your own stores, not for {where}.")


def _stores_of(engine: Engine, scope_type: str, scope_value: str | None) -> frozenset[str]:
    directory = store_directory(engine)
    if scope_type in LEVEL_COLUMNS and scope_value:
        directory = directory.loc[directory[LEVEL_COLUMNS[scope_type]] == scope_value]
    elif scope_type != "brand":
        return frozenset()
    return frozenset(directory["store_id"])
