"""Root cause: one change investigated in seven questions, from the brand down to a region, a store, a
touchpoint, a theme word and the comments that use it.

The metric, the mode and the drill path live in the URL (``metric, mode, region, store, touchpoint,
term``; region and store are the sidebar's filters), so a copied link reopens the same step.
"""

import streamlit as st

from cx.metrics.registry import EXPLAINABLE
from cx.present import root_cause as investigation
from cx.present.markup import display_name, escape_markdown
from cx.store.queries import store_directory
from cx.store.scope import Scope
from ui.root_cause import context
from ui.root_cause.actions import after_an_action
from ui.root_cause.change import what_happened, when_and_how_long
from ui.root_cause.context import Investigation, metric_title
from ui.root_cause.drill import drill_button, drill_path
from ui.root_cause.sources import how_customers_reacted, who_noticed
from ui.root_cause.where import where
from ui.root_cause.why import why
from ui.shared import caching, links, paths
from ui.shared.filters import Filters, require_filters, seed, update_params

DRILLED = "root_cause_at"  # session state: ((region, store), (touchpoint, term)) of the last run


def choose_metric_and_mode(filters: Filters) -> tuple[str, str]:
    """The metric investigated, and whether the latest change or the sidebar period is explained."""
    left, right = st.columns([1, 2])
    seed("root_metric", list(EXPLAINABLE), st.query_params.get("metric"), "nps")
    metric = left.selectbox("Metric", EXPLAINABLE, format_func=metric_title, key="root_metric")
    modes = {"latest": "the latest change found", "period": f"the sidebar period ({filters.period.label()})"}
    seed("root_mode", list(modes), st.query_params.get("mode"), "latest")
    mode = right.radio("Explain", list(modes), format_func=modes.get, horizontal=True, key="root_mode")
    return metric, mode


def drill_from_url(scope: Scope) -> tuple[str | None, str | None]:
    """The touchpoint (at a store only) and theme word in the URL; none once the sidebar moved to
    another region or store while they stayed."""
    touchpoint = (st.query_params.get("touchpoint") or None) if scope.store else None
    term = st.query_params.get("term") or None
    last = st.session_state.get(DRILLED)
    if last and last[0] != (scope.region, scope.store) and last[1] == (touchpoint, term):
        touchpoint = term = None
    return touchpoint, term


def remember_drill(scope: Scope, touchpoint: str | None, term: str | None) -> None:
    st.session_state[DRILLED] = ((scope.region, scope.store), (touchpoint, term))


def introduce(case: Investigation) -> None:
    """What is compared with what, and why the windows are what they are."""
    before, after, touchpoint = case.before, case.after, case.touchpoint
    st.caption(f"Investigating {metric_title(case.view_metric)} for {escape_markdown(case.place)}"
               + (f", touchpoint {escape_markdown(touchpoint)}" if touchpoint else "")
               + f": {after.label()} ({after.days} days) compared with {before.label()} ({before.days} days).")  # fmt: skip
    if touchpoint and case.view_metric != case.metric:
        st.info(
            f"Reviews and sales carry no touchpoint, so {escape_markdown(touchpoint)} is measured in NPS."
        )
    if case.no_change:
        months = case.result["when"].get("searched_months")
        span = f"the last {months} months" if months else "the data"
        st.info(f"No change stands out in {span} of {metric_title(case.metric)} at {escape_markdown(case.place)}: "
                "none is larger than chance would explain. The steps below explain the sidebar period "
                f"({after.label()}) against the period before it.")  # fmt: skip
    _offer_the_change_found(case)
    st.caption(investigation.SIGNIFICANCE_NOTE)


def _offer_the_change_found(case: Investigation) -> None:
    """When the change found is clearest in one part of the scope (a store, or a store's touchpoint),
    a button to investigate that part in the same windows."""
    when = case.result["when"]
    store, touchpoint = when.get("store"), when.get("touchpoint")
    if case.no_change or case.touchpoint or not (store or (touchpoint and case.scope.store)):
        return
    if store and store != case.scope.store:
        target = {"store": store, "touchpoint": touchpoint, "term": None}
    elif touchpoint:
        target = {"touchpoint": touchpoint, "term": None}
    else:
        return
    place = investigation.node_label(target.get("store"), target.get("touchpoint"))
    with st.container(horizontal=True, vertical_alignment="center"):
        st.text(display_name(f"The change found is clearest at {place}."))
        drill_button(f"Investigate {escape_markdown(place)}", "root_go_found", **target)


st.title("Root cause")
filters = require_filters()
scope = filters.scope
directory = caching.cached(store_directory).set_index("store_id")
metric, mode = choose_metric_and_mode(filters)
touchpoint, term = drill_from_url(scope)
update_params(metric=metric, mode=mode, touchpoint=touchpoint, term=term)
remember_drill(scope, touchpoint, term)

path = st.container(horizontal=True, vertical_alignment="center", gap="small")  # filled below
with st.spinner("Investigating..."):
    result, no_change = context.explain(metric=metric, mode=mode, period=filters.period, scope=scope)
    if touchpoint and touchpoint not in context.touchpoints_compared(result):
        st.info(f"Store {escape_markdown(scope.store)} has no answers at touchpoint {escape_markdown(touchpoint)} "
                "in both windows compared; showing the whole store.")  # fmt: skip
        touchpoint = None
        update_params(touchpoint=None)
        remember_drill(scope, touchpoint, term)
    case = context.investigate(result, metric=metric, scope=scope, touchpoint=touchpoint, term=term,
                               no_change=no_change, store_name=directory["name"].get(scope.store, ""))  # fmt: skip
with path:
    drill_path(directory, scope=scope, touchpoint=touchpoint, term=term)

introduce(case)
what_happened(case)
if case.comparable:  # otherwise step 1 says why the windows cannot be compared, and nothing is ranked
    when_and_how_long(case)
    where(case, directory)
    who_noticed(case)
    why(case)
    how_customers_reacted(case)
    after_an_action(case, latest=filters.latest)
links.page_link(paths.METHODS, label="How these numbers are computed (Methods)", icon=":material/menu_book:",
                keep_filters=False)  # fmt: skip
