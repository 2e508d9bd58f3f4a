"""Signing in: the e-mail and password form, the demo users' picker (demo database only), the session's
expiry, the account in the sidebar and signing out. While the database has no users the dashboard is
open, as the demo brand's one-command start expects.

A sign-in outlives a page reload and a link opened in a new tab: the browser keeps a random token in the
``cx_session`` cookie (set by a script in a zero-height frame of the dashboard's own origin; Streamlit
offers no other way to set one) and the database keeps its hash (:mod:`cx.store.sessions`)."""

from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from cx.access.roles import ROLE_LABELS
from cx.access.sso import SsoSettings, user_for_identity
from cx.access.viewer import OPEN, Viewer, anyone_signs_in, demo_viewer, viewer_for
from cx.config import session_hours
from cx.present.markup import display_name, escape_markdown
from cx.store import queries
from cx.store.sessions import end_session, session_for, start_session
from cx.store.users import SignInRefused, list_users, note_sign_in, sign_in
from ui.shared import caching, sso

SESSION = "cx_session"  # session state: {"email", "since", "method", "token"} of the signed-in user
NOTICE = "cx_sign_in_notice"  # session state: why the last session ended, shown on the sign-in page
COOKIE = "cx_session"
COOKIE_TO_WRITE = "cx_cookie_to_write"  # session state: the cookie value the next run puts in the browser


def current_viewer() -> Viewer | None:
    """Who reads in this run: the open dashboard while the database has no users, else the signed-in
    user read afresh (so a disabled account or an expired session ends here, at the next rerun), or
    None when nobody is signed in."""
    engine = caching.engine()
    if not anyone_signs_in(engine):
        st.session_state.pop(SESSION, None)
        return OPEN
    session = st.session_state.get(SESSION) or _session_of_cookie() or _session_of_sso()
    if session is None:
        return None
    hours = session_hours()
    if dt.datetime.now() - session["since"] > dt.timedelta(hours=hours):
        _end(f"Your session ended after {hours:g} hours; sign in again.")
        if session["method"] == "sso":
            sso.sign_out()  # else the provider's identity would sign them straight back in
        return None
    try:
        return viewer_for(engine, session["email"])
    except ValueError as error:  # disabled or removed since the sign-in
        _end(f"{error} You are signed out.")
        return None


def _session_of_cookie() -> dict | None:
    """The live session the browser's cookie names (a reload, or a link opened in a new tab), kept for
    this run's session."""
    token = st.context.cookies.get(COOKIE)
    found = session_for(caching.engine(), token) if isinstance(token, str) and 0 < len(token) <= 100 else None
    if found is not None:
        st.session_state[SESSION] = {**found, "token": token}
    return st.session_state.get(SESSION)


def _session_of_sso() -> dict | None:
    """A new session for the person the identity provider signed in (``st.login``), when the dashboard
    knows them (or provisions them, see :mod:`cx.access.sso`); a refusal waits for the sign-in page."""
    try:
        if not sso.configured():
            return None
    except ValueError:  # a half-written [auth] section: the sign-in page says what is missing
        return None
    identity, refused = sso.identity()
    if identity is not None:
        settings = SsoSettings.from_env()
        try:
            found = user_for_identity(caching.engine(), identity["email"], identity["groups"],
                                      auto_role=settings.auto_role, group_grants=settings.group_grants)  # fmt: skip
        except SignInRefused as refusal:
            refused = str(refusal)
        else:
            note_sign_in(caching.engine(), found["email"], method="sso")
            return _new_session(found["email"], "sso")
    if refused:
        st.session_state[NOTICE] = refused
    return None


def sign_in_page() -> None:
    """The page shown to whoever is not signed in: the form, and the demo users on the demo brand, in
    a column of reading width."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Sign in")
        notice = st.session_state.pop(NOTICE, None)
        if notice:
            st.warning(escape_markdown(notice))
        with st.form("sign_in_form", clear_on_submit=True):
            email = st.text_input("E-mail", key="sign_in_email", autocomplete="username")
            password = st.text_input("Password", type="password", key="sign_in_password",
                                     autocomplete="current-password")  # fmt: skip
            submitted = st.form_submit_button("Sign in", type="primary", key="sign_in_submit")
        if submitted:
            _password_sign_in(email, password)
        _single_sign_on()
        if queries.is_demo(caching.engine()):
            _demo_picker()


def _single_sign_on() -> None:
    """The single sign-on button where ``st.login`` is configured; after a refused identity, the button
    that signs out of the provider so another account can be used."""
    try:
        ready = sso.configured()
    except ValueError as error:
        st.error(f"Single sign-on is not usable: {escape_markdown(str(error))}")
        return
    if not ready:
        return
    st.divider()
    if sso.identity() != (None, None):
        st.button("Sign out of single sign-on", key="sso_sign_out", on_click=sso.sign_out)
    else:
        sso.offer_button()


def _password_sign_in(email: str, password: str) -> None:
    try:
        found = sign_in(caching.engine(), email, password)
    except SignInRefused as refusal:
        st.error(escape_markdown(str(refusal)))
        return
    _start(found["email"], "password")


def _demo_picker() -> None:
    demo = [
        found
        for found in list_users(caching.engine())
        if found["email"].endswith("@demo") and found["active"]
    ]
    if not demo:
        return
    st.subheader("Demo brand")
    st.caption(
        "The demo brand has one user per role; they sign in without a password, on the demo data only."
    )
    names = {found["email"]: f"{found['name']} · {ROLE_LABELS[found['role']]}" for found in demo}
    email = st.selectbox("Sign in as a demo user", list(names), format_func=lambda e: display_name(names[e]),
                         key="sign_in_demo_user")  # fmt: skip
    if st.button("Sign in as this demo user", key="sign_in_demo"):
        try:
            viewer = demo_viewer(caching.engine(), email)
        except SignInRefused as refusal:
            st.error(escape_markdown(str(refusal)))
            return
        _start(viewer.email, "demo")


def _start(email: str, method: str) -> None:
    _new_session(email, method)
    st.rerun()


def _new_session(email: str, method: str) -> dict:
    hours = session_hours()
    token = start_session(caching.engine(), email, method=method, hours=hours)
    st.session_state[SESSION] = {"email": email, "since": dt.datetime.now(), "method": method, "token": token}
    st.session_state[COOKIE_TO_WRITE] = (token, int(hours * 3600))
    return st.session_state[SESSION]


def _end(notice: str) -> None:
    session = st.session_state.pop(SESSION, None) or {}
    if session.get("token"):
        end_session(caching.engine(), session["token"])
    st.session_state[NOTICE] = notice
    st.session_state[COOKIE_TO_WRITE] = ("", 0)


def write_cookie() -> None:
    """Put the session's token in the browser's cookie (or remove it, after a sign-out), once."""
    pending = st.session_state.pop(COOKIE_TO_WRITE, None)
    if pending is None:
        return
    token, seconds = pending
    script = (f"const secure = window.location.protocol === 'https:' ? '; Secure' : '';"
              f"document.cookie = {json.dumps(COOKIE)} + '=' + {json.dumps(token)} + "
              f"'; path=/; max-age={seconds}; SameSite=Strict' + secure;")  # fmt: skip
    st.iframe(f"<script>{script}</script>", height=1)


def account(viewer: Viewer) -> None:
    """The sidebar's account line: who is signed in, with which role, and the sign-out button."""
    with st.sidebar:
        write_cookie()
        if viewer.email is None:
            st.caption("Open dashboard: no users yet. Once the first user is added, everyone signs in.")
            return
        st.caption(f"Signed in as **{escape_markdown(viewer.name)}** ({escape_markdown(viewer.email)}), "
                   f"{ROLE_LABELS[viewer.role].lower()}")  # fmt: skip
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            method = st.session_state.get(SESSION, {}).get("method")
            _end("You are signed out.")
            if method == "sso":
                sso.sign_out()  # the browser goes to the provider and back: no rerun to race it
                return
            st.rerun()
