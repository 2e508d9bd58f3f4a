"""Steps 4 and 6: whether the other sources saw the change, and how customers reacted in reviews and
sales."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx.present import root_cause as investigation
from cx.present.markup import escape_markdown
from ui.root_cause.context import Investigation


def who_noticed(case: Investigation) -> None:
    """Each source's change over the same windows, and whether it agrees with the metric's."""
    with st.container(border=True):
        st.subheader("4. Who noticed")
        result, touchpoint = case.result, case.touchpoint
        sources = dict(case.view["sources"])
        store_wide = [key for key, change in sources.items() if change is None and result["sources"].get(key)]
        if touchpoint:  # reviews and sales carry no touchpoint: show the store's
            sources.update({key: result["sources"][key] for key in store_wide})
        agreement = investigation.source_agreement(sources, case.view_metric)
        store = case.scope.store if touchpoint else None
        in_words = _named(agreement, store_wide, escape_markdown(store) if store else None)
        st.markdown(investigation.sources_sentence(in_words, case.view_metric))
        st.dataframe(_named(agreement, store_wide, store)[["name", "change", "p", "verdict"]], hide_index=True,
                     column_config={"name": "Source", "change": "Change", "p": "p", "verdict": "Agrees?"})  # fmt: skip
        st.caption("A source agrees when it moved in the same direction with p < 0.05, over the same two windows. "
                   "Changes: NPS points (pts), top-2-box percentage points (pp), stars, sales in percent (no "
                   "sampling test).")  # fmt: skip


def _named(agreement: pd.DataFrame, store_wide: list[str], store: str | None) -> pd.DataFrame:
    """``agreement`` with `` (all of ST007)`` after the sources read for the whole ``store``."""
    if not store:
        return agreement
    whole = agreement["source"].isin(store_wide)
    return agreement.assign(name=agreement["name"].mask(whole, agreement["name"] + f" (all of {store})"))


def how_customers_reacted(case: Investigation) -> None:
    """Review rating, reviews posted, transactions and revenue: after against before."""
    with st.container(border=True):
        st.subheader("6. How customers reacted")
        reaction = case.result["reaction"]
        st.markdown(investigation.reaction_sentence(reaction))
        a, b, c, d = st.columns(4)
        rating = reaction["rating_delta"]
        a.metric("Review rating", f"{rating:+.2f} ★" if rating is not None else "no data",
                 help=investigation.format_p(reaction["rating_p_value"]))  # fmt: skip
        reviews = reaction["reviews_delta"]
        b.metric("Reviews posted", f"{reviews:+,.0f}" if reviews is not None else "no data")
        for column, key, label in (
            (c, "transactions_delta_pct", "Transactions"),
            (d, "revenue_delta_pct", "Revenue"),
        ):
            value = reaction[key]
            column.metric(label, f"{value:+.1f} %" if value is not None else "no data")
        st.caption(f"{case.after.label()} against {case.before.label()}. Review rating: Welch test, "
                   f"{investigation.format_p(reaction['rating_p_value'])}; sales carry no sampling test."
                   + (f" Reviews and sales carry no touchpoint: these are store {escape_markdown(case.scope.store)}'s."
                      if case.touchpoint else ""))  # fmt: skip
