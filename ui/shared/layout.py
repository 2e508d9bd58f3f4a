"""What the router draws around every page: the demo banner and the footer."""

from __future__ import annotations

import streamlit as st

from cx.present.markup import escape_markdown
from cx.store import queries
from ui.shared.caching import cached, database_url, engine, source_coverage


def demo_banner() -> None:
    """A notice while the database holds the synthetic demo brand."""
    if cached(queries.is_demo):
        st.info("You are looking at the synthetic demo brand (Oasis Market). Load your own files on the Data page.",
                icon=":material/science:")  # fmt: skip


def footer() -> None:
    """One line: which database, and how fresh each source is."""
    coverage = source_coverage(database_url())
    parts = [
        f"{row.source} to {row.last:%Y-%m-%d}"
        for row in coverage.itertuples()
        if row.rows and row.last is not None
    ]
    url = engine().url.render_as_string(hide_password=True)
    st.caption(f"Database {escape_markdown(url)} · data: {', '.join(parts) or 'none loaded yet'}")
