"""Links between pages: they keep the sidebar filters (kept in the URL), and add a page's own state."""

from __future__ import annotations

import streamlit as st

from ui.shared import paths
from ui.shared.filters import filter_params


def investigate_link(label: str, *, help: str | None = None, **params: str) -> None:
    """A link to the Root cause page that keeps the sidebar filters and adds ``params`` (store,
    touchpoint, metric, mode)."""
    st.page_link(paths.ROOT_CAUSE, label=label, icon=":material/troubleshoot:", help=help,
                 query_params={**filter_params(), **params})  # fmt: skip


def page_link(page: str, *, label: str, icon: str, keep_filters: bool = True, **params: str) -> None:
    """A link to ``page`` (one of :mod:`ui.shared.paths`) with the sidebar filters, unless ``keep_filters``
    is False, and ``params``."""
    kept = filter_params() if keep_filters else {}
    st.page_link(page, label=label, icon=icon, query_params={**kept, **params})
