"""Compare locations: league table, funnel plot, peer groups and stores side by side."""

import streamlit as st

from cx.analysis.executive import brand_benchmark
from cx.analysis.locations import (
    funnel_curve,
    league_order,
    league_table,
    peer_scope,
    side_by_side,
    touchpoint_side_by_side,
)
from cx.analysis.sales import cx_sales_association
from cx.metrics.registry import COMPARABLE, METRICS, label
from cx.metrics.tables import metric_table
from cx.present import charts
from cx.present import root_cause as investigation
from cx.present.benchmark import benchmark_sentence
from cx.present.markup import display_name, escape_markdown
from cx.store.queries import store_directory
from cx.store.scope import Scope
from ui.shared import caching, links, paths, tables
from ui.shared.filters import period_caption, require_filters
from ui.shared.places import count_phrase

ORDERS = {"worst": "Worst first", "best": "Best first"}
SIDE = "compare_side"  # the side-by-side widget
SIDE_KEPT = (
    "compare_side_kept"  # session state: the stores side by side, kept apart from the widget's options
)
SIDE_CLICKED = "compare_side_clicked"  # session state: the funnel clicks the side by side last followed
SMALL_N = 30


def funnel_clicks() -> list[str]:
    """The stores clicked on the funnel plot (its selection state, known before it is drawn again)."""
    event = st.session_state.get("compare_funnel")
    selection = event.get("selection", {}) if event else {}
    return [point["store"] for point in selection.get("store", [])]


def keep_side() -> None:
    st.session_state[SIDE_KEPT] = list(st.session_state[SIDE])


def seed_side(options: list[str], clicked: list[str], default: list[str]) -> None:
    """Start the side-by-side widget at the kept stores that are still among ``options`` (a store that
    left the scope is dropped, the others stay whatever the filters did); new clicks on the funnel
    replace them; ``default`` the first time."""
    kept = st.session_state.get(SIDE_KEPT)
    if clicked and clicked != st.session_state.get(SIDE_CLICKED):
        kept = clicked[:4]
    st.session_state[SIDE_CLICKED] = clicked
    kept = [store for store in (default if kept is None else kept) if store in options]
    st.session_state[SIDE_KEPT] = st.session_state[SIDE] = kept


st.title("Compare locations")
filters = require_filters()
period_caption(filters)
directory = caching.cached(store_directory).set_index("store_id")


def place(store: str) -> str:
    """``ST007 · City Centre`` as plain text."""
    return display_name(f"{store} · {directory.loc[store, 'name']}" if store in directory.index else store)


left, middle, right = st.columns([1, 2, 1])
metric = left.selectbox("Metric", COMPARABLE, format_func=label, key="compare_metric")
peer = middle.radio("Compare with", ["all stores in the filter", "same format", "same region"], horizontal=True,
                    key="compare_peer")  # fmt: skip
order = right.radio("Order", list(ORDERS), format_func=ORDERS.get, horizontal=True, key="compare_order")
scope = filters.scope
if peer != "all stores in the filter":
    anchor = st.selectbox("Peers of store", list(directory.index), key="compare_anchor", format_func=place)
    scope = caching.cached(peer_scope, store_id=anchor, by="format" if peer == "same format" else "region",
                           scope=Scope(region=filters.scope.region))  # fmt: skip

table, funnel = caching.cached(league_table, metric=metric, scope=scope, period=filters.period)
if table.empty:
    st.info("No store has answers for this metric in this selection and period.")
    st.stop()
spec = METRICS[metric]
number = f"%.{spec.decimals}f"
table = table.assign(name=table["store"].map(directory["name"]))
table["interval"] = [
    f"{number % low} to {number % high}" for low, high in zip(table["low"], table["high"], strict=True)
]
table["rank_range"] = [
    f"{low:.0f} to {high:.0f}" for low, high in zip(table["rank_low"], table["rank_high"], strict=True)
]
small = int((table["n"] < SMALL_N).sum())
overall = "your stores'" if caching.viewer().confined else "brand"
st.caption(
    f"{count_phrase(len(table), 'store')} · {overall} {spec.short_label} {spec.format_level(funnel['target'])} · "
    f"limits in force: {funnel['limits']} (over-dispersion φ = {funnel['phi']:.2f})"
    + (f" · {count_phrase(small, 'store')} {'has' if small == 1 else 'have'} fewer than {SMALL_N} "
       f"{spec.n_unit}: read {'its rank range' if small == 1 else 'their rank ranges'}" if small else "")
)  # fmt: skip

if caching.viewer().confined:
    benchmark = caching.cached(brand_benchmark, period=filters.period)
    row = benchmark.set_index("metric").loc[metric] if metric in set(benchmark["metric"]) else None
    if row is not None and row["stores"]:
        st.caption(f"Brand benchmark, all {row['stores']:,} stores: {benchmark_sentence(row)}")

clicked = funnel_clicks()
st.subheader("League table")
shown = league_order(
    table.loc[table["store"].isin(clicked)] if clicked else table, worst_first=order == "worst"
)
st.dataframe(
    shown.assign(place=shown["store"].map(place))[["rank", "place", "region", "format", "value", "interval", "n",
                                                  "shrunk", "rank_range", "verdict", "funnel_95", "funnel_998"]],
    hide_index=True,
    height=318,
    column_config={
        "rank": st.column_config.NumberColumn("Rank", format="%d", help="1 = best", width=45),
        "place": st.column_config.TextColumn("Store", width=185), "region": "Region",
        "format": st.column_config.TextColumn("Format", width=65),
        "value": st.column_config.NumberColumn(label(metric), format=number, width=60),
        "interval": st.column_config.TextColumn("95 % interval", width=95),
        "n": st.column_config.NumberColumn("n", format="%d", help=f"Number of {spec.n_unit}", width=50),
        "shrunk": st.column_config.NumberColumn("Shrunk", format=number, width=60,
                                                help="Pulled toward the brand by how little data the store has"),
        "rank_range": st.column_config.TextColumn("Rank range", help="95 % interval of the rank", width=80),
        "verdict": st.column_config.TextColumn("vs brand", help="Above, within or below the brand after "
                                               "Benjamini-Hochberg control (FDR 5 %)", width=70),
        "funnel_95": st.column_config.TextColumn("Funnel 95 %", width=85),
        "funnel_998": st.column_config.TextColumn("Funnel 99.8 %", width=95),
    },
)  # fmt: skip
if clicked:
    st.caption(f"Showing the {count_phrase(len(shown), 'store')} picked on the funnel plot; double-click the "
               "plot to show every store.")  # fmt: skip
tables.download_button(table.drop(columns=["interval", "rank_range"]), label="Download league table",
                       file_name=f"league_{metric}.csv", key="compare_league_csv")  # fmt: skip

st.subheader("Funnel plot")
curve = funnel_curve(funnel, funnel["unit_variance"], float(table["n"].max()))
st.altair_chart(charts.funnel_chart(table, curve, metric=metric, target=funnel["target"]),
                width="stretch", on_select="rerun", key="compare_funnel")  # fmt: skip
st.caption("Stores outside the dashed limits differ from the brand by more than chance at 95 % / 99.8 %; "
           "colour shows the verdict after Benjamini-Hochberg control across all stores. Click a store.")  # fmt: skip
investigated = METRICS[metric].root_cause
if clicked:
    with st.container(horizontal=True):
        for store in clicked[:4]:
            links.investigate_link(f"Investigate {escape_markdown(store)}", store=store, metric=investigated)

st.subheader("Side by side")
seed_side(list(table["store"]), clicked, list(shown["store"].head(2)))
chosen = st.multiselect("Stores (2-4)", list(table["store"]), max_selections=4, format_func=place, key=SIDE,
                        on_change=keep_side)  # fmt: skip
if len(chosen) < 2:
    st.info("Pick at least two stores to see them side by side.")
else:
    headers = {store: st.column_config.TextColumn(place(store)) for store in chosen}
    metrics = caching.cached(metric_table, scope=filters.scope, period=filters.period, by=("store",))
    frame = side_by_side(metrics, chosen)
    st.dataframe(frame, column_config=headers, height=tables.full_height(len(frame)))
    st.caption("Each score with its 95 % interval; n: answers (reviews for the review rating).")
    touch = caching.cached(
        metric_table, scope=filters.scope, period=filters.period, by=("store", "touchpoint")
    )
    st.caption("NPS by touchpoint, with its n")
    frame = touchpoint_side_by_side(touch, chosen)
    st.dataframe(frame, column_config=headers, height=tables.full_height(len(frame)))
    for store in chosen:
        with st.container(horizontal=True):
            links.page_link(
                paths.SUMMARY,
                label=f"Open {escape_markdown(place(store))}",
                icon=":material/storefront:",
                store=store,
            )
            links.investigate_link(f"Investigate {escape_markdown(store)}", store=store, metric=investigated)

st.subheader("CX and sales")
association = caching.cached(cx_sales_association, scope=filters.scope, period=filters.period, metric=metric,
                             compare=filters.compare)  # fmt: skip
st.markdown(investigation.association_sentence(association))
if len(association["points"]) >= 4:
    st.altair_chart(charts.association_chart(association["points"], metric=metric), width="stretch")
    st.caption("One dot per like-for-like store (trading on comparable days in both periods); dashed: least-squares "
               "line. Pearson r with its Fisher-z 95 % interval. Stores that changed more need not have changed "
               "because of it.")  # fmt: skip
