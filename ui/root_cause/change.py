"""Steps 1 and 2: what changed, and when it began and how long it lasted."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cx.analysis import drilldown
from cx.present import charts
from cx.present import root_cause as investigation
from cx.present.markup import display_name
from ui.root_cause.context import Investigation
from ui.shared import caching, places, tables


def what_happened(case: Investigation) -> None:
    """The change in one plain sentence (its statistics in an expander), the timeline with both
    windows shaded, and the parts that changed."""
    with st.container(border=True):
        st.subheader("1. What happened")
        where = places.where_phrase(case.scope, touchpoint=case.touchpoint)
        what, since = case.view["what"], _since(case)
        st.text(display_name(investigation.what_sentence(case.view_metric, what, where=where, since=since)))
        coverage = case.view.get("coverage") or {}
        if coverage and not coverage["comparable"]:
            st.warning(f"Not comparable: {coverage['reason']}. Choose a period the data cover.")
        else:
            with st.expander("How sure is this?"):
                st.text(investigation.what_details(case.view_metric, what))
        if case.small:
            st.warning(_too_few_answers(what))
        elif case.view["timeline"].empty:
            st.info("There is no weekly series to draw for this selection.")
        else:
            _timeline(case)
        if coverage.get("comparable", True):
            _changed_parts(case)


def _since(case: Investigation):
    """The month the change found began, for "since March 2026" (none when no change was found)."""
    start = case.view["when"].get("start") if not case.no_change else None
    return dt.date.fromisoformat(start) if start else None


def _too_few_answers(what: dict) -> str:
    return (
        f"Too few answers to tell a change from chance: {what['n_before'] or 0:,.0f} before "
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
    """The stores (or a store's touchpoints) whose own change is significant after the correction."""
    changed = pd.DataFrame(case.view["what"].get("changed") or [])
    parts = case.parts
    if changed.empty:
        st.caption(f"None of its {parts} changed by more than chance would explain, after the correction.")
        return
    count = len(changed)
    st.text(f"{count} of its {parts} changed by more than chance would explain:")
    changed["sample"] = changed["small"].map({True: "small sample", False: ""})
    changed = tables.p_values_as_text(changed, "p_value", "q_value")
    st.dataframe(changed[["key", "delta", "n_before", "n_after", "p_value", "q_value", "sample"]], hide_index=True,
                 column_config=tables.change_columns(key=parts.capitalize()[:-1], sample="Sample"))  # fmt: skip


def when_and_how_long(case: Investigation) -> None:
    """When the change began and whether it is still going on, for a change that is significant after
    the search's correction; otherwise that none stands out."""
    with st.container(border=True):
        st.subheader("2. When and for how long")
        when = case.view["when"]
        st.text(display_name(investigation.when_sentence(when)))
        if when["start"] and not case.small:
            a, b, c = st.columns(3)
            a.metric("Began", when["start"])
            b.metric("Ended", "still going on" if when["ongoing"] else str(when["end"]))
            c.metric("Duration", f"{when['duration_days']} days")
            with st.expander("How the start was found"):
                st.text(display_name(investigation.search_note(case.view_metric, scope=case.view_scope,
                                                               series=when["series"], p_value=when["p_value"])))  # fmt: skip
