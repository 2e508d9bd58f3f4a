"""The engine (one per database URL), and the one way pages call into ``cx``: through the viewer's
grant, and through the data cache (fresh after every import).

Every call's ``scope`` is narrowed to the stores the signed-in viewer may see before the function runs;
a function that takes no scope reads the whole brand, and only those in ``BRAND_WIDE`` (nothing in
their result names a store) are open to a viewer confined to some stores.
"""

from __future__ import annotations

import inspect
from functools import cache

import streamlit as st

from cx.access.viewer import Viewer, check_write
from cx.config import DASHBOARD_USER, Settings, make_engine
from cx.store import queries
from cx.store.schema import upgrade_schema
from cx.store.sums import shared_sums
from cx.store.users import OutsideGrant

VIEWER = "viewer"  # session state: the Viewer of this run, set by the router before any page runs
BRAND_WIDE = frozenset(
    {"cx.store.queries.latest_data_day", "cx.store.queries.is_demo", "cx.analysis.locations.peer_scope",
     "cx.analysis.executive.brand_benchmark"}
)  # fmt: skip


class OutsideView(PermissionError):
    """A page asked for what the viewer may not read; a fault of the page, never shown as data."""


def database_url() -> str:
    return Settings.from_env().database_url


@st.cache_resource
def _engine(url: str):
    """One engine per database, its schema brought to the newest revision once (an older database
    keeps every row; new rollup columns are filled from the raw rows)."""
    engine = make_engine(url)
    upgrade_schema(engine)
    return engine


def engine():
    """The engine of the configured database, for writes and for the sign-in (reads go through
    :func:`cached` or :func:`fresh`)."""
    return _engine(database_url())


def data_version() -> int:
    return queries.data_version(engine())


def viewer() -> Viewer:
    """The viewer of this run (the router sets it before a page runs)."""
    found = st.session_state.get(VIEWER)
    if found is None:
        raise OutsideView("No viewer is set for this run: pages run only from the router.")
    return found


def author() -> str:
    """Whom the dashboard records a change as: the signed-in user's e-mail, or ``dashboard`` while it is open."""
    return viewer().email or DASHBOARD_USER


def write_refusal(write: str, scope_type: str, scope_value: str | None) -> str | None:
    """Why the viewer may not make this change (:func:`cx.access.viewer.check_write`), or None."""
    try:
        check_write(engine(), viewer(), write, scope_type, scope_value)
    except OutsideGrant as refusal:
        return str(refusal)
    return None


@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def _cached(_function, name: str, url: str, version: int, kwargs: tuple):
    with shared_sums():  # the same sums asked twice in one computation are read once
        return _function(_engine(url), **dict(kwargs))


def cached(function, **kwargs):
    """Call ``function(engine, **kwargs)`` through the gate and the data cache (fresh after every import)."""
    name = _name(function)
    kwargs = gated(function, kwargs)
    return _cached(function, name, database_url(), data_version(), tuple(sorted(kwargs.items())))


def fresh(function, **kwargs):
    """Call ``function(engine, **kwargs)`` through the gate, bypassing the cache: for what changes
    without an import (goals, actions)."""
    return function(engine(), **gated(function, kwargs))


def gated(function, kwargs: dict) -> dict:
    """``kwargs`` with ``scope`` confined to the viewer; :class:`OutsideView` for a whole-brand read by
    a confined viewer that is not in ``BRAND_WIDE``."""
    who = viewer()
    if "scope" in _parameters(function):
        return {**kwargs, "scope": who.confine(kwargs.get("scope"))}
    if who.confined and _name(function) not in BRAND_WIDE:
        raise OutsideView(f"{_name(function)} reads the whole brand, which this viewer may not see.")
    return kwargs


@cache
def _parameters(function) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)


def _name(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


@st.cache_data(ttl=60, max_entries=8)
def source_coverage(url: str):
    return queries.source_coverage(_engine(url))
