"""Steps 1 and 2: what changed, and when it began and how long it lasted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx.analysis import drilldown
from cx.present import charts
from cx.present import root_cause as investigation
from ui.root_cause.context import Investigation
from ui.shared import caching, places, tables


def what_happened(case: Investigation) -> None:
    """The change in one sentence, the timeline with both windows shaded, and the parts that changed."""
    with st.container(border=True):
        st.subheader("1. What happened")
        where = places.where_phrase(case.scope, touchpoint=case.touchpoint)
        st.markdown(investigation.what_sentence(case.view_metric, case.view["what"], where=where))
        if case.small:
            st.warning(_too_few_answers(case.view["what"]))
        elif case.view["timeline"].empty:
            st.info("There is no weekly series to draw for this selection.")
        else:
            _timeline(case)
        _changed_parts(case)


def _too_few_answers(what: dict) -> str:
    return (
        f"The sample is too small to tell a change from noise: {what['n_before'] or 0:,.0f} answers before "
        f"and {what['n_after'] or 0:,.0f} after (at least {investigation.MIN_ANSWERS} in each are needed). "
        "Widen the period or look at the region instead."
    )


def _timeline(case: Investigation) -> None:
    before, after, metric = case.before, case.after, case.view_metric
    shaded = pd.DataFrame({"window": ["before", "after"],
                           "start": pd.to_datetime([before.start, after.start]),
                           "end": pd.to_datetime([before.end, after.end]) + pd.Timedelta(days=1),
                           "dates": [before.label(), after.label()]})  # fmt: skip
    marks = pd.DataFrame(case.effects, columns=["date", "description"])
    series, grain = caching.cached(drilldown.readable_timeline, metric=metric, scope=case.view_scope,
                                   weekly=case.view["timeline"])  # fmt: skip
    chart = charts.timeline_chart(series, metric=metric, windows=shaded, actions=marks, grain=grain,
                                  n_title="Sales days" if metric == "revenue" else "Answers (n)")  # fmt: skip
    st.altair_chart(chart, width="stretch", key="root_timeline")
    st.caption(investigation.timeline_caption(metric, grain))


def _changed_parts(case: Investigation) -> None:
    """The stores (or a store's touchpoints) that changed significantly on their own."""
    changed = pd.DataFrame(case.view["what"].get("changed") or [])
    parts = case.parts
    if changed.empty:
        st.caption(f"No single one of its {parts} changed significantly (Benjamini-Hochberg q < 0.05 across "
                   f"the {parts}, or an EWMA chart signal with limits set for their number).")  # fmt: skip
        return
    st.markdown(f"**{len(changed)} of its {parts} changed significantly** on their own:")
    changed = tables.p_values_as_text(changed, "p_value", "q_value")
    st.dataframe(changed[["key", "delta", "p_value", "q_value", "signal", "n_before", "n_after"]], hide_index=True,
                 column_config=tables.change_columns(
                     key=parts.capitalize()[:-1],
                     signal=st.column_config.TextColumn("EWMA signal from", help="First month outside the chart's limits")))  # fmt: skip
    st.caption("Listed when the before/after test survives Benjamini-Hochberg control across the "
               f"{parts} (q < 0.05) or the monthly EWMA chart, relative to the brand and with limits "
               f"widened for the number of {parts}, signals after the change.")  # fmt: skip


def when_and_how_long(case: Investigation) -> None:
    """When the change began, whether it is still going on, and how sure the search is of it."""
    with st.container(border=True):
        st.subheader("2. When and for how long")
        when = case.view["when"]
        st.markdown(investigation.when_sentence(when))
        if when["start"] and not case.small:
            a, b, c, d = st.columns(4)
            a.metric("Began", when["start"])
            b.metric("Ended", "still going on" if when["ongoing"] else str(when["end"]))
            c.metric("Duration", f"{when['duration_days']} days")
            d.metric("p (adjusted)", investigation.format_p(when["p_value"]).removeprefix("p = ").removeprefix("p "),
                     help="Permutation test of the shift (the months shuffled), Bonferroni-adjusted for the number "
                          "of candidate series searched.")  # fmt: skip
            st.caption(
                investigation.search_note(case.view_metric, scope=case.view_scope, series=when["series"])
            )
