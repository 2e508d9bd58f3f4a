"""The script of each page, as ``st.Page`` in ``app.py`` and every ``st.page_link`` name it."""

SUMMARY = "ui/summary.py"
COMPARE = "ui/compare.py"
TOUCHPOINTS = "ui/touchpoints.py"
ROOT_CAUSE = "ui/root_cause/page.py"
GOALS = "ui/goals.py"
DATA = "ui/data.py"
METHODS = "ui/methods.py"
