"""Step 7: did the metric change after an action: the recorded actions' effects, and a form to record one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cx.analysis.explain import record_action
from cx.present import root_cause as investigation
from cx.present.markup import escape_markdown
from ui.root_cause.context import Investigation, metric_title
from ui.shared import caching, places, tables

MESSAGE = "root_action_message"  # session state: the outcome of the last recording, shown once


def after_an_action(case: Investigation, *, latest: dt.date) -> None:
    """Each action's before/after test, then the form (dated ``latest`` by default) that records one for
    the scope investigated."""
    with st.container(border=True):
        st.subheader("7. Did it change after an action")
        for_whom = escape_markdown(places.action_scope_name(case.scope))
        effects = case.effects
        if not effects:
            st.info(f"No action is recorded for {for_whom} yet. Record one below to test its effect.")
        else:
            for effect in reversed(effects):
                st.markdown("- " + investigation.action_sentence(case.view_metric, effect))
            table = tables.p_values_as_text(pd.DataFrame(effects), "p_value")
            st.dataframe(table[["date", "description", "before", "after", "delta", "low", "high", "p_value",
                                "n_before", "n_after"]], hide_index=True,
                         column_config=tables.change_columns(date="Date", description="Action"))  # fmt: skip
            st.caption(f"{metric_title(case.view_metric)} in the 56 days before and after each action"
                       + (f" (at {escape_markdown(case.touchpoint)})" if case.touchpoint else "") + ".")  # fmt: skip
        message = st.session_state.pop(MESSAGE, None)
        if message:
            (st.success if message[0] == "success" else st.error)(escape_markdown(message[1]))
        scope_type, scope_value = places.action_scope(case.scope)
        refusal = caching.write_refusal("actions", scope_type, scope_value)
        if refusal:
            st.caption(
                f"{escape_markdown(refusal)} Pick one of your stores in the sidebar to record an action."
            )
            return
        with st.form("root_action_form"):
            st.markdown(f"**Record an action** for {for_whom}")
            when_done, what_done = st.columns([1, 3])
            when_done.date_input("Date", value=latest, key="root_action_date")
            what_done.text_input("What was done", key="root_action_text",
                                 placeholder="e.g. new delivery partner; retrained the checkout staff")  # fmt: skip
            st.form_submit_button("Record action", on_click=_record, kwargs={"scope_type": scope_type,
                                  "scope_value": scope_value}, icon=":material/add_task:")  # fmt: skip


def _record(scope_type: str, scope_value: str | None) -> None:
    """Form callback: store the action, then clear the description. It runs before the page, so its
    outcome waits in the session state for step 7 to show."""
    refusal = caching.write_refusal("actions", scope_type, scope_value)
    if refusal:
        st.session_state[MESSAGE] = ("error", refusal)
        return
    try:
        record_action(caching.engine(), action_date=st.session_state["root_action_date"],
                      scope_type=scope_type, scope_value=scope_value,
                      description=st.session_state.get("root_action_text") or "",
                      recorded_by=caching.author())  # fmt: skip
    except ValueError as error:
        st.session_state[MESSAGE] = ("error", str(error))
        return
    st.session_state[MESSAGE] = ("success", "Action recorded: its effect is tested below.")
    st.session_state["root_action_text"] = ""
