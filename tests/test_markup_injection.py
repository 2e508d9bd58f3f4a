"""Nothing from outside becomes markup: names in the files, customers' words and the URL's query
parameters show as written on every page, never as a link, an image, an HTML tag, math, a colour or
an emphasis.

Every payload carries the word ``evil``; a finding is markup built around it. Each Markdown string a
page sends (bodies, labels, help, radio options, table cells) is read as Streamlit's Markdown would read
it: CommonMark with tables and strikethrough (markdown-it-py, raw HTML allowed), then what Streamlit
finds after parsing (bare URLs, e-mail addresses, ``:emoji:`` codes) and before it (``:material/``
icons, ``:red[...]`` directives, ``$`` math).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from cx.analysis.explain import record_action
from cx.analysis.goals import create_goal
from cx.config import make_engine
from cx.ingest import ImportOptions, ImportSummary, load_frame
from cx.ingest.demo import generate_brand
from cx.present.markup import display_name, escape_markdown
from cx.store.schema import upgrade_schema
from ui.shared.filters import FILTER_KEYS

PAGES = ["ui/summary.py", "ui/compare.py", "ui/touchpoints.py", "ui/root_cause/page.py", "ui/goals.py",
         "ui/data.py", "ui/methods.py"]  # fmt: skip
SCOPED_PAGES = ["ui/summary.py", "ui/compare.py", "ui/touchpoints.py", "ui/root_cause/page.py", "ui/data.py"]
# What a page reads from the URL: the sidebar's filters, the root cause's drill path, the Methods tab.
QUERY_PARAMETERS = ("period", "from", "to", "compare", "region", "format", "store", "metric", "mode", "touchpoint",
                    "term", "section")  # fmt: skip

LINK = "[Log in again](https://evil.example/login)"
IMAGE = "![evil](https://evil.example/x.png)"
TAG = "<img src=evil onerror=alert(1)>"
ANCHOR = '<a href="https://evil.example">x</a>'
BOLD, SLANTED, STRUCK, CODE = "**evil-bold**", "_evil-slanted_", "~~evil-struck~~", "`evil-code`"
MATH, COLOUR, ICONS = "$evil$", ":red[evil]", ":material/evil: :smile: :streamlit:"
BARE = "https://evil.example/bare www.evil.example me@evil.example"
AUTOLINK = "<https://evil.example/auto>"
REVERSED = "\u202eevil\u202c"
PAYLOADS = [LINK, IMAGE, TAG, ANCHOR, BOLD, SLANTED, STRUCK, CODE, MATH, COLOUR, ICONS, BARE, AUTOLINK, "# evil",
            "> evil", "- evil", REVERSED]  # fmt: skip
QUERY = f"{LINK} {TAG} {MATH} {COLOUR} {BARE}"  # the value of each query parameter not given a real name

STORE = f"ST007 {LINK}"  # the store of the demo's planted incident, at its Delivery touchpoint
TOUCHPOINT = f"Delivery {IMAGE}"
REGIONS = {"Gulf": f"Gulf {TAG}", "Levant": f"Levant {LINK}"}
FORMATS = {"flagship": COLOUR, "mall": BOLD, "express": f"{MATH} express"}
TOUCHPOINTS = {"Delivery": TOUCHPOINT, "Checkout": f"{ICONS} Checkout", "Returns": ANCHOR,
               "In-store service": f"{BARE} {STRUCK}"}  # fmt: skip
ACTION = f"{LINK} {CODE} {SLANTED}"
FILE = f"{LINK} {TAG}.csv"

# --- reading Markdown as Streamlit does ------------------------------------------------------------

PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")  # a backslash escape: the character after it is literal
IN_HTML = {  # markup around a payload in the HTML that markdown-it renders
    "tag": re.compile(r"<[a-z][^>]*evil", re.I),
    "image": re.compile(r"<img\b", re.I),
    "emphasis": re.compile(r"<(strong|em|s|code)>evil-|<(h\d|li)>\s*evil|<blockquote>\s*<p>\s*evil", re.I),
    "bare link": re.compile(r"https?://evil|www\.evil|@evil\.", re.I),
    "shortcode": re.compile(r":evil:|:smile:|:streamlit:"),
    "bidi control": re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]"),
}
IN_SOURCE = {  # markup read from the source, where a backslash escape still shows
    "directive": re.compile(r":[a-z][\w-]*\[[^\]]*evil", re.I),
    "icon": re.compile(r":material/evil"),
    "math": re.compile(r"\$[^$]*evil[^$]*\$"),
}


def markup_found(body: str) -> list[str]:
    """The kinds of markup ``body`` builds from a payload (empty when it shows every payload as text)."""
    rendered = PARSER.render(body)
    source = ESCAPE.sub("\ue000", body)
    found = [kind for kind, pattern in IN_HTML.items() if pattern.search(rendered)]
    return found + [kind for kind, pattern in IN_SOURCE.items() if pattern.search(source)]


def reads(body: str) -> str:
    """What a person reads: the rendered text without tags, entities and word joiners."""
    text = re.sub(r"<[^>]+>", "", PARSER.render(body))
    return " ".join(html.unescape(text).replace("\u2060", "").split())


# --- escape_markdown -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Café & Co. (Mall)", r"Café \& Co\. \(Mall\)"),
        (LINK, r"\[Log in again\]\(https\:" + "\u2060" + r"\/\/evil\.example\/login\)"),
        (IMAGE, r"\!\[evil\]\(https\:" + "\u2060" + r"\/\/evil\.example\/x\.png\)"),
        (TAG, r"\<img src\=evil onerror\=alert\(1\)\>"),
        (BOLD, r"\*\*evil\-bold\*\*"),
        (MATH, r"\$evil\$"),
        (COLOUR, r"\:" + "\u2060" + r"red\[evil\]"),
        (":smile: now", r"\:" + "\u2060" + "smile: now"),
        ("www.evil.example", "www\u2060" + r"\.evil\.example"),
        ("me@evil.example", r"me\@" + "\u2060" + r"evil\.example"),
        ("a -> b", "a \\-\u2060\\> b"),
        ("| a | b |", r"\| a \| b \|"),
        ("# 1. one\nline\r\n\t two", r"\# 1\. one line two"),
        ("back\\slash", r"back\\slash"),
        ("Region: Gulf", "Region: Gulf"),  # a colon before a space starts nothing
        (REVERSED, "evil"),
        (7, "7"),
    ],
)
def test_escape_markdown(text, expected):
    assert escape_markdown(text) == expected


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_is_markup_unescaped_and_reads_as_written_escaped(payload):
    assert markup_found(payload)  # the check sees each payload's markup
    escaped = escape_markdown(payload)
    assert markup_found(escaped) == []
    assert markup_found(f"**{escaped}** in a sentence") == []
    assert reads(escaped) == display_name(payload)


def test_a_sentences_own_bold_still_works():
    assert PARSER.render(f"**{escape_markdown(STORE)}**").startswith("<p><strong>ST007 [Log in again]")


def test_bidi_controls_are_removed_for_display():
    assert display_name("ab\u202ec\u2066d\u2069\u200e\u200f") == "abcd"


# --- every page, with a brand made of payloads ------------------------------------------------------


@pytest.fixture(scope="module")
def payload_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("markup")
    url = f"sqlite:///{folder / 'cx.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    load_payload_brand(engine, folder)
    engine.dispose()
    return url


def load_payload_brand(engine, folder: Path) -> None:
    """Eight stores over 18 months with the demo's planted incident, every name and some of the
    customers' words replaced by payloads; a goal per region and per store, an action for the store."""
    brand = generate_brand(7, name=f"Brand {ANCHOR}", n_stores=8, n_regions=2, months=18, tiny_store=None,
                           new_stores=0, low_region=None, responses_per_store_month=30,
                           reviews_per_store_month=5)  # fmt: skip
    frames = {kind: frame.replace({"store_id": {"ST007": STORE}}) for kind, frame in brand.frames.items()}
    stores = frames["stores"]
    stores["name"] = [
        f"{name} {PAYLOADS[number % len(PAYLOADS)]}" for number, name in enumerate(stores["name"])
    ]
    stores["region"] = stores["region"].map(REGIONS)
    stores["format"] = stores["format"].map(FORMATS)
    stores["district"] = stores["city"] = f"City {TAG}"
    for kind in ("nps", "surveys"):
        frames[kind]["touchpoint"] = frames[kind]["touchpoint"].replace(TOUCHPOINTS)
    nps = frames["nps"]
    nps["comment"] = nps["comment"].mask(nps.index % 2 == 0, nps["comment"] + f" {LINK} {BOLD} {MATH}")
    frames["reviews"]["text"] = frames["reviews"]["text"] + f" {TAG} {COLOUR}"
    for kind, frame in frames.items():
        options = ImportOptions(constants={"brand": brand.name} if kind == "stores" else {})
        load_frame(engine, kind, frame, options, name=f"{kind} {FILE}", reports_dir=folder)
    end = dt.date.fromisoformat(brand.story["period"]["end"])
    for scope_type, scope_value in (("region", REGIONS["Levant"]), ("store", STORE)):
        create_goal(engine, metric="nps", scope_type=scope_type, scope_value=scope_value,
                    period_start=end.replace(month=1, day=1), period_end=end.replace(month=12, day=31), target=90)  # fmt: skip
    record_action(
        engine, action_date=dt.date(2026, 3, 15), scope_type="store", scope_value=STORE, description=ACTION
    )


def markdown_strings(app: AppTest) -> list[str]:
    """Every string the page sends that Streamlit renders as Markdown."""
    found = []
    nodes = [app._tree]
    while nodes:
        node = nodes.pop()
        nodes.extend(getattr(node, "children", {}).values())
        if node.type in ("text", "code", "exception", "json"):
            continue
        if node.type == "table":  # st.table renders its header and cells as Markdown
            found += [str(cell) for cell in [*node.value.columns, *node.value.to_numpy().ravel()]]
            continue
        proto = getattr(node, "proto", None)
        for field, value in proto.ListFields() if proto is not None else ():
            if (
                field.name in ("body", "label", "help", "delta", "captions")
                and field.type == field.TYPE_STRING
            ):
                found += [value] if isinstance(value, str) else list(value)
            elif field.name == "options" and node.type == "radio":
                found += list(value)
            elif field.name == "columns" and node.type == "dataframe":
                found += [column["help"] for column in json.loads(value).values() if column.get("help")]
    return found


def markup_on(app: AppTest) -> dict[str, list[str]]:
    """Each Markdown string of the page that builds markup from a payload, with what it builds."""
    assert not app.exception, [e.value for e in app.exception]
    return {body: kinds for body in markdown_strings(app) if (kinds := markup_found(body))}


def last_import() -> ImportSummary:
    rejects = pd.DataFrame(
        {"row": [2], "column": ["store_id"], "value": [LINK], "reason": [f"unknown store {TAG}"]}
    )
    return ImportSummary(kind="nps", file=FILE, rows_read=1, rows_rejected=1, error=f"no store {LINK} {TAG}",
                         notices=[f"notice {LINK}"], rejects=rejects)  # fmt: skip


def visit(monkeypatch, url: str, page: str, **params: str) -> AppTest:
    monkeypatch.setenv("CX_DATABASE_URL", url)
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    for key, value in params.items():
        app.query_params[key] = value
    app.session_state["data_last_import"] = last_import()
    app.run()
    if page != "ui/summary.py":
        app.switch_page(page).run()
    return app


def test_the_walk_feeds_every_query_parameter_a_page_reads():
    """The sidebar's filters, each ``st.query_params.get("...")`` and each widget bound to the URL."""
    read = set(FILTER_KEYS)
    for script in (Path(__file__).resolve().parents[1] / "ui").rglob("*.py"):
        text = script.read_text(encoding="utf-8")
        read |= set(re.findall(r'query_params\.get\("(\w+)"\)', text))
        read |= set(re.findall(r'key="(\w+)", bind="query-params"', text))
    assert read == set(QUERY_PARAMETERS)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_turns_a_store_touchpoint_or_word_into_markup(monkeypatch, payload_url, page):
    """At the payload store and its payload touchpoint, every other query parameter carrying payloads
    (but ``region``: a region that does not exist is refused, the next test walks the payload region)."""
    params = dict.fromkeys(set(QUERY_PARAMETERS) - {"region"}, QUERY) | {
        "store": STORE,
        "touchpoint": TOUCHPOINT,
        "term": QUERY,
    }
    app = visit(monkeypatch, payload_url, page, **params)
    assert markup_on(app) == {}
    if page != "ui/methods.py":  # the glossary names nothing from the data
        assert "evil" in " ".join(reads(body) for body in markdown_strings(app))  # the payloads were shown


@pytest.mark.parametrize("page", SCOPED_PAGES)
def test_no_page_turns_a_region_or_format_into_markup(monkeypatch, payload_url, page):
    """In the payload region and format, over a custom period whose dates are payloads."""
    params = dict.fromkeys(QUERY_PARAMETERS, QUERY) | {"region": REGIONS["Levant"], "format": FORMATS["mall"],
                                                       "period": "custom"}  # fmt: skip
    app = visit(monkeypatch, payload_url, page, **params)
    assert markup_on(app) == {}


def test_root_cause_names_an_unknown_touchpoint_and_word_as_text(monkeypatch, payload_url):
    app = visit(monkeypatch, payload_url, "ui/root_cause/page.py", store=STORE, touchpoint=QUERY, term=QUERY)
    assert markup_on(app) == {}
    shown = " ".join(reads(body) for body in markdown_strings(app))
    assert f"has no answers at touchpoint {QUERY} in both windows" in shown
    assert f"use “{QUERY}”." in shown


def test_names_read_as_written_at_the_store(monkeypatch, payload_url):
    app = visit(monkeypatch, payload_url, "ui/root_cause/page.py", store=STORE, touchpoint=TOUCHPOINT)
    shown = " ".join(reads(body) for body in markdown_strings(app))
    for name in (STORE, TOUCHPOINT, ACTION, f"Levant {LINK}"):
        assert name in shown


def test_data_page_shows_an_uploaded_files_name_columns_and_values_as_text(monkeypatch, payload_url):
    """A file whose name, column and values are payloads: its preview, its check and its rejected rows
    (every row names an unknown store, so nothing is loaded)."""
    content = (
        f"Store ID,Date,NPS,Note {LINK}\n{LINK},2026-10-01,3,{TAG}\n{TAG},2026-10-02,9,{BOLD}\n".encode()
    )
    app = visit(monkeypatch, payload_url, "ui/data.py")
    app.selectbox(key="data_kind").set_value("nps").run()
    app.file_uploader(key="data_file").set_value((FILE, content, "text/csv")).run()
    app.button(key="data_validate").click().run()
    assert markup_on(app) == {}
    assert f"Columns ignored: Note {LINK}" in [reads(caption.value) for caption in app.caption]
    app.button(key="data_import").click().run()
    assert markup_on(app) == {}
    assert f"NPS file {FILE} imported as batch" in reads(app.success[0].value)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("page", ["ui/summary.py", "ui/root_cause/page.py"])
def test_payloads_kept_in_postgresql_show_as_text(monkeypatch, database_url, tmp_path, page):
    """The same names and words stored in PostgreSQL: read back and shown as text, not markup."""
    engine = make_engine(database_url)
    load_payload_brand(engine, tmp_path)
    engine.dispose()
    app = visit(monkeypatch, database_url, page, store=STORE, touchpoint=TOUCHPOINT, term=QUERY)
    assert markup_on(app) == {}
    assert "evil" in " ".join(reads(body) for body in markdown_strings(app))
