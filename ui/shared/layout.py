"""What the router draws around every page: the demo banner and the footer."""

from __future__ import annotations

import streamlit as st

from cx.present.markup import escape_markdown
from cx.store import queries
from ui.shared.caching import cached, database_url, engine, source_coverage, viewer


def demo_banner() -> None:
    """A notice while the database holds the synthetic demo brand."""
    if cached(queries.is_demo):
        own = " Load your own files on the Data page." if viewer().may("imports") else ""
        st.info(
            f"You are looking at the synthetic demo brand (Oasis Market).{own}", icon=":material/science:"
        )


def footer() -> None:
    """One line: which database, and how fresh each source is."""
    coverage = source_coverage(database_url())
    parts = [
        f"{row.source} to {row.last:%Y-%m-%d}"
        for row in coverage.itertuples()
        if row.rows and row.last is not None
    ]
    data = f"data: {', '.join(parts) or 'none loaded yet'}"
    if viewer().may("settings"):
        data = f"Database {escape_markdown(engine().url.render_as_string(hide_password=True))} · {data}"
    st.caption(data[0].upper() + data[1:])
