"""The methods glossary (``cx/present/glossary.md``) that the Methods page renders with ``st.markdown``.

Checks the contract of the page, not its prose: every key the code and CLI JSON emit is defined (as a
``### key`` heading or a ``- `key` — ...`` definition line), every ``$$`` block and inline ``$...$`` is
balanced, internal links land on a heading, and every section and entry cites a listed source.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

GLOSSARY = Path(__file__).resolve().parents[1] / "cx" / "present" / "glossary.md"

METRIC_KEYS = (
    "nps", "nps_low", "nps_high", "nps_n", "promoters_pct", "passives_pct", "detractors_pct",
    "csat_mean", "csat_top2", "csat_top2_low", "csat_top2_high", "csat_n", "ces_mean", "ces_n",
    "rating", "rating_shrunk", "reviews_n", "revenue", "transactions", "avg_ticket",
)  # fmt: skip
COMPARE_KEYS = (
    "value", "low", "high", "n", "shrunk", "rank", "rank_low", "rank_high", "funnel_95", "funnel_998",
)  # fmt: skip
CONSISTENCY_KEYS = (
    "metric", "n_stores", "sd", "iqr", "range", "cv", "true_sd", "icc", "kruskal_p", "anova_p",
    "within_band_pct", "band", "index",
)  # fmt: skip
DRIVER_KEYS = ("driver", "weight", "weight_low", "weight_high", "share_pct", "performance")
ALL_KEYS = METRIC_KEYS + COMPARE_KEYS + CONSISTENCY_KEYS + DRIVER_KEYS

SECTIONS = (
    "Scales and data",
    "NPS",
    "Proportions",
    "Means",
    "Reviews",
    "Sales",
    "Comparing locations",
    "Changes over time",
    "Root cause",
    "Consistency across locations",
    "Touchpoints and journey",
    "Key drivers",
    "CX and sales",
    "References",
)

HEADING = re.compile(r"^### (.+?)\s*$", re.MULTILINE)
DEFINITION = re.compile(r"^\s*- `([^`]+)` — ", re.MULTILINE)
REFERENCE = re.compile(r"^- (?P<authors>[^\n]+?) \((?P<year>\d{4}[a-z]?)\)\.", re.MULTILINE)
SOURCE = re.compile(r"^\*\*Source\.\*\*", re.MULTILINE)
BLOCK_FENCE = "$$"


@cache
def glossary() -> str:
    return GLOSSARY.read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """``## `` title -> body (up to the next ``## ``); the intro before the first one is left out."""
    parts = re.split(r"^## (.+?)\s*$", glossary(), flags=re.MULTILINE)
    return {title: body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def entries(body: str) -> dict[str, str]:
    """``### `` title -> body within one section."""
    parts = re.split(r"^### (.+?)\s*$", body, flags=re.MULTILINE)
    return {title: text for title, text in zip(parts[1::2], parts[2::2], strict=True)}


def source_paragraphs(body: str) -> list[str]:
    """Each ``**Source.**`` paragraph, joined onto one line."""
    found = []
    for paragraph in re.split(r"\n\s*\n", body):
        if SOURCE.match(paragraph.strip()):
            found.append(" ".join(paragraph.split()))
    return found


def references() -> list[tuple[str, str]]:
    """(first author's surname, year) of every entry in the References list."""
    listed = sections()["References"]
    items = [item for item in re.split(r"\n(?=- )", listed.strip()) if item.startswith("- ")]
    keys = []
    for item in items:
        match = REFERENCE.match(" ".join(item.split()))
        assert match, f"reference not in 'Authors (year). Title ...' form: {item[:80]!r}"
        keys.append((match["authors"].split(",")[0].strip(), match["year"]))
    return keys


def cites(text: str, surname: str, year: str) -> bool:
    return re.search(rf"\b{re.escape(surname)}\b[^()]*\({year}\)", text) is not None


def slug(title: str) -> str:
    """The anchor Streamlit gives a heading (lower case, runs of other characters become '-')."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def math_outside_blocks() -> list[str]:
    """The text between ``$$`` blocks, line by line."""
    text = glossary()
    return [line for part in text.split(BLOCK_FENCE)[::2] for line in part.splitlines()]


def blocks() -> list[str]:
    return glossary().split(BLOCK_FENCE)[1::2]


def braces_balanced(formula: str) -> bool:
    depth = 0
    for character in re.sub(r"\\[{}]", "", formula):
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


# --- the file and its keys -----------------------------------------------------------------------


def test_glossary_exists_and_has_content():
    assert GLOSSARY.is_file(), f"{GLOSSARY} is missing: the Methods page renders it"
    assert len(glossary()) > 1000


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_key_is_defined(key):
    defined = set(HEADING.findall(glossary())) | set(DEFINITION.findall(glossary()))
    assert key in defined, f"{key!r} needs a '### {key}' heading or a '- `{key}` — ...' definition line"


def test_every_key_the_code_emits_is_defined():
    from cx.analysis.consistency import CONSISTENCY_KEYS as code_consistency_keys
    from cx.analysis.drivers import DRIVER_KEYS as code_driver_keys
    from cx.cli import COMPARE_KEYS as cli_compare_keys
    from cx.metrics.tables import METRIC_COLUMNS

    defined = set(HEADING.findall(glossary())) | set(DEFINITION.findall(glossary()))
    emitted = set(METRIC_COLUMNS) | set(cli_compare_keys) | set(code_consistency_keys) | set(code_driver_keys)
    assert sorted(emitted - defined) == []


def test_every_registry_metric_has_its_glossary_entry():
    from cx.metrics.registry import METRICS

    headings = set(HEADING.findall(glossary()))
    missing = sorted(f"{key} -> {m.glossary}" for key, m in METRICS.items() if m.glossary not in headings)
    assert missing == []


def test_sections_are_the_methods_page_outline():
    assert tuple(sections()) == SECTIONS


def test_headings_are_unique_so_every_anchor_is():
    headings = HEADING.findall(glossary())
    slugs = [slug(title) for title in headings]
    assert sorted({s for s in slugs if slugs.count(s) > 1}) == []


def test_internal_links_point_at_a_heading():
    anchors = {slug(title) for title in re.findall(r"^#{1,6} (.+?)\s*$", glossary(), flags=re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", glossary())
    assert links, "expected links between entries"
    assert sorted(set(links) - anchors) == []


# --- LaTeX ---------------------------------------------------------------------------------------


def test_display_math_blocks_are_balanced():
    text = glossary()
    fences = [line for line in text.splitlines() if line.strip() == BLOCK_FENCE]
    assert text.count(BLOCK_FENCE) == len(fences), "'$$' only on a line of its own"
    assert len(fences) % 2 == 0, "a '$$' block is not closed"
    assert blocks(), "expected display formulas"
    for formula in blocks():
        assert formula.strip(), "empty '$$' block"
        assert braces_balanced(formula), f"unbalanced braces in $$ {formula.strip()[:60]} $$"
        assert formula.count(r"\left") == formula.count(r"\right"), formula.strip()[:60]


def test_inline_math_is_balanced_on_each_line():
    for line in math_outside_blocks():
        dollars = re.findall(r"(?<!\\)\$", line)
        assert len(dollars) % 2 == 0, f"unbalanced '$' in: {line}"
        for formula in re.findall(r"(?<!\\)\$([^$]+)\$", line):
            assert braces_balanced(formula), f"unbalanced braces in ${formula}$"


# --- sources -------------------------------------------------------------------------------------


def test_references_are_listed_in_citation_form():
    keys = references()
    assert len(keys) >= 20
    assert len(set(keys)) == len(keys), "a reference is listed twice"


@pytest.mark.parametrize("title", [title for title in SECTIONS if title != "References"])
def test_each_section_cites_a_listed_source(title):
    paragraphs = source_paragraphs(sections()[title])
    assert paragraphs, f"section {title!r} has no '**Source.**' paragraph"
    text = " ".join(paragraphs)
    assert any(cites(text, surname, year) for surname, year in references()), (
        f"section {title!r} cites nothing from the References list"
    )


def test_each_entry_states_its_source():
    missing = [
        f"{section} / {entry}"
        for section, body in sections().items()
        if section != "References"
        for entry, text in entries(body).items()
        if not source_paragraphs(text)
    ]
    assert missing == []


def test_every_reference_is_cited_in_the_body():
    body = " ".join(" ".join(text.split()) for title, text in sections().items() if title != "References")
    uncited = [f"{surname} ({year})" for surname, year in references() if not cites(body, surname, year)]
    assert uncited == []
