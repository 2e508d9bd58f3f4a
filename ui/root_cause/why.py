"""Step 5: why: the touchpoints that moved, the share of complaints at one, the survey attributes, the
theme words and the comments customers wrote."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx.analysis import drilldown
from cx.metrics.registry import TOUCHPOINT_METRICS
from cx.present import charts
from cx.present import root_cause as investigation
from cx.present.markup import display_name, escape_markdown
from cx.store.queries import feedback_texts
from ui.root_cause.context import Investigation
from ui.root_cause.drill import drill_button
from ui.shared import caching, tables

COMMENT_HEADERS = {"date": "Date", "source": "Source", "store_id": "Store", "touchpoint": "Given at",
                   "term": "Word", "text": "Comment"}  # fmt: skip


def why(case: Investigation) -> None:
    with st.container(border=True):
        st.subheader("5. Why")
        _touchpoints(case)
        if case.touchpoint and not case.small:
            _complaint_share(case)
        _attributes(case)
        _themes(case)
        _comments(case)


def _touchpoints(case: Investigation) -> None:
    """The touchpoints ranked by how unexpectedly they moved; at a store, a pick to drill into one."""
    measured = case.metric if case.metric in TOUCHPOINT_METRICS else "nps"
    touchpoints = investigation.node_frame(case.result["touchpoints"], metric=measured, by_touchpoint=True)
    if case.small:
        st.info("Too few answers to compare touchpoints (see step 1).")
        return
    if touchpoints.empty:
        st.info("No answers carry a touchpoint in both windows.")
        return
    st.text(
        display_name(
            investigation.touchpoints_sentence(case.metric, touchpoints, whole_brand=case.brand_level)
        )
    )
    st.altair_chart(charts.deviation_chart(touchpoints, metric=measured), width="stretch",
                    key="root_why_chart")  # fmt: skip
    st.caption(investigation.where_caption(measured, parts="touchpoints"))
    with st.expander("How the touchpoints are ordered"):
        st.text(display_name(investigation.touchpoints_details(measured, case.result["sources"].get(measured),
                                                               scope_name=case.scope_name, brand=case.brand_level)))  # fmt: skip
    if not case.scope.store:
        st.caption("Pick a store in step 3 to look at one of its touchpoints.")
        return
    touchpoint, names = case.touchpoint, list(touchpoints["label"])
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox("Switch to touchpoint" if touchpoint else "Look at touchpoint", names,
                              key="root_touchpoint_pick", format_func=display_name,
                              index=names.index(touchpoint) if touchpoint in names else 0)  # fmt: skip
        if chosen != touchpoint:
            drill_button(f"Investigate touchpoint {escape_markdown(chosen)}", "root_go_touchpoint_why", touchpoint=chosen,
                         term=None)  # fmt: skip


def _complaint_share(case: Investigation) -> None:
    """The touchpoint's share of the store's complaints in each window, and its change."""
    before, after, touchpoint, store = case.before, case.after, case.touchpoint, case.scope.store
    share = caching.cached(drilldown.complaint_share, metric=case.metric, scope=case.scope, touchpoint=touchpoint,
                           after=after, before=before)  # fmt: skip
    st.markdown(investigation.complaint_sentence(share, where=store))
    st.dataframe(pd.DataFrame([
        {"window": f"before ({before.label()})", "complaints": share["k_before"], "all": share["m_before"],
         "share": share["share_before"]},
        {"window": f"after ({after.label()})", "complaints": share["k_after"], "all": share["m_after"],
         "share": share["share_after"]},
    ]), hide_index=True, column_config={
        "window": "Window", "complaints": st.column_config.NumberColumn(f"At {touchpoint}", format="%d"),
        "all": st.column_config.NumberColumn(f"All of {store}", format="%d"),
        "share": st.column_config.NumberColumn("Share (%)", format="%.1f"),
    })  # fmt: skip
    if share["delta"] is not None:
        st.caption(f"Change of the share {share['delta']:+.1f} percentage points, 95 % interval "
                   f"{share['low']:+.1f} to {share['high']:+.1f} ({investigation.format_p(share['p_value'])}, "
                   "two-proportion test). Complaints: " + share["complaint"] + ".")  # fmt: skip


def _attributes(case: Investigation) -> None:
    """The survey attributes' changes, against the same attributes' changes across the brand."""
    attributes = pd.DataFrame(case.result.get("attributes") or [])
    if attributes.empty:
        return
    moved = attributes.loc[attributes["q_value"] < 0.05, "attribute"].str.replace("_", " ")
    st.markdown("**Survey attributes**")
    st.text(f"Changed by more than chance would explain: {', '.join(moved)}." if len(moved)
            else "No survey attribute changed by more than chance would explain.")  # fmt: skip
    attributes = tables.p_values_as_text(attributes, "p_value", "q_value")
    st.dataframe(attributes[["attribute", "before", "after", "delta", "low", "high", "p_value", "q_value", "z",
                             "n_before", "n_after"]], hide_index=True, column_config=tables.change_columns(
        attribute="Attribute", p_value=st.column_config.TextColumn("p (Welch)"),
        z=st.column_config.NumberColumn("z vs brand", format="%+.1f",
                                        help="(change − the same attribute's change across the brand) / SE")))  # fmt: skip


def _themes(case: Investigation) -> None:
    """The words the window's comments use more than the comparison's, and a pick to read them."""
    scope, term = case.scope, case.term
    terms = pd.DataFrame(case.result["themes"], columns=["term", "z", "count"])
    st.markdown("**Themes**")
    st.text(display_name(investigation.themes_sentence(case.result["themes"])))
    if terms.empty:
        return
    table_column, pick_column = st.columns([3, 2])
    table_column.dataframe(terms, hide_index=True, column_config={
        "term": "Word", "z": st.column_config.NumberColumn("Log-odds z", format="%.1f",
                                                           help="How much more the window's comments use the word than the comparison comments"),
        "count": st.column_config.NumberColumn("Uses in the window", format="%d"),
    })  # fmt: skip
    with pick_column:
        words = list(terms["term"])
        word = st.selectbox("Read the comments that use", words, key="root_term_pick", format_func=display_name,
                            index=words.index(term) if term in words else 0)  # fmt: skip
        if word != term:
            drill_button(f"Read the comments with “{escape_markdown(word)}”", "root_go_term", term=word)
        against = " and the rest of the brand in the same weeks" if scope.store or scope.region else ""
        st.caption(f"Compared with the comments before the change{against}.")
    with st.expander("How the words are found"):
        st.text(investigation.THEMES_DETAILS)


def _comments(case: Investigation) -> None:
    """The comments that use the theme word, those of the touchpoint, or the brand's recent verbatims."""
    scope, touchpoint, term, after = case.scope, case.touchpoint, case.term, case.after
    if touchpoint:
        texts = caching.cached(
            drilldown.touchpoint_comments, scope=scope, touchpoint=touchpoint, period=after
        )
        about = f"given at {escape_markdown(touchpoint)} or naming it"
    else:
        texts = caching.cached(feedback_texts, scope=scope, period=after)
        about = f"from {escape_markdown(case.place)}"
    if term:
        hits = drilldown.comments_with_term(texts, term)
        word = escape_markdown(term)
        st.markdown(f"**{len(hits):,} of {len(texts):,} comments** {about} in {after.label()} use “{word}”.")
        if hits.empty:
            st.info(f"No comment in this slice uses “{word}”. Go back up with the path at the top.")
        else:
            _show_comments(hits)
            tables.download_button(hits, label="Download these comments", file_name=f"comments_{term}.csv",
                                   key="root_term_csv")  # fmt: skip
    elif touchpoint:
        st.markdown(f"**{len(texts):,} comments** {about} in {after.label()}, newest first.")
        _show_comments(texts)
        tables.download_button(texts, label="Download these comments", file_name=f"comments_{touchpoint}.csv",
                               key="root_touchpoint_csv")  # fmt: skip
    elif case.result["verbatims"]:
        st.markdown("**What customers wrote** (recent comments using the top words):")
        _show_comments(pd.DataFrame(case.result["verbatims"]))


def _show_comments(frame: pd.DataFrame) -> None:
    """Comments in a table that wraps long texts; ``st.table`` reads its cells as Markdown, so each is
    escaped to show as typed."""
    columns = [c for c in COMMENT_HEADERS if c in frame]
    shown = frame[columns].fillna("").astype(str)
    shown["date"] = shown["date"].str.slice(0, 10)
    shown = shown.map(escape_markdown)
    st.table(shown.rename(columns=COMMENT_HEADERS), hide_index=True, border="horizontal",
             height=420 if len(shown) > 10 else "content")  # fmt: skip
