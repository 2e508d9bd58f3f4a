"""The Methods page with Streamlit's AppTest: it renders the glossary, its formulas and a table of contents."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GLOSSARY = Path(__file__).resolve().parents[1] / "cx" / "present" / "glossary.md"


def methods_page(monkeypatch, url: str) -> AppTest:
    monkeypatch.setenv("CX_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("ui/methods.py")
    app.run()
    return app


def test_methods_page_renders_the_glossary(monkeypatch, sqlite_url):
    app = methods_page(monkeypatch, sqlite_url)
    assert not app.exception
    assert [title.value for title in app.title] == ["Methods"]
    markdown = "\n".join(element.value for element in app.markdown)
    assert "## NPS" in markdown
    assert r"\mathrm{NPS} = 100\,\frac{P - D}{n}" in markdown  # the NPS formula, as display math
    assert "$$" in markdown


def test_methods_page_shows_every_section_once(monkeypatch, sqlite_url):
    app = methods_page(monkeypatch, sqlite_url)
    sections = re.findall(r"^## (.+?)\s*$", GLOSSARY.read_text(encoding="utf-8"), flags=re.MULTILINE)
    markdown = [element.value for element in app.markdown]
    for title in sections:
        assert sum(value.startswith(f"## {title}\n") for value in markdown) == 1, title


def test_methods_page_table_of_contents_links_every_section(monkeypatch, sqlite_url):
    app = methods_page(monkeypatch, sqlite_url)
    contents = next(element.value for element in app.markdown if element.value.startswith("**Contents:**"))
    links = re.findall(r"\[([^\]]+)\]\(#([^)]+)\)", contents)
    assert ("NPS", "nps") in links
    assert ("Scales and data", "scales-and-data") in links
    assert ("CX and sales", "cx-and-sales") in links
    sections = re.findall(r"^## (.+?)\s*$", GLOSSARY.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert [title for title, _ in links] == sections
