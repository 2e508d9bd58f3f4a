"""Data: what each source holds and the latest imports."""

import streamlit as st

from pages import common

st.title("Data")
url = common.database_url()
coverage = common.source_coverage(url)
if coverage["rows"].sum() == 0:
    st.info(
        "No data is loaded yet. Load files with `python -m cx load KIND FILE`, or the demo with `make run`."
    )
else:
    st.subheader("Sources")
    st.dataframe(
        coverage,
        hide_index=True,
        column_config={
            "source": "Source",
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "stores": st.column_config.NumberColumn("Stores with data"),
            "of_stores": st.column_config.NumberColumn("Stores in all"),
            "first": st.column_config.DatetimeColumn("First date", format="YYYY-MM-DD"),
            "last": st.column_config.DatetimeColumn("Last date", format="YYYY-MM-DD"),
        },
    )
    st.subheader("Import history")
    st.dataframe(common.import_history(url), hide_index=True)
