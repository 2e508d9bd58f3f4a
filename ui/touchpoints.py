"""Touchpoints & journey: store x touchpoint heatmap, journey stages, touchpoint consistency, drivers."""

import streamlit as st

from cx.analysis.drivers import QUADRANTS, key_drivers
from cx.analysis.touchpoints import (
    MIN_CELL_ANSWERS,
    heatmap_window,
    stage_rollup,
    touchpoint_consistency,
    touchpoint_heatmap,
)
from cx.metrics.registry import METRICS, TOUCHPOINTS, keys_for, label
from cx.present import charts
from cx.present.markup import escape_markdown
from cx.store.catalogue import DEFAULT_TOUCHPOINTS
from cx.store.models import JOURNEY_STAGES
from ui.shared import caching, links, tables
from ui.shared.filters import period_caption, require_filters

st.title("Touchpoints & journey")
filters = require_filters()
period_caption(filters)
metric = st.radio("Metric", keys_for(TOUCHPOINTS), format_func=label, horizontal=True,
                  key="touch_metric")  # fmt: skip

st.subheader("Score per store and touchpoint")
widen = st.toggle("Widen the window until most cells have enough answers", value=True, key="touch_widen")
window = caching.cached(heatmap_window, scope=filters.scope, period=filters.period, metric=metric,
                        **({} if widen else {"wider": ()}))  # fmt: skip
cells = caching.cached(touchpoint_heatmap, scope=filters.scope, period=window.period, metric=metric)
if cells.empty:
    st.info("No answers with a touchpoint in this selection and period.")
else:
    st.caption(window.statement())
    order = {stage: i for i, stage in enumerate(JOURNEY_STAGES)}
    cells = cells.assign(stage_order=cells["stage"].map(order).fillna(len(order)))
    chart = charts.heatmap_chart(cells, metric=metric, min_n=MIN_CELL_ANSWERS)
    event = st.altair_chart(chart, width="stretch", key="touch_heatmap", on_select="rerun")
    st.caption(f"Columns follow the journey (awareness to advocacy). Grey cells have fewer than {MIN_CELL_ANSWERS} "
               "answers: too few to read. Hover for the interval and n; click a cell to investigate it.")  # fmt: skip
    places = dict(zip(cells["store"], cells["place"], strict=False))
    picked = (
        [(p["store"], p["touchpoint"]) for p in event.selection.get("cell", [])]
        if event and event.selection
        else []
    )
    for store, touchpoint in picked[:4]:
        links.investigate_link(
            f"Investigate {escape_markdown(places.get(store, store))} › {escape_markdown(touchpoint)}",
            store=store,
            touchpoint=touchpoint,
            metric=metric,
        )
    tables.download_button(cells.drop(columns="stage_order"), label="Download heatmap data",
                           file_name=f"touchpoints_{metric}.csv", key="touch_heat_csv")  # fmt: skip

st.subheader("Journey stages")
stages = caching.cached(stage_rollup, scope=filters.scope, period=filters.period)
value = METRICS[metric].n_column
stages = stages.loc[stages[value].fillna(0) > 0]
if stages.empty:
    st.info("No answers are linked to a journey stage in this selection.")
else:
    st.altair_chart(charts.stage_chart(stages, metric=metric), width="stretch")
    st.caption("Bars: score per stage; lines: 95 % interval.")

st.subheader("Touchpoint consistency across stores")
names = tuple(sorted(cells["touchpoint"].unique())) if not cells.empty else ()
if not names:
    st.info("No touchpoints to compare.")
else:
    table = caching.cached(touchpoint_consistency, metric=metric, scope=filters.scope, period=filters.period,
                           touchpoints=list(names))  # fmt: skip
    st.dataframe(
        table[["touchpoint", "n_stores", "index", "true_sd", "sd", "within_band_pct", "kruskal_p"]],
        hide_index=True,
        height=tables.full_height(len(table)),
        column_config={
            "touchpoint": "Touchpoint", "n_stores": st.column_config.NumberColumn("Stores", format="%d"),
            "index": st.column_config.ProgressColumn("Consistency index", min_value=0, max_value=100, format="%.0f"),
            "true_sd": st.column_config.NumberColumn("True-score SD", format="%.2f"),
            "sd": st.column_config.NumberColumn("Observed SD", format="%.2f"),
            "within_band_pct": st.column_config.NumberColumn("Within band (%)", format="%.0f"),
            "kruskal_p": st.column_config.NumberColumn("Kruskal-Wallis p", format="%.4f"),
        },
    )  # fmt: skip

st.subheader("What drives the score")
target = st.radio("Explain", ["nps", "csat"], format_func={"nps": "NPS by touchpoint", "csat": "CSAT by attribute"}.get,
                  horizontal=True, key="touch_driver_target")  # fmt: skip
drivers, summary = caching.cached(key_drivers, target=target, scope=filters.scope, period=filters.period)
if drivers.empty:
    st.info(f"No driver analysis for this selection: {summary['reason']}.")
else:
    st.altair_chart(charts.quadrant_chart(drivers, target=target), width="stretch")
    clear = drivers["quadrant"].isin(list(QUADRANTS)[:2]).any()
    st.caption(
        f"Johnson's relative weights, R² = {summary['r_squared']:.2f} over {summary['n']:,} {summary['unit']}; "
        f"whiskers: 95 % bootstrap intervals over {summary['clusters']} clusters. A driver is clearly important "
        "when its whole interval lies above the median upper end of the other drivers' intervals; rated below "
        "or above average: left or right of the dotted line (the drivers' mean rating). Fix first: clearly "
        "important and rated below average. Keep strong: clearly important and rated above average. Watch: "
        "rated below average, but not clearly more important than the rest. Lower priority: rated above "
        "average and not clearly more important."
    )
    if not clear:
        st.caption("No driver's importance stands clearly above the others (their intervals overlap), so none "
                   "is marked fix first or keep strong.")  # fmt: skip
    tables.download_button(
        drivers, label="Download drivers", file_name=f"drivers_{target}.csv", key="touch_drivers_csv"
    )

with st.expander("Touchpoint catalogue"):
    st.dataframe(
        [{"touchpoint": n, "stage": s, "channel": c} for n, s, c in DEFAULT_TOUCHPOINTS], hide_index=True
    )
