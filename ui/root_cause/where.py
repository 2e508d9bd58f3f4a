"""Step 3: where the change sits, ranked among regions, stores and store × touchpoint cells (or a
store's touchpoints), with buttons that drill into the node picked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx.present import charts
from cx.present import root_cause as investigation
from cx.present.markup import display_name, escape_markdown
from ui.root_cause.context import Investigation
from ui.root_cause.drill import drill_button
from ui.shared import tables


def where(case: Investigation, directory: pd.DataFrame) -> None:
    """The ranking as a chart (click a node) and a table, then drill-down buttons for the node picked;
    ``directory`` is the store directory by ``store_id``."""
    with st.container(border=True):
        st.subheader("3. Where")
        metric, result = case.metric, case.result
        nodes = investigation.display_order(_ranked_nodes(case))
        if case.small:
            st.info("Too few answers to rank anything below this level (see step 1).")
            return
        if nodes.empty:
            sales_at_store = case.scope.store and metric == "revenue"
            below = "touchpoints: sales carry none" if sales_at_store else "nodes with answers"
            st.info(f"Nothing to rank below {escape_markdown(case.scope_name)} ({below}).")
            return
        st.text(display_name(investigation.where_sentence(metric, nodes, scope_name=case.scope_name)))
        event = st.altair_chart(charts.deviation_chart(nodes, metric=metric), width="stretch",
                                on_select="rerun", key="root_where_chart")  # fmt: skip
        st.caption(
            investigation.where_caption(
                metric, parts="touchpoints" if case.scope.store else "stores and cells"
            )
        )
        with st.expander("Details: each node's change, interval, n, p and q, and how they are ordered"):
            st.text(display_name(investigation.where_details(metric, result["what"], scope_name=case.scope_name,
                                                             store=case.scope.store is not None)))  # fmt: skip
            _ranking_table(nodes)
        tables.download_button(nodes, label="Download the ranking", file_name=f"where_{metric}.csv",
                               key="root_where_csv")  # fmt: skip
        clicked = [p["label"] for p in event.selection.get("node", [])] if event and event.selection else []
        labels = list(nodes["label"])
        if clicked and clicked[0] in labels:
            picked = clicked[0]
            st.caption(f"Picked in the chart: {escape_markdown(picked)} (double-click the chart to clear).")
        else:
            picked = st.selectbox("Look closer at", labels, format_func=display_name, key="root_where_pick")
        with st.container(horizontal=True):
            _drill_buttons(case, nodes.loc[nodes["label"] == picked].iloc[0], directory)


def _ranked_nodes(case: Investigation) -> pd.DataFrame:
    """The nodes ranked below the scope; regions among them up to the last rank shown."""
    result = case.result
    last = max((node["rank"] for node in result["where"]), default=0)
    joint = sorted(result["where"] + [r for r in result.get("regions", []) if r["rank"] <= last],
                   key=lambda node: node["rank"])  # fmt: skip
    return investigation.node_frame(joint, metric=case.metric, by_touchpoint=case.scope.store is not None)


def _ranking_table(nodes: pd.DataFrame) -> None:
    shown = tables.p_values_as_text(nodes.drop(columns=["region", "store_id", "touchpoint", "z"]),
                                    "p_value", "q_value")  # fmt: skip
    number = st.column_config.NumberColumn
    st.dataframe(shown, hide_index=True, column_config=tables.change_columns(
        label="Where", measured="Measured in",
        contribution=number("Contribution", format="%+.2f",
                            help="Share of the scope's change (Kitagawa decomposition)"),
        q_value=st.column_config.TextColumn("q (FDR)", help="p of the node's change, Benjamini-Hochberg adjusted "
                                            "across the nodes of its level"),
        share_before=number("Share before (%)", format="%.1f", help="The touchpoint's share of its group's answers"),
        share_after=number("Share after (%)", format="%.1f"),
        verdict="Verdict",
    ))  # fmt: skip


def _drill_buttons(case: Investigation, node: pd.Series, directory: pd.DataFrame) -> None:
    """Below the brand or a region: investigate the node's region, store or store × touchpoint cell;
    at a store: one of its touchpoints."""
    scope = case.scope
    if scope.store is not None:
        picked = node["label"]
        if picked != case.touchpoint:
            drill_button(
                f"Investigate touchpoint {escape_markdown(picked)}",
                "root_go_touchpoint",
                touchpoint=picked,
                term=None,
            )
        return
    node_store = node["store_id"] if isinstance(node["store_id"], str) else None
    node_touchpoint = node["touchpoint"] if isinstance(node["touchpoint"], str) else None
    region = directory["region"].get(node_store) if node_store else node["region"]
    if scope.region is None and isinstance(region, str):
        drill_button(f"Investigate region {escape_markdown(region)}", "root_go_region", region=region, store=None,
                     touchpoint=None, term=None)  # fmt: skip
    if node_store:
        drill_button(f"Investigate store {escape_markdown(node_store)}", "root_go_store", store=node_store,
                     touchpoint=None, term=None)  # fmt: skip
    if node_store and node_touchpoint:
        drill_button(f"Investigate {escape_markdown(node_store)} › {escape_markdown(node_touchpoint)}", "root_go_cell",
                     store=node_store,
                     touchpoint=node_touchpoint, term=None)  # fmt: skip
