"""Router: every page registered with a title and an icon; the shared sidebar filters; banner and footer."""

import streamlit as st

from cx.store import queries
from ui import common

st.set_page_config(page_title="CX dashboard", page_icon=":material/storefront:", layout="wide")

PAGES = [
    st.Page("ui/summary.py", title="Executive summary", icon=":material/dashboard:", default=True),
    st.Page("ui/compare.py", title="Compare locations", icon=":material/leaderboard:"),
    st.Page("ui/touchpoints.py", title="Touchpoints & journey", icon=":material/route:"),
    st.Page("ui/root_cause.py", title="Root cause", icon=":material/troubleshoot:"),
    st.Page("ui/goals.py", title="Goals", icon=":material/flag:"),
    st.Page("ui/data.py", title="Data", icon=":material/database:"),
    st.Page("ui/methods.py", title="Methods", icon=":material/menu_book:"),
]

navigation = st.navigation(PAGES)
st.session_state["filters"] = common.sidebar_filters()
if common.cached(queries.is_demo):
    st.info("You are looking at the synthetic demo brand (Oasis Market). Load your own files on the Data page.",
            icon=":material/science:")  # fmt: skip
navigation.run()
common.footer()
