"""Methods: the glossary (``cx/present/glossary.md``) of every number on the dashboard, one tab per section.

Only the open tab is rendered, and its name is in the URL (``?section=NPS``), so the page stays short,
its formulas typeset quickly and a link opens one section. A link to a heading of another section
opens that section's tab at the heading.
"""

import re
from pathlib import Path
from urllib.parse import quote

import streamlit as st

import cx

GLOSSARY = Path(cx.__file__).parent / "present" / "glossary.md"
LINK = re.compile(r"\[([^\]]+)\]\(#([^)]+)\)")


def anchor(heading: str) -> str:
    """The id Streamlit gives a heading: lower case, every run of other characters becomes one "-"."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def linked(text: str, section: str | None, home: dict[str, str]) -> str:
    """``text`` with each link to a heading outside ``section`` pointed at that heading's tab."""

    def target(match: re.Match) -> str:
        label, name = match.groups()
        elsewhere = home.get(name)
        if elsewhere is None or elsewhere == section:
            return match.group(0)
        return f"[{label}](?section={quote(elsewhere)}#{name})"

    return LINK.sub(target, text)


title_line, body = GLOSSARY.read_text(encoding="utf-8").split("\n", 1)
intro, *sections = re.split(r"^(?=## )", body, flags=re.MULTILINE)
titles = [section.split("\n", 1)[0].removeprefix("## ").strip() for section in sections]
home = {  # heading anchor -> the section it is in
    anchor(heading): title
    for title, section in zip(titles, sections, strict=True)
    for heading in re.findall(r"^#{2,3} (.+?)\s*$", section, flags=re.MULTILINE)
}

st.title(title_line.removeprefix("# ").strip())
st.markdown(linked(intro, None, home))
tabs = st.tabs(titles, key="section", bind="query-params")
for tab, title, section in zip(tabs, titles, sections, strict=True):
    if tab.open:
        with tab:
            st.markdown(linked(section, title, home))
