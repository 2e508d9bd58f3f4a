"""Moving the investigation: buttons that drill down, and the path back up (both change the URL)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx.analysis import drilldown
from cx.present.markup import escape_markdown
from cx.store.scope import Scope
from ui.shared.filters import update_params


def drill_button(label: str, key: str, **params) -> None:
    """A button that moves the investigation (and the URL) to another level."""
    st.button(label, key=key, on_click=update_params, kwargs=params, icon=":material/zoom_in:")


def drill_path(directory: pd.DataFrame, *, scope: Scope, touchpoint: str | None, term: str | None) -> None:
    """Brand › region › store › touchpoint › word: each level above the current one a button back up."""
    brands = directory["brand"].dropna().unique()
    store_region = directory["region"].get(scope.store) if scope.store else None
    crumbs = drilldown.drill_path(brand=brands[0] if len(brands) == 1 else "All brands",
                                  region=scope.region or store_region, store=scope.store, touchpoint=touchpoint,
                                  term=term)  # fmt: skip
    for number, crumb in enumerate(crumbs):
        if number:
            st.markdown("›", width="content")
        label = escape_markdown(crumb.label)
        if crumb.current:
            st.markdown(f"**{label}**", width="content")
        else:
            st.button(label, key=f"root_crumb_{number}", type="tertiary", on_click=update_params,
                      kwargs=crumb.params, help="Go back up to this level")  # fmt: skip
