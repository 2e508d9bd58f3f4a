"""Compare locations: league table, funnel plot, peer groups and stores side by side."""

import streamlit as st

from cx.analysis.locations import funnel_curve, league_table, peer_scope
from cx.analysis.sales import cx_sales_association
from cx.metrics.registry import COMPARABLE, METRICS, label, side_by_side_rows
from cx.metrics.tables import metric_table
from cx.present import charts
from cx.present import root_cause as investigation
from cx.store.queries import store_directory
from cx.store.scope import Scope
from ui.shared import caching, links, paths, tables
from ui.shared.filters import period_caption, require_filters

st.title("Compare locations")
filters = require_filters()
period_caption(filters)
directory = caching.cached(store_directory).set_index("store_id")

left, right = st.columns([1, 2])
metric = left.selectbox("Metric", COMPARABLE, format_func=label, key="compare_metric")
peer = right.radio("Compare with", ["all stores in the filter", "same format", "same region"], horizontal=True,
                   key="compare_peer")  # fmt: skip
scope = filters.scope
if peer != "all stores in the filter":
    anchor = st.selectbox("Peers of store", list(directory.index), key="compare_anchor",
                          format_func=lambda s: f"{s} · {directory.loc[s, 'name']}")  # fmt: skip
    scope = caching.cached(peer_scope, store_id=anchor, by="format" if peer == "same format" else "region",
                           scope=Scope(region=filters.scope.region))  # fmt: skip

table, funnel = caching.cached(league_table, metric=metric, scope=scope, period=filters.period)
if table.empty:
    st.info("No store has answers for this metric in this selection and period.")
    st.stop()
table = table.assign(name=table["store"].map(directory["name"]))
table["interval"] = table.apply(lambda r: f"{r['low']:.1f} to {r['high']:.1f}", axis=1)
table["rank_range"] = table.apply(lambda r: f"{r['rank_low']:.0f}-{r['rank_high']:.0f}", axis=1)
small = int((table["n"] < 30).sum())
st.caption(
    f"{len(table)} stores · brand {label(metric)} {funnel['target']:.2f} · limits in force: "
    f"{funnel['limits']} (over-dispersion φ = {funnel['phi']:.2f})"
    + (f" · {small} stores have fewer than 30 answers: read their rank ranges" if small else "")
)

st.subheader("Funnel plot")
curve = funnel_curve(funnel, funnel["unit_variance"], float(table["n"].max()))
event = st.altair_chart(charts.funnel_chart(table, curve, metric=metric, target=funnel["target"]),
                        width="stretch", on_select="rerun", key="compare_funnel")  # fmt: skip
st.caption("Stores outside the dashed limits differ from the brand by more than chance at 95 % / 99.8 %; "
           "colour shows the verdict after Benjamini-Hochberg control across all stores. Click a store.")  # fmt: skip
clicked = [p["store"] for p in event.selection.get("store", [])] if event and event.selection else []
investigated = METRICS[metric].root_cause
if clicked:
    with st.container(horizontal=True):
        for store in clicked[:4]:
            links.investigate_link(f"Investigate {store}", store=store, metric=investigated)

st.subheader("League table")
shown = table.loc[table["store"].isin(clicked)] if clicked else table
st.dataframe(
    shown[["rank", "store", "name", "region", "format", "value", "interval", "n", "shrunk", "rank_range", "verdict",
           "funnel_95", "funnel_998"]],
    hide_index=True,
    column_config={
        "rank": st.column_config.NumberColumn("Rank", format="%.0f"),
        "store": "Store", "name": "Name", "region": "Region", "format": "Format",
        "value": st.column_config.NumberColumn(label(metric), format="%.2f"),
        "interval": "95 % interval",
        "n": st.column_config.NumberColumn("n", format="%d"),
        "shrunk": st.column_config.NumberColumn("Shrunk", format="%.2f", help="Pulled toward the brand by how little data the store has"),
        "rank_range": st.column_config.TextColumn("Rank range (95 %)"),
        "verdict": st.column_config.TextColumn("vs brand (FDR)"),
        "funnel_95": "Funnel 95 %", "funnel_998": "Funnel 99.8 %",
    },
)  # fmt: skip
tables.download_button(table.drop(columns=["interval", "rank_range"]), label="Download league table",
                       file_name=f"league_{metric}.csv", key="compare_league_csv")  # fmt: skip

st.subheader("Side by side")
default = clicked[:4] or list(table["store"].head(2))
chosen = st.multiselect("Stores (2-4)", list(table["store"]), default=default, max_selections=4,
                        format_func=lambda s: f"{s} · {directory.loc[s, 'name']}", key="compare_side")  # fmt: skip
if len(chosen) < 2:
    st.info("Pick at least two stores to see them side by side.")
else:
    metrics = caching.cached(metric_table, scope=filters.scope, period=filters.period, by=("store",))
    rows = metrics.loc[metrics["store"].isin(chosen)].set_index("store")
    labels = side_by_side_rows()
    st.dataframe(
        rows[list(labels)].T.rename(index=labels).rename_axis("metric"),
        column_config={s: st.column_config.NumberColumn(s, format="%.2f") for s in chosen},
    )
    touch = caching.cached(
        metric_table, scope=filters.scope, period=filters.period, by=("store", "touchpoint")
    )
    touch = touch.loc[touch["store"].isin(chosen) & touch["touchpoint"].notna()]
    pivot = touch.pivot_table(index="touchpoint", columns="store", values="nps")
    st.caption("NPS by touchpoint")
    st.dataframe(
        pivot, column_config={s: st.column_config.NumberColumn(s, format="%+.1f") for s in pivot.columns}
    )
    for store in chosen:
        with st.container(horizontal=True):
            links.page_link(paths.SUMMARY, label=f"Open {store} · {directory.loc[store, 'name']}",
                            icon=":material/storefront:", store=store)  # fmt: skip
            links.investigate_link(f"Investigate {store}", store=store, metric=investigated)

st.subheader("CX and sales")
association = caching.cached(cx_sales_association, scope=filters.scope, period=filters.period, metric=metric,
                             compare=filters.compare)  # fmt: skip
st.markdown(investigation.association_sentence(association))
if len(association["points"]) >= 4:
    st.altair_chart(charts.association_chart(association["points"], metric=metric), width="stretch")
    st.caption("One dot per like-for-like store (trading on comparable days in both periods); dashed: least-squares "
               "line. Pearson r with its Fisher-z 95 % interval. Stores that changed more need not have changed "
               "because of it.")  # fmt: skip
