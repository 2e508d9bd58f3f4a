"""Root cause: one change investigated in seven questions, from the brand down to a region, a store, a
touchpoint, a theme word and the comments that use it.

The metric, the mode and the drill path live in the URL (``metric, mode, region, store, touchpoint,
term``; region and store are the sidebar's filters), so a copied link reopens the same step.
"""

import re
from dataclasses import replace

import pandas as pd
import streamlit as st

from cx.analysis import drilldown
from cx.analysis.explain import (
    EXPLAIN_METRICS,
    TOUCHPOINT_METRICS,
    action_effects,
    explain_change,
    feedback_texts,
    record_action,
)
from cx.present import charts
from cx.present import root_cause as investigation
from cx.store.queries import store_directory
from ui import common

STEPS = ("1. What happened", "2. When and for how long", "3. Where", "4. Who noticed", "5. Why",
         "6. How customers reacted", "7. Did it change after an action")  # fmt: skip
COMMENT_HEADERS = {"date": "Date", "source": "Source", "store_id": "Store", "touchpoint": "Given at",
                   "term": "Word", "text": "Comment"}  # fmt: skip
MARKDOWN_SIGNS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def metric_title(metric: str) -> str:
    return charts.METRIC_TITLES.get(metric, metric)


def drill_button(label: str, key: str, **params) -> None:
    """A button that moves the investigation (and the URL) to another level."""
    st.button(label, key=key, on_click=common.update_params, kwargs=params, icon=":material/zoom_in:")


def record(scope_type: str, scope_value: str | None) -> None:
    """Form callback: store the action, then clear the description."""
    try:
        record_action(common.engine(common.database_url()), action_date=st.session_state["root_action_date"],
                      scope_type=scope_type, scope_value=scope_value,
                      description=st.session_state.get("root_action_text") or "")  # fmt: skip
    except ValueError as error:
        st.session_state["root_action_message"] = ("error", str(error))
        return
    st.session_state["root_action_message"] = ("success", "Action recorded: its effect is tested below.")
    st.session_state["root_action_text"] = ""


def show_comments(frame: pd.DataFrame) -> None:
    """Comments in a table that wraps long texts (customers' words shown as typed, not as Markdown)."""
    columns = [c for c in COMMENT_HEADERS if c in frame]
    shown = frame[columns].fillna("").astype(str)
    shown["date"] = shown["date"].str.slice(0, 10)
    shown["text"] = shown["text"].str.replace(MARKDOWN_SIGNS, r"\\\1", regex=True)
    st.table(shown.rename(columns=COMMENT_HEADERS), hide_index=True, border="horizontal",
             height=420 if len(shown) > 10 else "content")  # fmt: skip


st.title("Root cause")
filters = common.require_filters()
directory = common.cached(store_directory).set_index("store_id")
params = st.query_params

left, right = st.columns([1, 2])
common.seed("root_metric", list(EXPLAIN_METRICS), params.get("metric"), "nps")
metric = left.selectbox("Metric", EXPLAIN_METRICS, format_func=metric_title, key="root_metric")
modes = {"latest": "the latest change found", "period": f"the sidebar period ({filters.period.label()})"}
common.seed("root_mode", list(modes), params.get("mode"), "latest")
mode = right.radio("Explain", list(modes), format_func=modes.get, horizontal=True, key="root_mode")

scope = filters.scope
touchpoint = (params.get("touchpoint") or None) if scope.store else None
term = params.get("term") or None
here = (scope.region, scope.store)
last = st.session_state.get("root_cause_at")
if last and last[0] != here and last[1] == (touchpoint, term):  # the sidebar moved: start again there
    touchpoint = term = None
common.update_params(metric=metric, mode=mode, touchpoint=touchpoint, term=term)
st.session_state["root_cause_at"] = (here, (touchpoint, term))

path = st.container(horizontal=True, vertical_alignment="center", gap="small")  # filled below

with st.spinner("Investigating..."):
    result = common.cached(explain_change, metric=metric, scope=scope,
                           period=None if mode == "latest" else filters.period)  # fmt: skip
    no_change = mode == "latest" and result["when"]["start"] is None
    if no_change:
        result = common.cached(explain_change, metric=metric, scope=scope, period=filters.period)
    before, after = drilldown.windows(result)
    known = {row["touchpoint"] for rows in (result["touchpoints"], result["where"]) for row in rows}
    if touchpoint and touchpoint not in known:
        st.info(f"Store {scope.store} has no answers at touchpoint {touchpoint} in both windows compared; "
                "showing the whole store.")  # fmt: skip
        touchpoint = None
        common.update_params(touchpoint=None)
        st.session_state["root_cause_at"] = (here, (touchpoint, term))
    view, view_metric, view_scope = result, metric, scope
    if touchpoint:  # the touchpoint's own series, in the same windows as its store
        view_metric = metric if metric in TOUCHPOINT_METRICS else "nps"
        view_scope = replace(scope, touchpoint=touchpoint)
        view = common.cached(explain_change, metric=view_metric, scope=view_scope, period=after)

brands = directory["brand"].dropna().unique()
store_region = directory["region"].get(scope.store) if scope.store else None
crumbs = drilldown.drill_path(brand=brands[0] if len(brands) == 1 else "All brands",
                                  region=scope.region or store_region, store=scope.store, touchpoint=touchpoint,
                                  term=term)  # fmt: skip
with path:
    for number, crumb in enumerate(crumbs):
        if number:
            st.markdown("›", width="content")
        if crumb.current:
            st.markdown(f"**{crumb.label}**", width="content")
        else:
            st.button(crumb.label, key=f"root_crumb_{number}", type="tertiary", on_click=common.update_params,
                      kwargs=crumb.params, help="Go back up to this level")  # fmt: skip

# Not cached: recording an action does not change the data version the cache is keyed on.
effects = action_effects(common.engine(common.database_url()), metric=view_metric, scope=view_scope)

if scope.store:
    place = f"store {scope.store} · {directory['name'].get(scope.store, '')}"
    where_text = f"At {scope.store}'s {touchpoint} touchpoint" if touchpoint else f"At store {scope.store}"
elif scope.region:
    place, where_text = f"region {scope.region}", f"In region {scope.region}"
else:
    place, where_text = "the whole brand", "Across the brand"
if scope.format:
    place += f" ({scope.format} stores)"
scope_name = result["scope"] if result["scope"] != "whole brand" else "the whole brand"
brand_level = investigation.whole_brand(scope)
st.caption(f"Investigating {metric_title(view_metric)} for {place}"
           + (f", touchpoint {touchpoint}" if touchpoint else "")
           + f": {after.label()} ({after.days} days) compared with {before.label()} ({before.days} days).")  # fmt: skip
if touchpoint and view_metric != metric:
    st.info(f"Reviews and sales carry no touchpoint, so {touchpoint} is measured in NPS.")
if no_change:
    st.info(f"No change stands out in the {metric_title(metric)} series of {place}. The steps below compare "
            f"the sidebar period ({after.label()}) with the period before it.")  # fmt: skip
small = investigation.too_few_answers(view_metric, view["what"])
too_small = (
    f"The sample is too small to tell a change from noise: {view['what']['n_before'] or 0:,.0f} answers before "
    f"and {view['what']['n_after'] or 0:,.0f} after (at least {investigation.MIN_ANSWERS} in each are needed). "
    "Widen the period or look at the region instead."
)

# --- 1. What happened ------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[0])
    st.markdown(investigation.what_sentence(view_metric, view["what"], where=where_text))
    timeline = view["timeline"]
    if small:
        st.warning(too_small)
    elif timeline.empty:
        st.info("There is no weekly series to draw for this selection.")
    else:
        shaded = pd.DataFrame({"window": ["before", "after"],
                               "start": pd.to_datetime([before.start, after.start]),
                               "end": pd.to_datetime([before.end, after.end]) + pd.Timedelta(days=1),
                               "dates": [before.label(), after.label()]})  # fmt: skip
        marks = pd.DataFrame(effects, columns=["date", "description"])
        series, grain = common.cached(drilldown.readable_timeline, metric=view_metric, scope=view_scope,
                                      weekly=timeline)  # fmt: skip
        chart = charts.timeline_chart(series, metric=view_metric, windows=shaded, actions=marks, grain=grain,
                                      n_title="Sales days" if view_metric == "revenue" else "Answers (n)")  # fmt: skip
        st.altair_chart(chart, width="stretch", key="root_timeline")
        st.caption(investigation.timeline_caption(view_metric, grain))
    changed = pd.DataFrame(view["what"].get("changed") or [])
    parts = "touchpoints" if scope.store else "stores"
    if changed.empty:
        st.caption(f"No single one of its {parts} changed significantly (Benjamini-Hochberg q < 0.05 across "
                   f"the {parts}, or an EWMA chart signal with limits set for their number).")  # fmt: skip
    else:
        st.markdown(f"**{len(changed)} of its {parts} changed significantly** on their own:")
        changed = changed.assign(
            p_value=investigation.p_column(changed["p_value"]),
            q_value=investigation.p_column(changed["q_value"]),
        )
        st.dataframe(changed[["key", "delta", "p_value", "q_value", "signal", "n_before", "n_after"]], hide_index=True,
                     column_config=common.change_columns(
                         key=parts.capitalize()[:-1],
                         signal=st.column_config.TextColumn("EWMA signal from", help="First month outside the chart's limits")))  # fmt: skip
        st.caption("Listed when the before/after test survives Benjamini-Hochberg control across the "
                   f"{parts} (q < 0.05) or the monthly EWMA chart, relative to the brand and with limits "
                   f"widened for the number of {parts}, signals after the change.")  # fmt: skip

# --- 2. When and for how long ----------------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[1])
    when = view["when"]
    st.markdown(investigation.when_sentence(when))
    if when["start"] and not small:
        a, b, c, d = st.columns(4)
        a.metric("Began", when["start"])
        b.metric("Ended", "still going on" if when["ongoing"] else str(when["end"]))
        c.metric("Duration", f"{when['duration_days']} days")
        d.metric("p (adjusted)", investigation.format_p(when["p_value"]).removeprefix("p = ").removeprefix("p "),
                 help="Permutation test of the shift (the months shuffled), Bonferroni-adjusted for the number "
                      "of candidate series searched.")  # fmt: skip
        st.caption(investigation.search_note(view_metric, scope=view_scope, series=when["series"]))

# --- 3. Where --------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[2])
    last = max((node["rank"] for node in result["where"]), default=0)  # regions ranked among the nodes shown
    joint = sorted(result["where"] + [r for r in result.get("regions", []) if r["rank"] <= last],
                   key=lambda node: node["rank"])  # fmt: skip
    nodes = investigation.node_frame(joint, metric=metric, by_touchpoint=scope.store is not None)
    nodes = investigation.display_order(nodes)
    if small:
        st.info("Too few answers to rank anything below this level (see step 1).")
    elif nodes.empty:
        below = (
            "touchpoints: sales carry none" if scope.store and metric == "revenue" else "nodes with answers"
        )
        st.info(f"Nothing to rank below {scope_name} ({below}).")
    else:
        st.markdown(investigation.where_sentence(metric, nodes, scope_name=scope_name))
        measure = "z" if nodes["z"].notna().any() else "contribution"
        event = st.altair_chart(charts.deviation_chart(nodes, measure=measure, metric=metric), width="stretch",
                                on_select="rerun", key="root_where_chart")  # fmt: skip
        st.caption(investigation.where_caption(metric, result["what"], scope_name=scope_name,
                                               store=scope.store is not None))  # fmt: skip
        with st.expander("Table: change, p, contribution, z and n of each node"):
            shown = nodes.drop(columns=["region", "store_id", "touchpoint", "before"])
            shown = shown.assign(
                p_value=investigation.p_column(shown["p_value"]),
                q_value=investigation.p_column(shown["q_value"]),
            )
            st.dataframe(shown, hide_index=True, column_config={
                "label": "Where", "measured": "Measured in",
                "delta": st.column_config.NumberColumn("Change", format="%+.2f"),
                "p_value": st.column_config.TextColumn("p"),
                "contribution": st.column_config.NumberColumn("Contribution", format="%+.2f",
                                                              help="Share of the scope's change (Kitagawa decomposition)"),
                "z": st.column_config.NumberColumn("z", format="%+.2f"),
                "q_value": st.column_config.TextColumn("q (FDR)", help="p of z, Benjamini-Hochberg adjusted across all nodes"),
                "n_before": st.column_config.NumberColumn("n before", format="%d"),
                "n_after": st.column_config.NumberColumn("n after", format="%d"),
                "share_before": st.column_config.NumberColumn("Share before (%)", format="%.1f",
                                                              help="The touchpoint's share of its group's answers"),
                "share_after": st.column_config.NumberColumn("Share after (%)", format="%.1f"),
                "verdict": "Verdict",
            })  # fmt: skip
        common.download_button(nodes, label="Download the ranking", file_name=f"where_{metric}.csv",
                               key="root_where_csv")  # fmt: skip
        clicked = [p["label"] for p in event.selection.get("node", [])] if event and event.selection else []
        labels = list(nodes["label"])
        if clicked and clicked[0] in labels:
            picked = clicked[0]
            st.caption(f"Picked in the chart: {picked} (double-click the chart to clear).")
        else:
            picked = st.selectbox("Look closer at", labels, key="root_where_pick")
        node = nodes.loc[nodes["label"] == picked].iloc[0]
        with st.container(horizontal=True):
            if scope.store is None:
                node_store = node["store_id"] if isinstance(node["store_id"], str) else None
                node_touchpoint = node["touchpoint"] if isinstance(node["touchpoint"], str) else None
                region = directory["region"].get(node_store) if node_store else node["region"]
                if scope.region is None and isinstance(region, str):
                    drill_button(f"Investigate region {region}", "root_go_region", region=region, store=None,
                                 touchpoint=None, term=None)  # fmt: skip
                if node_store:
                    drill_button(f"Investigate store {node_store}", "root_go_store", store=node_store,
                                 touchpoint=None, term=None)  # fmt: skip
                if node_store and node_touchpoint:
                    drill_button(f"Investigate {node_store} › {node_touchpoint}", "root_go_cell", store=node_store,
                                 touchpoint=node_touchpoint, term=None)  # fmt: skip
            elif picked != touchpoint:
                drill_button(
                    f"Investigate touchpoint {picked}", "root_go_touchpoint", touchpoint=picked, term=None
                )

# --- 4. Who noticed --------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[3])
    sources = dict(view["sources"])
    store_wide = [key for key, change in sources.items() if change is None and result["sources"].get(key)]
    if touchpoint:  # reviews and sales carry no touchpoint: show the store's
        sources.update({key: result["sources"][key] for key in store_wide})
    agreement = investigation.source_agreement(sources, view_metric)
    if touchpoint:
        agreement.loc[agreement["source"].isin(store_wide), "name"] += f" (all of {scope.store})"
    st.markdown(investigation.sources_sentence(agreement, view_metric))
    st.dataframe(agreement[["name", "change", "p", "verdict"]], hide_index=True,
                 column_config={"name": "Source", "change": "Change", "p": "p", "verdict": "Agrees?"})  # fmt: skip
    st.caption("A source agrees when it moved in the same direction with p < 0.05, over the same two windows. "
               "Changes: NPS points (pts), top-2-box percentage points (pp), stars, sales in percent (no "
               "sampling test).")  # fmt: skip

# --- 5. Why ----------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[4])
    measured = metric if metric in TOUCHPOINT_METRICS else "nps"
    touchpoints = investigation.node_frame(result["touchpoints"], metric=measured, by_touchpoint=True)
    if small:
        st.info("Too few answers to compare touchpoints (see step 1).")
    elif touchpoints.empty:
        st.info("No answers carry a touchpoint in both windows.")
    else:
        st.markdown(investigation.touchpoints_sentence(metric, touchpoints, whole_brand=brand_level))
        st.altair_chart(charts.deviation_chart(touchpoints, measure="z", metric=measured), width="stretch",
                        key="root_why_chart")  # fmt: skip
        st.caption(investigation.touchpoints_caption(measured, result["sources"].get(measured), scope_name=scope_name,
                                                     brand=brand_level))  # fmt: skip
        if scope.store:
            names = list(touchpoints["label"])
            with st.container(horizontal=True, vertical_alignment="bottom"):
                chosen = st.selectbox("Switch to touchpoint" if touchpoint else "Look at touchpoint", names,
                                      key="root_touchpoint_pick",
                                      index=names.index(touchpoint) if touchpoint in names else 0)  # fmt: skip
                if chosen != touchpoint:
                    drill_button(f"Investigate touchpoint {chosen}", "root_go_touchpoint_why", touchpoint=chosen,
                                 term=None)  # fmt: skip
        else:
            st.caption("Pick a store in step 3 to look at one of its touchpoints.")

    if touchpoint and not small:
        share = common.cached(drilldown.complaint_share, metric=metric, scope=scope, touchpoint=touchpoint,
                              after=after, before=before)  # fmt: skip
        st.markdown(investigation.complaint_sentence(share, where=scope.store))
        st.dataframe(pd.DataFrame([
            {"window": f"before ({before.label()})", "complaints": share["k_before"], "all": share["m_before"],
             "share": share["share_before"]},
            {"window": f"after ({after.label()})", "complaints": share["k_after"], "all": share["m_after"],
             "share": share["share_after"]},
        ]), hide_index=True, column_config={
            "window": "Window", "complaints": st.column_config.NumberColumn(f"At {touchpoint}", format="%d"),
            "all": st.column_config.NumberColumn(f"All of {scope.store}", format="%d"),
            "share": st.column_config.NumberColumn("Share (%)", format="%.1f"),
        })  # fmt: skip
        if share["delta"] is not None:
            st.caption(f"Change of the share {share['delta']:+.1f} percentage points, 95 % interval "
                       f"{share['low']:+.1f} to {share['high']:+.1f} ({investigation.format_p(share['p_value'])}, "
                       "two-proportion test). Complaints: " + share["complaint"] + ".")  # fmt: skip

    attributes = pd.DataFrame(result.get("attributes") or [])
    if not attributes.empty:
        moved = attributes.loc[attributes["q_value"] < 0.05, "attribute"].str.replace("_", " ")
        st.markdown("**Survey attributes.** " + (
            f"Changed significantly (q < 0.05): {', '.join(moved)}." if len(moved)
            else "No survey attribute changed significantly (q < 0.05)."))  # fmt: skip
        attributes = attributes.assign(
            p_value=investigation.p_column(attributes["p_value"]),
            q_value=investigation.p_column(attributes["q_value"]),
        )
        st.dataframe(attributes[["attribute", "before", "after", "delta", "low", "high", "p_value", "q_value", "z",
                                 "n_before", "n_after"]], hide_index=True, column_config=common.change_columns(
            attribute="Attribute", p_value=st.column_config.TextColumn("p (Welch)"),
            z=st.column_config.NumberColumn("z vs brand", format="%+.1f",
                                            help="(change − the same attribute's change across the brand) / SE")))  # fmt: skip

    terms = pd.DataFrame(result["themes"], columns=["term", "z", "count"])
    st.markdown("**Themes.** " + investigation.themes_sentence(result["themes"]))
    if not terms.empty:
        table_column, pick_column = st.columns([3, 2])
        table_column.dataframe(terms, hide_index=True, column_config={
            "term": "Word", "z": st.column_config.NumberColumn("Log-odds z", format="%.1f",
                                                               help="How much more the window's comments use the word than the comparison comments"),
            "count": st.column_config.NumberColumn("Uses in the window", format="%d"),
        })  # fmt: skip
        with pick_column:
            words = list(terms["term"])
            word = st.selectbox("Read the comments that use", words, key="root_term_pick",
                                index=words.index(term) if term in words else 0)  # fmt: skip
            if word != term:
                drill_button(f"Read the comments with “{word}”", "root_go_term", term=word)
            st.caption("Words ranked by the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi "
                       "& Quinn 2008) against the comments before the change"
                       + (" and the rest of the brand in the same weeks." if scope.store or scope.region else "."))  # fmt: skip

    if touchpoint:
        texts = common.cached(drilldown.touchpoint_comments, scope=scope, touchpoint=touchpoint, period=after)
        about = f"given at {touchpoint} or naming it"
    else:
        texts = common.cached(feedback_texts, scope=scope, period=after)
        about = f"from {place}"
    if term:
        hits = drilldown.comments_with_term(texts, term)
        st.markdown(f"**{len(hits):,} of {len(texts):,} comments** {about} in {after.label()} use “{term}”.")
        if hits.empty:
            st.info(f"No comment in this slice uses “{term}”. Go back up with the path at the top.")
        else:
            show_comments(hits)
            common.download_button(hits, label="Download these comments", file_name=f"comments_{term}.csv",
                                   key="root_term_csv")  # fmt: skip
    elif touchpoint:
        st.markdown(f"**{len(texts):,} comments** {about} in {after.label()}, newest first.")
        show_comments(texts)
        common.download_button(texts, label="Download these comments", file_name=f"comments_{touchpoint}.csv",
                               key="root_touchpoint_csv")  # fmt: skip
    elif result["verbatims"]:
        st.markdown("**What customers wrote** (recent comments using the top words):")
        show_comments(pd.DataFrame(result["verbatims"]))

# --- 6. How customers reacted ----------------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[5])
    reaction = result["reaction"]
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
    st.caption(f"{after.label()} against {before.label()}. Review rating: Welch test, "
               f"{investigation.format_p(reaction['rating_p_value'])}; sales carry no sampling test."
               + (f" Reviews and sales carry no touchpoint: these are store {scope.store}'s." if touchpoint else ""))  # fmt: skip

# --- 7. Did it change after an action --------------------------------------------------------------
with st.container(border=True):
    st.subheader(STEPS[6])
    scope_type, scope_value = (("store", scope.store) if scope.store else ("region", scope.region) if scope.region
                               else ("brand", None))  # fmt: skip
    for_whom = f"{scope_type} {scope_value}" if scope_value else "the whole brand"
    if not effects:
        st.info(f"No action is recorded for {for_whom} yet. Record one below to test its effect.")
    else:
        for effect in reversed(effects):
            st.markdown("- " + investigation.action_sentence(view_metric, effect))
        table = pd.DataFrame(effects)
        table = table.assign(p_value=investigation.p_column(table["p_value"]))
        st.dataframe(table[["date", "description", "before", "after", "delta", "low", "high", "p_value", "n_before",
                            "n_after"]], hide_index=True,
                     column_config=common.change_columns(date="Date", description="Action"))  # fmt: skip
        st.caption(f"{metric_title(view_metric)} in the 56 days before and after each action"
                   + (f" (at {touchpoint})" if touchpoint else "") + ".")  # fmt: skip
    message = st.session_state.pop("root_action_message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(message[1])
    with st.form("root_action_form"):
        st.markdown(f"**Record an action** for {for_whom}")
        when_done, what_done = st.columns([1, 3])
        when_done.date_input("Date", value=filters.latest, key="root_action_date")
        what_done.text_input("What was done", key="root_action_text",
                             placeholder="e.g. new delivery partner; retrained the checkout staff")  # fmt: skip
        st.form_submit_button("Record action", on_click=record, kwargs={"scope_type": scope_type,
                              "scope_value": scope_value}, icon=":material/add_task:")  # fmt: skip

st.page_link("ui/methods.py", label="How these numbers are computed (Methods)", icon=":material/menu_book:")
