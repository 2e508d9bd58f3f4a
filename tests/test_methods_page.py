"""The Methods page with Streamlit's AppTest: the glossary, one tab per section, its formulas, and links
between sections that open the section they point to."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GLOSSARY = Path(__file__).resolve().parents[1] / "cx" / "present" / "glossary.md"
SECTIONS = re.findall(r"^## (.+?)\s*$", GLOSSARY.read_text(encoding="utf-8"), flags=re.MULTILINE)


def methods_page(monkeypatch, url: str, section: str | None = None) -> AppTest:
    monkeypatch.setenv("CX_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=60)
    if section is not None:
        app.query_params["section"] = section
    app.switch_page("ui/methods.py")
    app.run()
    return app


def shown_sections(app: AppTest) -> list[str]:
    return [
        title for title in SECTIONS for element in app.markdown if element.value.startswith(f"## {title}\n")
    ]


def test_methods_page_renders_the_glossary(monkeypatch, sqlite_url):
    app = methods_page(monkeypatch, sqlite_url, section="NPS")
    assert not app.exception
    assert [title.value for title in app.title] == ["Methods"]
    markdown = "\n".join(element.value for element in app.markdown)
    assert "## NPS" in markdown
    assert r"\mathrm{NPS} = 100\,\frac{P - D}{n}" in markdown  # the NPS formula, as display math
    assert "$$" in markdown


def test_one_tab_per_section_in_the_glossary_order(monkeypatch, sqlite_url):
    app = methods_page(monkeypatch, sqlite_url)
    assert [tab.label for tab in app.tabs] == SECTIONS
    assert "Scales and data" in SECTIONS and "CX and sales" in SECTIONS and "References" in SECTIONS


def test_only_the_open_section_is_rendered(monkeypatch, sqlite_url):
    assert shown_sections(methods_page(monkeypatch, sqlite_url)) == [SECTIONS[0]]  # the first by default
    for title in SECTIONS:
        assert shown_sections(methods_page(monkeypatch, sqlite_url, section=title)) == [title], title


def test_a_link_to_another_section_opens_its_tab(monkeypatch, sqlite_url):
    """The intro links to "significant", a heading of "Changes over time": the link names that tab.
    Inside "Root cause", "change table" (in "Changes over time") points at its tab, "verdict" (in
    "Root cause" itself) stays an anchor on the page."""
    app = methods_page(monkeypatch, sqlite_url)
    intro = next(element.value for element in app.markdown if "How to read the numbers" in element.value)
    assert "[significant](?section=Changes%20over%20time#significant)" in intro
    app = methods_page(monkeypatch, sqlite_url, section="Root cause")
    section = next(element.value for element in app.markdown if element.value.startswith("## Root cause\n"))
    assert "[change table](?section=Changes%20over%20time#change-table)" in section
    assert "[verdict](#verdict)" in section
