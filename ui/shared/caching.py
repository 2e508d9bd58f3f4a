"""The engine (one per database URL) and cached calls into ``cx``, fresh after every import."""

from __future__ import annotations

import streamlit as st

from cx.config import Settings, make_engine
from cx.store import queries
from cx.store.schema import upgrade_schema
from cx.store.sums import shared_sums


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
    """The engine of the configured database, for calls that must read fresh rows (goals, actions)."""
    return _engine(database_url())


def data_version() -> int:
    return queries.data_version(engine())


@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def _cached(_function, name: str, url: str, version: int, kwargs: tuple):
    with shared_sums():  # the same sums asked twice in one computation are read once
        return _function(_engine(url), **dict(kwargs))


def cached(function, **kwargs):
    """Call ``function(engine, **kwargs)`` through the data cache (fresh after every import)."""
    name = f"{function.__module__}.{function.__qualname__}"
    return _cached(function, name, database_url(), data_version(), tuple(sorted(kwargs.items())))


@st.cache_data(ttl=60, max_entries=8)
def source_coverage(url: str):
    return queries.source_coverage(_engine(url))
