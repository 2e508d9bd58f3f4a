"""Methods: the glossary (``cx/present/glossary.md``) of every number on the dashboard, with a table of contents."""

import re
from pathlib import Path

import streamlit as st

import cx

GLOSSARY = Path(cx.__file__).parent / "present" / "glossary.md"

title_line, body = GLOSSARY.read_text(encoding="utf-8").split("\n", 1)
intro, *sections = re.split(r"^(?=## )", body, flags=re.MULTILINE)
titles = [section.split("\n", 1)[0].removeprefix("## ").strip() for section in sections]
# The anchor Streamlit gives a heading: lower case, every run of other characters becomes one "-".
anchors = [re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") for title in titles]

st.title(title_line.removeprefix("# ").strip())
st.markdown(
    "**Contents:** "
    + " · ".join(f"[{title}](#{anchor})" for title, anchor in zip(titles, anchors, strict=True))
)
st.markdown(intro)
for section in sections:
    st.markdown(section)
