"""Admin (administrators only): the users, their roles and grants, and the audit log."""

import pandas as pd
import streamlit as st

from cx.access.roles import ROLE_LABELS, ROLES
from cx.present.markup import display_name, escape_markdown
from cx.store import audit, queries
from cx.store.users import GRANT_LEVELS, add_user, disable, grant, list_users, revoke, set_password
from ui.shared import caching, tables
from ui.shared.errors import shown_as_error

NOTICE = "admin_notice"  # session state: the outcome of the last change, shown once
LEVEL_COLUMNS = {"brand": "brand", "region": "region", "district": "district", "store": "store_id"}

st.title("Admin")
if not caching.viewer().may("users"):
    st.error("Only administrators open this page.")
    st.stop()

engine = caching.engine()
actor = caching.author()
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(escape_markdown(notice))


def done(message: str) -> None:
    st.session_state[NOTICE] = message
    st.rerun()


def grant_choices(level: str) -> list[str]:
    directory = caching.cached(queries.store_directory)
    return sorted(directory[LEVEL_COLUMNS[level]].dropna().astype(str).unique())


def sees(found: dict) -> str:
    """``whole brand``, or the user's grants (``region Gulf, store ST101``), or ``nothing yet``."""
    if ROLES[found["role"]].whole_brand:
        return "whole brand"
    return ", ".join(f"{g['level']} {g['value']}" for g in found["grants"]) or "nothing yet"


st.header("Users")
users = list_users(engine)
if not users:
    st.info("No users yet: the dashboard is open to anyone who can reach it. Add the first administrator below; "
            "from then on everyone signs in.")  # fmt: skip
else:
    shown = pd.DataFrame(
        [{"email": u["email"], "name": u["name"], "role": ROLE_LABELS[u["role"]],
          "sees": sees(u),
          "active": u["active"], "created": u["created_at"], "last sign-in": u["last_sign_in_at"],
          "locked until": u["locked_until"]} for u in users]
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, key="admin_users",
                 column_config={"created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                "last sign-in": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                "locked until": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})  # fmt: skip

with st.expander("Add a user", expanded=not users):
    role = st.selectbox("Role", list(ROLES), format_func=ROLE_LABELS.get, key="admin_new_role")
    levels = sorted(ROLES[role].grant_levels, key=list(GRANT_LEVELS).index)
    level = st.selectbox("Grant level", levels, key="admin_new_level") if levels else None
    with st.form("admin_new_user", clear_on_submit=True):
        email = st.text_input("E-mail", key="admin_new_email")
        name = st.text_input("Name", key="admin_new_name")
        granted = (st.multiselect(f"Grants ({level})", grant_choices(level), format_func=display_name,
                                  key="admin_new_grants") if level else [])  # fmt: skip
        password = st.text_input("Password (at least 10 characters; leave empty for a single sign-on user)",
                                 type="password", key="admin_new_password")  # fmt: skip
        added = st.form_submit_button("Add user", type="primary", key="admin_add")
    if added:
        with shown_as_error():
            if levels and not granted:
                raise ValueError(f"A {ROLE_LABELS[role].lower()} sees only their grants: pick at least one.")
            made = add_user(engine, email, role=role, name=name or None, password=password or None,
                            grants=[(level, value) for value in granted], actor=actor)  # fmt: skip
            done(f"User {made['email']} added as {ROLE_LABELS[role].lower()}.")

if users:
    with st.expander("Change a user"):
        emails = [u["email"] for u in users]
        email = st.selectbox("User", emails, key="admin_pick")
        chosen = next(u for u in users if u["email"] == email)
        levels = sorted(ROLES[chosen["role"]].grant_levels, key=list(GRANT_LEVELS).index)
        if levels:
            add_column, remove_column = st.columns(2)
            with add_column:
                level = st.selectbox("Grant level", levels, key="admin_grant_level")
                value = st.selectbox(
                    "Grant", grant_choices(level), format_func=display_name, key="admin_grant_value"
                )
                if st.button("Grant", key="admin_grant"):
                    with shown_as_error():
                        grant(engine, email, level, value, actor=actor)
                        done(f"{email} may now see {level} {value}.")
            with remove_column:
                held = [f"{g['level']}\t{g['value']}" for g in chosen["grants"]]
                if held:
                    dropped = st.selectbox("Grant held", held, format_func=lambda g: display_name(g.replace("\t", " ")),
                                           key="admin_revoke_value")  # fmt: skip
                    if st.button("Revoke", key="admin_revoke"):
                        with shown_as_error():
                            revoke(engine, email, *dropped.split("\t", 1), actor=actor)
                            done(f"{email} no longer sees {dropped.replace(chr(9), ' ')}.")
        with st.form("admin_password", clear_on_submit=True):
            new_password = st.text_input("New password", type="password", key="admin_new_password_for")
            if st.form_submit_button("Set password", key="admin_set_password"):
                with shown_as_error():
                    set_password(engine, email, new_password, actor=actor)
                    done(f"A new password is set for {email}; the account is unlocked.")
        if chosen["active"]:
            confirmed = st.checkbox(f"Yes, disable {email}: their session ends at their next click",
                                    key=f"admin_disable_confirm_{email}")  # fmt: skip
            if st.button(
                "Disable", disabled=not confirmed or email == caching.viewer().email, key="admin_disable"
            ):
                with shown_as_error():
                    disable(engine, email, actor=actor)
                    done(f"{email} is disabled.")

st.header("Audit log")
action_filter = st.multiselect("Actions", list(audit.ACTIONS), key="admin_audit_actions")
events = audit.events(engine, limit=1000)
if action_filter:
    events = [event for event in events if event["action"] in action_filter]
if not events:
    st.caption("No events yet." if not action_filter else "No events of these actions.")
else:
    log = pd.DataFrame(events)
    log["detail"] = log["detail"].map(lambda d: ", ".join(f"{k}: {v}" for k, v in d.items()))
    st.dataframe(log, hide_index=True, key="admin_audit",
                 column_config={"at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss")})  # fmt: skip
    st.caption(
        f"The newest {len(log):,} events; `python -m cx audit --json` lists them all. The log is append-only."
    )
    tables.download_button(
        log, label="Download the audit log (CSV)", file_name="audit-log.csv", key="admin_audit_download"
    )
