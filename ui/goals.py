"""Goals: a target per metric, scope and period; progress so far, the projection and the chance of meeting it."""

import datetime as dt

import streamlit as st

from cx.analysis import goals
from cx.config import currency_code
from cx.present import charts
from cx.present.markup import display_name, escape_markdown
from cx.store import queries
from cx.store.records import StaleEdit
from ui.shared import caching, tables
from ui.shared.errors import shown_as_error
from ui.shared.filters import current_filters

READ = "goal_edit_read"  # (goal id, version) the edit form was filled from


def saved_at_version(change, notice: str) -> None:
    """Run ``change``; when someone saved the goal since the form was filled, say so instead. Either
    way the next run fills the form from the goal as it is now."""
    try:
        change()
    except StaleEdit as error:
        st.session_state["goal_refused"] = str(error)
    else:
        st.session_state["goal_notice"] = notice
    st.session_state.pop(READ, None)
    st.rerun()


currency = currency_code()
st.title("Goals")
filters = current_filters()
if filters is None:
    st.info(
        "No data is loaded yet, so there is nothing to measure goals against. Import files on the Data page."
    )
    st.stop()

engine = caching.engine()
directory = caching.cached(queries.store_directory)
notice = st.session_state.pop("goal_notice", None)
if notice:
    st.success(notice)

# Read fresh on every run: goals change without an import, and the data cache follows imports only.
progress = caching.fresh(goals.goal_progress, as_of=filters.latest)

if progress.empty:
    st.info("No goals yet. Set the first one below: a metric, who it is for, the period and the target.")
else:
    st.caption(
        f"Progress to {filters.latest:%d %b %Y}, the last day with data. Goals keep their own scope and period: "
        "the sidebar filters do not apply here." + (f" Revenue is in {currency}." if currency else "")
    )
    st.dataframe(
        goals.goal_table(progress),
        hide_index=True,
        key="goal_table",
        column_config={
            "goal": st.column_config.TextColumn("Goal"),
            "status": st.column_config.TextColumn("Status"),
            "current": st.column_config.TextColumn(
                "Now", help="From the start of the period to the last day with data"
            ),
            "interval": st.column_config.TextColumn("95 % interval"),
            "n": st.column_config.NumberColumn(
                "n", help="Answers, reviews or days with sales", format="localized"
            ),
            "elapsed": st.column_config.ProgressColumn(
                "Period elapsed", min_value=0, max_value=1, format="percent"
            ),
            "projected": st.column_config.TextColumn("Projected at end"),
            "target": st.column_config.TextColumn("Target"),
            "probability": st.column_config.ProgressColumn(
                "Chance of meeting it", min_value=0, max_value=1, format="percent"
            ),
            "note": st.column_config.TextColumn("Note"),
        },
    )
    tables.download_button(progress, label="Download goals (CSV)", file_name="goals.csv", key="goal_download")

    st.subheader("At risk")
    risky = goals.at_risk_goals(progress)
    if risky.empty:
        st.success("No goal is at risk or off track.")
    for _, row in risky.iterrows():
        st.markdown(f"- **#{row['id']}** {escape_markdown(goals.goal_sentence(row))}")

    if progress["projected"].notna().any():
        st.subheader("Projected vs target")
        st.altair_chart(charts.progress_chart(progress), width="content")
        st.caption(
            "Bar: projected value at the end of the period; whisker: its 95 % interval; black tick: target."
        )
    with st.expander("How the projection works"):
        st.markdown(
            "The value so far is the metric from the start of the goal period to the last day with data. "
            "With three or more months of data, a straight line is fitted to the monthly values (months "
            "weighted by their answers, or by days for revenue) and the rest of the period is expected to "
            "follow it; with fewer months the rest is expected at the current value. The chance of meeting "
            "the target is a normal approximation that combines the uncertainty of the current value, of "
            "the trend and of the answers still to come. On track: 70 % or more; at risk: 30-70 %; off "
            "track: under 30 %."
        )


def refuse(refusal: str | None) -> None:
    """Raise the refusal of a change as ``ValueError`` (shown where the change was asked)."""
    if refusal:
        raise ValueError(refusal)


def editors() -> None:
    """The new-goal form and the editor of existing goals, for roles that set goals (within their grant)."""
    scope_types = ("region", "store") if caching.viewer().confined else goals.SCOPE_TYPES
    st.subheader("New goal")
    scope_type = st.selectbox("Goal for", scope_types, format_func=str.capitalize, key="goal_scope_type")
    scope_values = goals.scope_options(directory, scope_type)
    with st.form("goal_form"):
        metric = st.selectbox("Metric", list(goals.METRICS), format_func=lambda m: goals.METRICS[m].label, key="goal_metric")  # fmt: skip
        scope_value = st.selectbox(
            scope_type.capitalize(),
            list(scope_values),
            format_func=lambda v: display_name(scope_values[v]),
            key="goal_scope_value",
        )
        start_column, end_column, target_column = st.columns(3)
        start = start_column.date_input("Period start", dt.date(filters.latest.year, 1, 1), key="goal_start")
        end = end_column.date_input("Period end", dt.date(filters.latest.year, 12, 31), key="goal_end")
        target = target_column.number_input("Target", value=None, step=1.0, key="goal_target",
                                            help="NPS -100 to 100, CSAT top-2-box 0-100, CSAT mean and rating 1-5, revenue: the period total"
                                            + (f" in {currency}" if currency else ""))  # fmt: skip
        created = st.form_submit_button("Create goal", type="primary", key="goal_create")
    if created:
        with shown_as_error():
            refuse(caching.write_refusal("goals", scope_type, scope_value))
            goal_id = goals.create_goal(
                engine, metric=metric, scope_type=scope_type, scope_value=scope_value,
                period_start=start, period_end=end, target=target, created_by=caching.author(),
            )  # fmt: skip
            st.session_state["goal_notice"] = f"Goal #{goal_id} created."
            st.rerun()

    if not progress.empty:
        st.subheader("Change or delete a goal")
        labels = dict(zip(progress["id"], progress["label"], strict=True))
        goal_id = st.selectbox(
            "Goal", list(labels), format_func=lambda g: display_name(labels[g]), key="goal_pick"
        )
        chosen = progress.set_index("id").loc[goal_id]
        if st.session_state.get(READ, (None,))[0] != goal_id:
            st.session_state[READ] = (goal_id, int(chosen["version"]))
        version = st.session_state[READ][1]  # a save carries it: a change saved meanwhile is not overwritten
        refused = st.session_state.pop("goal_refused", None)
        if refused:
            st.error(escape_markdown(refused))
        with st.form("goal_edit_form"):
            start_column, end_column, target_column = st.columns(3)
            new_start = start_column.date_input(
                "Period start", chosen["period_start"], key=f"goal_edit_start_{goal_id}_{version}"
            )
            new_end = end_column.date_input(
                "Period end", chosen["period_end"], key=f"goal_edit_end_{goal_id}_{version}"
            )
            new_target = target_column.number_input(
                "Target", value=float(chosen["target"]), step=1.0, key=f"goal_edit_target_{goal_id}_{version}"
            )
            saved = st.form_submit_button("Save changes", key="goal_save")
        if saved:
            with shown_as_error():
                refuse(caching.write_refusal("goals", chosen["scope_type"], chosen["scope_value"]))
                saved_at_version(
                    lambda: goals.update_goal(engine, goal_id, version=version, updated_by=caching.author(),
                                              period_start=new_start, period_end=new_end, target=new_target),
                    f"Goal #{goal_id} changed.",
                )  # fmt: skip
        confirmed = st.checkbox(
            "Yes, delete this goal: this cannot be undone", key=f"goal_delete_confirm_{goal_id}"
        )
        if st.button("Delete goal", disabled=not confirmed, icon=":material/delete:", key="goal_delete"):
            with shown_as_error():
                refuse(caching.write_refusal("goals", chosen["scope_type"], chosen["scope_value"]))
                saved_at_version(
                    lambda: goals.delete_goal(engine, goal_id, version=version, deleted_by=caching.author()),
                    f"Goal #{goal_id} deleted.",
                )


if caching.viewer().may("goals"):
    editors()
else:
    st.caption("Your role sees the goals; administrators, CX leads and regional managers set them.")
