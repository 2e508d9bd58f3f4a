"""Executive summary: where the brand stands, what moved, what to act on."""

import math

import streamlit as st

from cx.analysis import executive
from cx.analysis.consistency import consistency
from cx.analysis.goals import STATUSES, goal_progress
from cx.analysis.linkage import cx_linkage
from cx.metrics.registry import TREND, keys_for, label
from cx.present import charts, maps
from cx.present import root_cause as investigation
from cx.present.benchmark import benchmark_table
from cx.present.linkage import linkage_table, value_sentence
from cx.present.markup import escape_markdown
from cx.store import customers
from ui.shared import caching, links, paths, tables
from ui.shared.filters import period_caption, require_filters

VALUE_DAYS = 90  # a customer "bought again" within this many days of their answer

st.title("Executive summary")
filters = require_filters()
period_caption(filters)

tiles = caching.cached(
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
        money = tile["metric"] == "revenue"  # a short amount fits the tile, the caption has it in full
        st.metric(label("revenue") if money else tile["label"],
                  investigation.format_money(tile["value"], currency="") if money else tile["format"].format(tile["value"]),
                  delta=delta, delta_color="normal" if delta else "off")  # fmt: skip
        coverage = tile["coverage"]
        if not coverage["comparable"]:
            size = tile["format"].format(tile["value"]) if money else f"n = {tile['n']:,.0f} {tile['unit']}"
            st.caption(f"{size} · Not comparable: {coverage['reason']}.")
        elif money:
            st.caption(f"{tile['format'].format(tile['value'])} · {tile['delta_pct']:+.1f} % vs comparison period "
                       "(no sampling test for sales)")  # fmt: skip
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
        links.investigate_link("Why?", metric=tile["metric"], mode="period",
                               help=f"Investigate what moved {tile['label']} in this period")  # fmt: skip

if caching.viewer().confined:
    benchmark = caching.cached(executive.brand_benchmark, period=filters.period)
    st.caption("**Brand benchmark**: the whole brand in the same period, all stores together, and its median "
               "store (no store is named)")  # fmt: skip
    st.dataframe(benchmark_table(benchmark), hide_index=True, key="summary_benchmark")

st.subheader("Trends")
trend_period = executive.trend_window(filters.period)
left, right = st.columns(2)
for column, metric in zip((left, right), keys_for(TREND), strict=False):
    trend = caching.cached(executive.metric_trend, metric=metric, scope=filters.scope, period=trend_period)
    with column:
        if trend.empty:
            st.info(f"No {label(metric)} answers in {trend_period.label()}.")
        else:
            st.altair_chart(charts.trend_chart(trend, metric=metric), width="stretch")
            st.caption("Shaded band: 95 % interval of each month; hover for n.")
            tables.download_button(trend, label="Download trend", file_name=f"trend_{metric}.csv",
                                   key=f"summary_trend_{metric}_csv")  # fmt: skip

st.subheader("Consistency across stores")
result = caching.cached(consistency, metric="nps", scope=filters.scope, period=filters.period)
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
    links.page_link(paths.COMPARE, label="Compare locations", icon=":material/leaderboard:")

st.subheader("Goals")
progress = caching.fresh(goal_progress, as_of=filters.latest)  # goals change between imports
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
links.page_link(paths.GOALS, label="Goals", icon=":material/flag:")

if caching.cached(customers.linked_customers, scope=filters.scope):
    st.subheader("Value of CX")
    value = caching.cached(cx_linkage, days=VALUE_DAYS, scope=filters.scope, period=None)
    st.markdown(escape_markdown(value_sentence(value)))
    st.dataframe(linkage_table(value), hide_index=True, key="summary_value_table")
    st.caption(
        f"Each linked customer's first NPS answer in these stores, and what they bought at any store in the "
        f"{VALUE_DAYS} days after it; {value['censored']:,} customers whose {VALUE_DAYS} days are not over yet "
        "are left out. An association between what customers said and what they did, not proof of cause."
    )

st.subheader("What moved")
moved = caching.cached(
    executive.movers, metric="nps", scope=filters.scope, period=filters.period, compare=filters.compare
)
st.caption(investigation.SIGNIFICANCE_NOTE)
nps_tile = next(tile for tile in tiles if tile["metric"] == "nps")
if math.isnan(nps_tile["value"]):
    st.info("No NPS answers in this selection and period, so there are no NPS movers to show.")
elif not nps_tile["coverage"]["comparable"]:
    st.info(f"Not comparable: {nps_tile['coverage']['reason']}, so no store's change is shown. "
            "Choose a period the data cover, or compare with the previous period.")  # fmt: skip
elif moved.empty:
    st.info("No store's NPS changed by more than chance would explain against the comparison period.")
else:
    moved = moved.assign(sample=moved["small"].map({True: "small sample", False: ""}))
    st.dataframe(
        moved[["store", "name", "before", "after", "delta", "low", "high", "q_value", "n_before", "n_after",
               "sample"]],
        hide_index=True,
        column_config=tables.change_columns(
            value="%+.1f", change="%+.1f", store="Store", name="Name", sample="Sample",
            after=st.column_config.NumberColumn("Now", format="%+.1f"),
            q_value=st.column_config.NumberColumn("q (FDR)", format="%.4f"),
            n_after=st.column_config.NumberColumn("n now", format="%d"),
        ),
    )  # fmt: skip
    tables.download_button(moved, label="Download movers", file_name="movers.csv", key="summary_movers_csv")
    with st.container(horizontal=True):
        for mover in moved.head(5).itertuples():
            links.investigate_link(f"Investigate {escape_markdown(mover.store)} ({mover.delta:+.1f})", store=mover.store,
                                   metric="nps", mode="period")  # fmt: skip

st.subheader("Stores on the map")
points = caching.cached(executive.store_map, scope=filters.scope, period=filters.period)
if points.empty:
    st.info("No store in this selection has coordinates (latitude and longitude in the stores file).")
else:
    st.altair_chart(maps.map_chart(points, metric="nps"), width="stretch")
    st.caption("Colour: NPS in the period; grey: no answers. Hover for n.")
    tables.download_button(
        points, label="Download store scores", file_name="stores_nps.csv", key="summary_map_csv"
    )

st.divider()
compare, touchpoints, goals, methods = st.columns(4)
with compare:
    links.page_link(paths.COMPARE, label="Compare locations", icon=":material/leaderboard:")
with touchpoints:
    links.page_link(paths.TOUCHPOINTS, label="Touchpoints & journey", icon=":material/route:")
with goals:
    links.page_link(paths.GOALS, label="Goals", icon=":material/flag:")
with methods:
    links.page_link(paths.METHODS, label="Methods", icon=":material/menu_book:", keep_filters=False)
