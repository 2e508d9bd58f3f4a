"""Executive summary: where the brand stands, what moved, what to act on."""

import math

import streamlit as st

from cx.analysis import executive
from cx.analysis.consistency import consistency
from cx.analysis.goals import STATUSES, goal_progress
from cx.present import charts
from ui import common

st.title("Executive summary")
filters = common.require_filters()
common.period_caption(filters)
links = common.filter_params()

tiles = common.cached(
    executive.kpi_tiles, scope=filters.scope, period=filters.period, compare=filters.compare
)
columns = st.columns(len(tiles))
for column, tile in zip(columns, tiles, strict=True):
    with column, st.container(border=True):
        if math.isnan(tile["value"]):
            st.metric(tile["label"], "no data")
            st.caption("No answers in this period for this selection.")
            continue
        delta = None
        if tile["significant"]:
            delta = tile["format"].format(tile["delta"]).replace(" ★", "").replace(" %", " pts")
        elif tile["metric"] == "revenue" and not math.isnan(tile["delta_pct"]):
            delta = f"{tile['delta_pct']:+.1f} %"
        st.metric(tile["label"], tile["format"].format(tile["value"]), delta=delta,
                  delta_color="normal" if delta else "off")  # fmt: skip
        if tile["metric"] == "revenue":
            st.caption(f"{tile['delta_pct']:+.1f} % vs comparison period (no sampling test for sales)")
        else:
            interval = (
                f"95 % CI {tile['format'].format(tile['low'])} to {tile['format'].format(tile['high'])}"
            )
            change = (
                f"change {tile['delta']:+.2f}, p = {tile['p_value']:.3f}"
                if not math.isnan(tile["p_value"])
                else "no comparison data"
            )
            badge = "significant" if tile["significant"] else "not significant"
            st.caption(f"n = {tile['n']:,.0f} {tile['unit']} · {interval} · {change} ({badge})")
        common.investigate_link("Why?", metric=tile["metric"], mode="period",
                                help=f"Investigate what moved {tile['label']} in this period")  # fmt: skip

st.subheader("Trends")
trend_period = executive.trend_window(filters.period)
left, right = st.columns(2)
for column, metric in ((left, "nps"), (right, "csat_top2")):
    trend = common.cached(executive.metric_trend, metric=metric, scope=filters.scope, period=trend_period)
    with column:
        if trend.empty:
            st.info(f"No {charts.METRIC_TITLES[metric]} answers in {trend_period.label()}.")
        else:
            st.altair_chart(charts.trend_chart(trend, metric=metric), width="stretch")
            st.caption("Shaded band: 95 % interval of each month; hover for n.")
            common.download_button(trend, label="Download trend", file_name=f"trend_{metric}.csv",
                                   key=f"summary_trend_{metric}_csv")  # fmt: skip

st.subheader("Consistency across stores")
result = common.cached(consistency, metric="nps", scope=filters.scope, period=filters.period)
if result["n_stores"] < 2 or result["index"] is None or math.isnan(result["index"] or math.nan):
    st.info("Consistency needs at least two stores with NPS answers in this selection.")
else:
    a, b, c = st.columns(3)
    a.metric("Consistency index", f"{result['index']:.0f} / 100", help="Expected share of stores whose true NPS "
             "lies within ±5 points of the brand (see Methods).")  # fmt: skip
    b.metric(
        "True-score SD",
        f"{result['true_sd']:.1f} NPS pts",
        help="Spread between stores with sampling noise removed.",
    )
    c.metric(
        "Stores within ±5 pts", f"{result['within_band_pct']:.0f} %", help="Observed values, noise included."
    )
    st.page_link(
        "ui/compare.py", label="Compare locations", icon=":material/leaderboard:", query_params=links
    )

st.subheader("Goals")
progress = goal_progress(
    common.engine(common.database_url()), as_of=filters.latest
)  # goals change between imports
if progress.empty:
    st.info("No goals are set yet. Set targets per metric, scope and period on the Goals page.")
else:
    counts = progress["status"].value_counts()
    shown = [status for status in STATUSES if counts.get(status, 0)]
    for column, status in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(status.capitalize(), int(counts[status]))
    st.caption(
        "Probability of meeting each target given the current sample and trend; details on the Goals page."
    )
st.page_link("ui/goals.py", label="Goals", icon=":material/flag:", query_params=links)

st.subheader("What moved")
moved = common.cached(
    executive.movers, metric="nps", scope=filters.scope, period=filters.period, compare=filters.compare
)
if math.isnan(tiles[0]["value"]):
    st.info("No NPS answers in this selection and period, so there are no NPS movers to show.")
elif moved.empty:
    st.info(
        "No store's NPS changed significantly against the comparison period (Benjamini-Hochberg, 5 % FDR)."
    )
else:
    st.dataframe(
        moved[["store", "name", "before", "after", "delta", "low", "high", "q_value", "n_before", "n_after"]],
        hide_index=True,
        column_config={
            "store": "Store", "name": "Name",
            "before": st.column_config.NumberColumn("Before", format="%+.1f"),
            "after": st.column_config.NumberColumn("Now", format="%+.1f"),
            "delta": st.column_config.NumberColumn("Change", format="%+.1f"),
            "low": st.column_config.NumberColumn("95 % low", format="%+.1f"),
            "high": st.column_config.NumberColumn("95 % high", format="%+.1f"),
            "q_value": st.column_config.NumberColumn("q (FDR)", format="%.4f"),
            "n_before": st.column_config.NumberColumn("n before", format="%d"),
            "n_after": st.column_config.NumberColumn("n now", format="%d"),
        },
    )  # fmt: skip
    common.download_button(moved, label="Download movers", file_name="movers.csv", key="summary_movers_csv")
    with st.container(horizontal=True):
        for mover in moved.head(5).itertuples():
            common.investigate_link(f"Investigate {mover.store} ({mover.delta:+.1f})", store=mover.store,
                                    metric="nps", mode="period")  # fmt: skip

st.subheader("Stores on the map")
points = common.cached(executive.store_map, scope=filters.scope, period=filters.period)
if points.empty:
    st.info("No store in this selection has coordinates (latitude and longitude in the stores file).")
else:
    st.altair_chart(charts.map_chart(points, metric="nps"), width="stretch")
    st.caption("Colour: NPS in the period; grey: no answers. Hover for n.")
    common.download_button(
        points, label="Download store scores", file_name="stores_nps.csv", key="summary_map_csv"
    )

st.divider()
cols = st.columns(4)
cols[0].page_link(
    "ui/compare.py", label="Compare locations", icon=":material/leaderboard:", query_params=links
)
cols[1].page_link(
    "ui/touchpoints.py", label="Touchpoints & journey", icon=":material/route:", query_params=links
)
cols[2].page_link("ui/goals.py", label="Goals", icon=":material/flag:", query_params=links)
cols[3].page_link("ui/methods.py", label="Methods", icon=":material/menu_book:")
