"""The one place a page turns bad input into a sentence: ``cx`` raises ``ValueError`` with a message a
person can act on, and the page shows it instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from cx.present.markup import escape_markdown


@contextmanager
def shown_as_error() -> Iterator[None]:
    """Show a ``ValueError`` raised in the block as ``st.error`` with its message (escaped: it may quote
    names and values from files), where the block stood; what follows the block still runs."""
    try:
        yield
    except ValueError as error:
        st.error(escape_markdown(str(error)))


def run_page(page: st.Page) -> None:
    """Run the page picked in the navigation; bad input stops it with its message, not a traceback."""
    with shown_as_error():
        page.run()
