"""Router: who is signed in, the pages their role may open, the shared sidebar filters; banner and footer."""

import streamlit as st

from cx.store.sums import shared_sums
from ui.shared import caching, errors, filters, layout, paths, signin

st.set_page_config(page_title="CX dashboard", page_icon=":material/storefront:", layout="wide")

viewer = signin.current_viewer()
st.session_state[caching.VIEWER] = viewer
if viewer is None:
    signin.write_cookie()
    st.navigation([st.Page(signin.sign_in_page, title="Sign in", icon=":material/login:")]).run()
    st.stop()

PAGES = [
    st.Page(paths.SUMMARY, title="Executive summary", icon=":material/dashboard:", default=True),
    st.Page(paths.COMPARE, title="Compare locations", icon=":material/leaderboard:"),
    st.Page(paths.TOUCHPOINTS, title="Touchpoints & journey", icon=":material/route:"),
    st.Page(paths.ROOT_CAUSE, title="Root cause", icon=":material/troubleshoot:", url_path="root_cause"),
    st.Page(paths.GOALS, title="Goals", icon=":material/flag:"),
    st.Page(paths.CUSTOMERS, title="Customers", icon=":material/person_search:"),
    st.Page(paths.DATA, title="Data", icon=":material/database:"),
    st.Page(paths.METHODS, title="Methods", icon=":material/menu_book:"),
]
if viewer.may("users"):
    PAGES.append(st.Page(paths.ADMIN, title="Admin", icon=":material/admin_panel_settings:"))

navigation = st.navigation(PAGES)
# One run reads one version of the data (an import ends its run with a rerun): the same sums asked
# by two parts of the page are read once.
with shared_sums():
    signin.account(viewer)
    st.session_state["filters"] = filters.sidebar_filters()
    layout.demo_banner()
    errors.run_page(navigation)
    layout.footer()
