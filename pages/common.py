"""Shared by every page: the cached engine and cached calls into ``cx``, keyed by database URL."""

import streamlit as st

from cx import queries
from cx.db import make_engine
from cx.settings import Settings


def database_url() -> str:
    return Settings.from_env().database_url


@st.cache_resource
def engine(url: str):
    return make_engine(url)


@st.cache_data(ttl=60, max_entries=8)
def source_coverage(url: str):
    return queries.source_coverage(engine(url))


@st.cache_data(ttl=60, max_entries=8)
def import_history(url: str):
    return queries.import_history(engine(url))
