"""Router: every page registered with a title and an icon."""

import streamlit as st

st.set_page_config(page_title="CX dashboard", page_icon=":material/storefront:", layout="wide")

navigation = st.navigation([st.Page("pages/data.py", title="Data", icon=":material/database:", default=True)])
navigation.run()
