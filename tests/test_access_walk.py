"""The security walk, on SQLite and PostgreSQL: signed in as a regional or a store manager, no page,
address, drill-down, download or command sends a store, region, comment or customer outside the grant;
the whole-brand roles see every region; the sign-in refuses wrong, locked, disabled and expired users and
keeps a password nowhere but in its Argon2id hash.

Every page run, command and scan of what they sent counts as a probe; the module ends by printing
``access walk: N probes, M leaks`` (``pytest -s`` shows it), with one such line per database before it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest
import streamlit
from sqlalchemy import MetaData, select, text
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from cx.access.viewer import Viewer
from cx.analysis.explain import record_action
from cx.analysis.goals import create_goal
from cx.analysis.health import SOURCE_LABELS
from cx.cli import main
from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.ingest.demo import DemoBrand, generate_brand
from cx.store.linking import link_customers
from cx.store.schema import upgrade_schema
from cx.store.sessions import session_for
from cx.store.users import add_user, disable, grant, revoke
from tests.apptest import APP
from tests.brands import load_brand
from tests.conftest import _drop_schema, _postgres_schema_url
from tests.helpers import as_read

PAGES = {
    "ui/summary.py": "Executive summary",
    "ui/compare.py": "Compare locations",
    "ui/touchpoints.py": "Touchpoints & journey",
    "ui/root_cause/page.py": "Root cause",
    "ui/goals.py": "Goals",
    "ui/customers.py": "Customers",
    "ui/data.py": "Data",
    "ui/methods.py": "Methods",
}
ROOT_CAUSE = "ui/root_cause/page.py"
LISTS_STORES = set(PAGES) - {"ui/methods.py"}  # pages whose own content names stores (not only the sidebar)
ADMIN = "ui/admin.py"
REFUSAL = "This address names a {noun} that is not among the {noun}s you may see"
LONG_TEXT = 20  # a comment or review longer than this tells whose it is
# Every control of the Root cause page that moves the investigation (ui/root_cause/*.py).
DRILLS = ("root_go_region", "root_go_store", "root_go_cell", "root_go_found", "root_go_touchpoint",
          "root_go_touchpoint_why", "root_go_term")  # fmt: skip
PICKS = ("root_where_pick", "root_touchpoint_pick", "root_term_pick")
PICK_MOVES = 2  # how often the drill-down walk moves each pick
READS = {  # command -> its arguments, and the options that name a part of the brand
    "metrics": (["metrics", "--by", "store"], ("--store", "--region")),
    "compare": (["compare", "--metric", "nps"], ("--region",)),
    "consistency": (["consistency", "--metric", "nps"], ("--region",)),
    "drivers": (["drivers", "--target", "nps"], ("--store", "--region")),
    "explain": (["explain", "--metric", "nps"], ("--store", "--region")),
}
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2060]")


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    password: str
    grants: tuple[tuple[str, str], ...] = ()


ACCOUNTS = {
    "admin": Account("admin@walk.test", "admin", "admin walk passphrase"),
    "executive": Account("exec@walk.test", "executive", "executive walk passphrase"),
    "cx_lead": Account("lead@walk.test", "cx_lead", "lead walk passphrase"),
    "regional_manager": Account("east@walk.test", "regional_manager", "east walk passphrase",
                                (("region", "Arabia"),)),
    "store_manager": Account("olaya@walk.test", "store_manager", "olaya walk passphrase", (("store", "ST007"),)),
}  # fmt: skip
CONFINED = ("regional_manager", "store_manager")
WHOLE_BRAND = ("admin", "executive", "cx_lead")


# --- The brand, its markers and the forbidden tokens -------------------------------------------


def walk_brand() -> DemoBrand:
    """Nine stores in three regions (Gulf ST001-3, Levant ST004-6, Arabia ST007-9), the incident at
    ST007 Delivery."""
    return generate_brand(5, n_stores=9, n_regions=3, months=14, tiny_store=None, new_stores=0,
                          responses_per_store_month=10, reviews_per_store_month=3)  # fmt: skip


def marker(store_id: str) -> str:
    return f"zebra{store_id}quartz"


def marker_customer(store_id: str) -> str:
    return f"cust{store_id}x"


def marker_frames(stores: list[str], day: str) -> dict[str, pd.DataFrame]:
    """One NPS answer, one survey answer and one review per store on ``day``, each carrying the store's
    marker as its text and (answers) the store's marker customer."""
    at = f"{day} 12:00:00"
    texts, customers = [marker(s) for s in stores], [marker_customer(s) for s in stores]
    return {
        "nps": pd.DataFrame({"response_id": [f"NZ{s}" for s in stores], "store_id": stores, "responded_at": at,
                             "score": 2, "touchpoint": "Delivery", "comment": texts, "customer_id": customers}),
        "surveys": pd.DataFrame({"response_id": [f"SZ{s}" for s in stores], "store_id": stores,
                                 "responded_at": at, "touchpoint": "Delivery", "csat": 2, "ces": 6,
                                 "comment": texts, "customer_id": customers}),
        "reviews": pd.DataFrame({"review_id": [f"RZ{s}" for s in stores], "store_id": stores, "posted_at": at,
                                 "rating": 1, "text": texts, "platform": "Google", "language": "en"}),
    }  # fmt: skip


def customer_name(customer_id: str) -> str:
    """The CRM name of a customer: their own marker."""
    return f"Name{customer_id}q"


def crm_frame(brand: DemoBrand, stores: list[str]) -> pd.DataFrame:
    """One CRM customer per customer id the answers carry, the stores' marker customers included."""
    answers = pd.concat([brand.frames["nps"], brand.frames["surveys"]])
    ids = sorted(set(answers["customer_id"].dropna()) | {marker_customer(s) for s in stores})
    return pd.DataFrame({"customer_id": ids, "name": [customer_name(c) for c in ids]})


def action_text(place: str) -> str:
    """The description of the action recorded for a region or store."""
    return f"Retrained the team of {place}"


def record_plans(engine, brand: DemoBrand) -> None:
    """A goal and an action for every region and every store, each naming whom it is for."""
    stores = brand.frames["stores"]
    end = dt.date.fromisoformat(brand.story["period"]["end"])
    year = {"period_start": dt.date(end.year, 1, 1), "period_end": dt.date(end.year, 12, 31)}
    places = [("region", region) for region in sorted(stores["region"].unique())]
    places += [("store", store) for store in stores["store_id"]]
    for scope_type, value in places:
        create_goal(engine, metric="nps", scope_type=scope_type, scope_value=value, target=40.0,
                    created_by="admin@walk.test", **year)  # fmt: skip
        record_action(engine, action_date=end - dt.timedelta(days=60), scope_type=scope_type,
                      scope_value=value, description=action_text(value), recorded_by="admin@walk.test")  # fmt: skip


def build_walk_database(url: str, folder: Path, brand: DemoBrand) -> None:
    """The brand through the real importer, its markers on its last day, the users, goals and actions."""
    engine = make_engine(url)
    upgrade_schema(engine)
    load_brand(engine, brand, folder)
    stores = list(brand.frames["stores"]["store_id"])
    for kind, frame in marker_frames(stores, brand.story["period"]["end"]).items():
        load_frame(engine, kind, frame, ImportOptions(), name=f"markers-{kind}", reports_dir=folder)
    load_frame(engine, "customers", crm_frame(brand, stores), ImportOptions(), name="crm", reports_dir=folder)
    link_customers(engine, actor="setup")
    for account in ACCOUNTS.values():
        add_user(engine, account.email, role=account.role, password=account.password,
                 grants=list(account.grants), actor="setup")  # fmt: skip
    record_plans(engine, brand)
    engine.dispose()


def visible_stores(brand: DemoBrand, role: str) -> set[str]:
    stores = brand.frames["stores"]
    level, value = ACCOUNTS[role].grants[0]
    return set(stores.loc[stores["region" if level == "region" else "store_id"] == value, "store_id"])


def flat(text: str) -> str:
    """``text`` as the pages write it: runs of white space as one space, no bidi controls."""
    return re.sub(r"\s+", " ", BIDI_CONTROLS.sub("", str(text))).strip()


def only_at(rows: pd.DataFrame, column: str, others: set[str]) -> set[str]:
    """The values of ``column`` that occur only in rows of the ``others`` stores."""
    rows = rows.loc[rows[column].astype(str).str.strip() != "", ["store_id", column]]
    stores = rows.groupby(rows[column].astype(str))["store_id"].agg(set)
    return {value for value, found in stores.items() if found <= others}


@dataclass(frozen=True)
class Forbidden:
    """What a confined role must never be sent. ``ids`` (store and customer ids) match only where no
    digit follows (ST001 is not inside ST0010); ``words`` (names, markers, texts) anywhere."""

    ids: frozenset[str]
    words: frozenset[str]

    def found(self, payload: bytes) -> list[str]:
        """The tokens in ``payload``'s bytes or in the same bytes read as the pages escape text."""
        views = (payload, readable(payload))
        hits = {token for view in views for token in self._ids_in(view)}
        hits |= {token for token in self.words if any(token.encode() in view for view in views)}
        return sorted(hits)

    def _ids_in(self, view: bytes) -> set[str]:
        """The ids in ``view``: every place one of their two-byte beginnings occurs is looked at."""
        hits = set()
        for start_bytes, lengths in self._beginnings.items():
            start = view.find(start_bytes)
            while start != -1:
                for length in lengths:
                    piece = view[start : start + length]
                    if piece in self._encoded_ids and not view[start + length : start + length + 1].isdigit():
                        hits.add(piece.decode())
                start = view.find(start_bytes, start + 1)
        return hits

    @cached_property
    def _encoded_ids(self) -> frozenset[bytes]:
        return frozenset(token.encode() for token in self.ids)

    @cached_property
    def _beginnings(self) -> dict[bytes, set[int]]:
        """The ids' first two bytes, each with the lengths of the ids that begin so."""
        beginnings: dict[bytes, set[int]] = {}
        for token in self._encoded_ids:
            beginnings.setdefault(token[:2], set()).add(len(token))
        return beginnings


def within(text: str, texts: set[str]) -> bool:
    """Whether ``text`` is part of one of ``texts`` (a comment of another store that is also the start
    of a visible one tells nothing)."""
    return any(text in other for other in texts)


def linked_records(url: str) -> pd.DataFrame:
    """``customer_id, store_id`` of every record linked to a customer (by any key, not only the id)."""
    engine = make_engine(url)
    sql = " UNION ALL ".join(
        f"SELECT l.customer_id, r.store_id FROM customer_link l JOIN {table} r ON r.{key} = l.record_id "
        f"WHERE l.source = '{source}' AND l.status = 'linked'"
        for source, table, key in (("nps", "nps_response", "response_id"), ("survey", "survey_response",
                                   "response_id"), ("transaction", "purchase", "transaction_id"))
    )  # fmt: skip
    with engine.connect() as connection:
        linked = pd.DataFrame(connection.execute(text(sql)).all(), columns=["customer_id", "store_id"])
    engine.dispose()
    return linked


def forbidden_for(brand: DemoBrand, visible: set[str], linked: pd.DataFrame | None = None) -> Forbidden:
    """Every other store's id and name, every region without a visible store, the markers and marker
    customers of the other stores, the long texts and customer ids found only at other stores, and the
    actions of the other stores and of the regions not wholly visible."""
    stores = brand.frames["stores"]
    others = set(stores["store_id"]) - visible
    own_regions = set(stores.loc[stores["store_id"].isin(visible), "region"])
    answers = pd.concat([brand.frames["nps"], brand.frames["surveys"], linked])
    texts = pd.concat([brand.frames["nps"][["store_id", "comment"]].rename(columns={"comment": "text"}),
                       brand.frames["surveys"][["store_id", "comment"]].rename(columns={"comment": "text"}),
                       brand.frames["reviews"][["store_id", "text"]]])  # fmt: skip
    texts = texts.assign(text=texts["text"].map(flat))
    seen = set(texts.loc[texts["store_id"].isin(visible), "text"].dropna())
    outside = stores.loc[stores["store_id"].isin(others)]
    customers = {marker_customer(s) for s in others} | only_at(answers, "customer_id", others)
    ids = others | customers
    words = (set(outside["name"]) | (set(stores["region"]) - own_regions) | {marker(s) for s in others}
             | {customer_name(c) for c in customers}
             | {action_text(place) for place in others | set(outside["region"])}
             | {t for t in only_at(texts, "text", others) if len(t) > LONG_TEXT and not within(t, seen)})  # fmt: skip
    return Forbidden(frozenset(ids), frozenset(words))


def occurs(haystack: bytes, token: bytes, *, bounded: bool) -> bool:
    """Whether ``token`` is in ``haystack``; with ``bounded``, only where no ASCII digit follows it."""
    start = haystack.find(token)
    while start != -1:
        after = haystack[start + len(token) : start + len(token) + 1]
        if not bounded or not after.isdigit():
            return True
        start = haystack.find(token, start + 1)
    return False


def readable(payload: bytes) -> bytes:
    r"""``payload`` with the escapes a page or a JSON spec puts into text undone (``\u0627``, Markdown's
    ``\.``, word joiners, bidi controls, runs of white space), so an escaped text is found too."""
    text = payload.decode("utf-8", errors="replace")
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    return flat(text).encode()


# --- The walk's record ------------------------------------------------------------------------


@dataclass
class Walk:
    """One database of the walk: its URL, the brand in it, and the probes and leaks counted on it."""

    database: str
    url: str
    brand: DemoBrand
    linked: pd.DataFrame  # customer_id, store_id of each record linked to a customer
    probes: int = 0
    leaks: list[str] = field(default_factory=list)

    def forbidden(self, role: str) -> Forbidden:
        return forbidden_for(self.brand, visible_stores(self.brand, role), self.linked)

    def scan(self, where: str, parts: list[tuple[str, bytes]], forbidden: Forbidden) -> list[str]:
        """Count a scan of ``parts`` (what one run or command sent); record and return each leak."""
        self.probes += 1
        found = forbidden.found(b"\n".join(data for _, data in parts))
        leaks = [f"{where}: {token!r} in {', '.join(sorted(_carriers(parts, token, forbidden)))}"
                 for token in found]  # fmt: skip
        self.leaks += leaks
        return leaks


def _carriers(parts: list[tuple[str, bytes]], token: str, forbidden: Forbidden) -> set[str]:
    one = Forbidden(frozenset({token}) & forbidden.ids, frozenset({token}) & forbidden.words)
    return {kind for kind, data in parts if one.found(data)}


WALKS: list[Walk] = []


@pytest.fixture(scope="module", autouse=True)
def _walk_tally():
    """Print the probes and leaks of the whole module at its end."""
    yield
    probes, leaks = sum(w.probes for w in WALKS), sum(len(w.leaks) for w in WALKS)
    print(f"\naccess walk: {probes} probes, {leaks} leaks")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def walk(request, tmp_path_factory):
    """The walk's database on SQLite or in a PostgreSQL schema of its own (dropped after)."""
    folder = tmp_path_factory.mktemp(f"walk_{request.param}")
    started = time.perf_counter()
    dropped = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'cx.db'}"
    else:
        admin, schema, url = _postgres_schema_url()
        dropped = (admin, schema)
    brand = walk_brand()
    try:
        build_walk_database(url, folder, brand)
        found = Walk(request.param, url, brand, linked_records(url))
        WALKS.append(found)
        yield found
        seconds = time.perf_counter() - started
        print(f"\naccess walk: {found.probes} probes, {len(found.leaks)} leaks on {request.param} "
              f"({seconds:.0f} s)" + "".join(f"\n  leak: {leak}" for leak in found.leaks))  # fmt: skip
    finally:
        if dropped:
            _drop_schema(*dropped)


@pytest.fixture
def engine(walk):
    engine = make_engine(walk.url)
    yield engine
    engine.dispose()


# --- Running the dashboard as someone ---------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch) -> list[bytes]:
    """The bytes of every ``st.download_button`` a run draws (str data as UTF-8)."""
    taken: list[bytes] = []
    original = streamlit.download_button

    def recording(label, data, *args, **kwargs):
        taken.append(data.encode() if isinstance(data, str) else data if isinstance(data, bytes) else
                     repr(data).encode())  # fmt: skip
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    return taken


def parts_of(node) -> list[tuple[str, bytes]]:
    """Each proto under ``node`` (elements and blocks: dataframe Arrow bytes, chart specs and datasets,
    widget options ...), serialised, with the type of its element."""
    parts: list[tuple[str, bytes]] = []
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "SerializeToString"):
        parts.append((str(getattr(node, "type", type(node).__name__)), proto.SerializeToString()))
    for child in getattr(node, "children", {}).values():
        parts += parts_of(child)
    return parts


def sent(app: AppTest, downloads: Iterable[bytes], asked: dict[str, str]) -> list[tuple[str, bytes]]:
    """Everything a run sent, by carrier: every element, each download's bytes, and the address
    parameters it wrote (those ``asked`` for, left as they were typed, are not the page's)."""
    downloaded = [("download", data) for data in downloads]
    written = {k: v for k, v in app.query_params.items() if asked.get(k) != v}
    return [*parts_of(app._tree), *downloaded, ("address", urlencode(written, doseq=True).encode())]


@dataclass
class Visitor:
    """A signed-in session of the dashboard: every run counts as a probe, and :meth:`scan` checks what
    the last run sent against the role's forbidden tokens."""

    app: AppTest
    walk: Walk
    role: str
    downloads: list[bytes]
    forbidden: Forbidden | None
    where: str = "sign-in"
    asked: dict = field(default_factory=dict)  # the address parameters of the last open

    def run(self) -> AppTest:
        self.downloads.clear()
        self.walk.probes += 1
        return self.app.run()

    def open(self, page: str, **params) -> AppTest:
        """Switch to ``page`` with exactly ``params`` in the address, and run."""
        self.where = f"{self.role} {page}" + (f"?{urlencode(params, doseq=True)}" if params else "")
        self.asked = dict(params)
        self.app.query_params.clear()
        self.app.query_params.update(params)
        self.app.switch_page(page)
        return self.run()

    def click(self, key: str) -> AppTest:
        self.where += f" > {key}"
        self.app.button(key=key).click()
        return self.run()

    def pick(self, key: str, value) -> AppTest:
        """Choose ``value`` in the selectbox ``key`` (the value, not its label), and run."""
        self.where += f" > {key}={value}"
        self.app.selectbox(key=key).set_value(value)
        return self.run()

    def scan(self) -> list[str]:
        return self.walk.scan(self.where, sent(self.app, self.downloads, self.asked), self.forbidden)

    def payload(self, block: str | None = None) -> bytes:
        """What the last run sent, or only its ``main`` or ``sidebar`` block."""
        tree = self.app._tree if block is None else self.app._tree.children[0 if block == "main" else 1]
        return b"\n".join(data for _, data in parts_of(tree))


def submit(visitor: Visitor, email: str, password: str) -> AppTest:
    """Fill the sign-in form and submit it."""
    app = visitor.app
    app.text_input(key="sign_in_email").input(email)
    app.text_input(key="sign_in_password").input(password)
    app.button(key="sign_in_submit").click()
    return visitor.run()


def sign_in_page(monkeypatch, walk: Walk, downloads: list[bytes], role: str = "anyone") -> Visitor:
    """A new session of the dashboard on the walk's database, at its sign-in page."""
    monkeypatch.setenv("CX_DATABASE_URL", walk.url)
    app = AppTest.from_file(APP, default_timeout=120)
    visitor = Visitor(app, walk, role, downloads, walk.forbidden(role) if role in CONFINED else None)
    visitor.run()
    assert titles(app) == ["Sign in"]
    return visitor


def signed_in(monkeypatch, walk: Walk, downloads: list[bytes], role: str) -> Visitor:
    """A session signed in through the form as the walk's ``role`` user."""
    visitor = sign_in_page(monkeypatch, walk, downloads, role)
    account = ACCOUNTS[role]
    submit(visitor, account.email, account.password)
    assert "Sign in" not in titles(visitor.app), [e.value for e in visitor.app.error]
    return visitor


def titles(app: AppTest) -> list[str]:
    return [title.value for title in app.title]


def texts_of(elements) -> str:
    """The elements' texts as they read on the page (Markdown escapes undone)."""
    return " ".join(as_read(str(element.value)) for element in elements)


def keys_of(app: AppTest) -> set[str]:
    return {button.key for button in app.button} | {box.key for box in app.selectbox}


def other_parts(walk: Walk, role: str) -> tuple[list[str], list[str], str]:
    """The regions without a visible store, the other stores (those of the role's own region first)
    and the role's own region."""
    stores = walk.brand.frames["stores"]
    visible = visible_stores(walk.brand, role)
    own = stores.loc[stores["store_id"].isin(visible), "region"].iloc[0]
    others = stores.loc[~stores["store_id"].isin(visible)]
    ordered = list(others.loc[others["region"] == own, "store_id"]) + list(
        others.loc[others["region"] != own, "store_id"]
    )
    regions = sorted(set(stores["region"]) - set(stores.loc[stores["store_id"].isin(visible), "region"]))
    return regions, ordered, own


def refused_addresses(walk: Walk, role: str, page: str, turn: int) -> list[tuple[str, dict[str, str]]]:
    """The addresses that name a part of the brand outside the grant (noun refused, parameters); ``turn``
    rotates through the other regions and stores so that the pages together name each of them."""
    regions, stores, own = other_parts(walk, role)

    def store(step: int) -> str:
        return stores[(turn + step) % len(stores)]

    addresses = [
        ("region", {"region": regions[turn % len(regions)]}),
        ("store", {"store": store(0)}),
        ("store", {"store": store(1), "touchpoint": "Delivery"}),
        ("store", {"region": own, "store": store(2)}),
    ]
    if page == ROOT_CAUSE:
        addresses.append(("store", {"metric": "nps", "mode": "latest", "store": store(3)}))
    return addresses


def allowed_addresses(walk: Walk, role: str, page: str, turn: int) -> list[dict]:
    """Addresses inside the grant (the page renders), and on two pages a store named twice, once
    outside the grant (either refused or the page renders; nothing outside shows either way)."""
    _, stores, own = other_parts(walk, role)
    store = sorted(visible_stores(walk.brand, role))[0]
    addresses = [{"region": own}, {"store": store, "touchpoint": "Delivery"}]
    if page in ("ui/summary.py", ROOT_CAUSE):
        other = stores[turn % len(stores)]
        addresses += [{"store": [other, store]}, {"store": [store, other]}]
    return addresses


# --- Whole-brand roles ------------------------------------------------------------------------


@pytest.mark.parametrize("role", WHOLE_BRAND)
def test_whole_brand_roles_see_every_region(monkeypatch, walk, downloads, role):
    """Every page, with stores of every region. These run before the confined walk, which then reads
    the data cache these sessions filled. On the league table the scan finds every token of the regional
    manager's that a page listing every store carries: what the walk would catch if a page over-shared."""
    visitor = signed_in(monkeypatch, walk, downloads, role)
    expected = forbidden_for(walk.brand, visible_stores(walk.brand, "regional_manager"), walk.linked)
    stores = walk.brand.frames["stores"]
    pages = {**PAGES, ADMIN: "Admin"} if role == "admin" else PAGES
    for page, title in pages.items():
        app = visitor.open(page)
        assert not app.exception, (page, [e.value for e in app.exception])
        assert title in titles(app), page
        sent_bytes = visitor.payload("main" if page in LISTS_STORES else None)
        for region, ids in stores.groupby("region")["store_id"]:
            assert any(occurs(sent_bytes, s.encode(), bounded=True) for s in ids), (page, region)
        if page == "ui/compare.py":
            others = stores.loc[stores["region"] != "Arabia"]
            assert {*others["store_id"], *others["name"], *others["region"]} <= set(
                expected.found(sent_bytes)
            )


# --- Confined roles: pages and addresses ------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("role", CONFINED)
def test_no_page_or_address_sends_what_lies_outside_the_grant(monkeypatch, walk, downloads, role, page):
    visitor = signed_in(monkeypatch, walk, downloads, role)
    app = visitor.open(page)
    assert not app.exception, [e.value for e in app.exception]
    assert PAGES[page] in titles(app)
    leaks = visitor.scan()
    sidebar = visitor.payload("sidebar")
    assert all(occurs(sidebar, s.encode(), bounded=True) for s in visible_stores(walk.brand, role))
    for noun, params in refused_addresses(walk, role, page, list(PAGES).index(page)):
        app = visitor.open(page, **params)
        assert not app.exception, (params, [e.value for e in app.exception])
        assert REFUSAL.format(noun=noun) in texts_of(app.error), (params, texts_of(app.error))
        assert PAGES[page] not in titles(app), params
        leaks += visitor.scan()
    for params in allowed_addresses(walk, role, page, list(PAGES).index(page)):
        app = visitor.open(page, **params)
        assert not app.exception, (params, [e.value for e in app.exception])
        assert PAGES[page] in titles(app) or "This address names a store" in texts_of(app.error), params
        leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("role", CONFINED)
def test_a_customer_of_another_store_is_not_found_by_address_or_search(monkeypatch, walk, downloads, role):
    """The Customers page, asked by its address or its search box for another store's customer, says
    nobody matches and sends nothing of them; asked for one of the role's own, it shows them."""
    visitor = signed_in(monkeypatch, walk, downloads, role)
    _, stores, _ = other_parts(walk, role)
    leaks = []
    for other in stores[:3]:
        app = visitor.open("ui/customers.py", customer=marker_customer(other))
        assert not app.exception, [e.value for e in app.exception]
        assert "No customer matches this search among those you may see." in texts_of(app.warning)
        leaks += visitor.scan()
        app.text_input(key="customers_search").input(marker_customer(other)).run()
        visitor.walk.probes += 1
        assert "No customer matches this search among those you may see." in texts_of(app.warning)
        leaks += visitor.scan()
    own = sorted(visible_stores(walk.brand, role))[0]
    app = visitor.open("ui/customers.py", customer=marker_customer(own))
    assert customer_name(marker_customer(own)) in " ".join(h.value for h in app.subheader).replace("\\", "")
    leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("role", CONFINED)
def test_the_admin_page_is_out_of_reach(monkeypatch, walk, downloads, role):
    visitor = signed_in(monkeypatch, walk, downloads, role)
    try:
        visitor.app.switch_page(ADMIN)
    except ValueError:  # not among the pages the router registered for this role
        pass
    else:
        visitor.run()
        assert "Admin" not in titles(visitor.app)
    visitor.app._page_hash = calc_hash("admin")  # the page's own address (url path "admin"), typed in
    visitor.where = f"{role} /admin"
    app = visitor.run()
    assert not app.exception and "Admin" not in titles(app), titles(app)
    leaks = visitor.scan()
    assert not any(occurs(visitor.payload(), a.email.encode(), bounded=False)
                   for name, a in ACCOUNTS.items() if name != role)  # fmt: skip
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("role", CONFINED)
def test_the_admin_page_on_its_own_refuses_a_confined_viewer(monkeypatch, walk, downloads, role):
    """Even run without the router, the page lists no user for a viewer who may not manage users."""
    monkeypatch.setenv("CX_DATABASE_URL", walk.url)
    app = AppTest.from_file(str(Path(APP).parent / ADMIN), default_timeout=120)
    account = ACCOUNTS[role]
    app.session_state["viewer"] = Viewer(account.email, account.email, account.role,
                                         frozenset(visible_stores(walk.brand, role)))  # fmt: skip
    visitor = Visitor(app, walk, role, downloads, walk.forbidden(role), where=f"{role} {ADMIN} alone")
    visitor.run()
    assert "Only administrators open this page." in texts_of(app.error)
    assert not any(occurs(visitor.payload(), a.email.encode(), bounded=False)
                   for name, a in ACCOUNTS.items() if name != role)  # fmt: skip
    leaks = visitor.scan()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("role", CONFINED)
def test_the_data_page_offers_no_import_and_no_history(monkeypatch, walk, downloads, role):
    visitor = signed_in(monkeypatch, walk, downloads, role)
    app = visitor.open("ui/data.py")
    headers = [header.value for header in app.header]
    assert "Data health" in headers and "Import a file" not in headers and "Import history" not in headers
    assert not app.get("file_uploader") and not any(key.startswith("data_undo") for key in keys_of(app))
    assert not occurs(visitor.payload(), b"markers-", bounded=False)  # a batch's name, from the history
    leaks = visitor.scan()
    labels = app.selectbox(key="data_volume_source").options
    for source in [key for key, label in SOURCE_LABELS.items() if label in labels[1:]]:
        visitor.pick("data_volume_source", source)
        leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("role", CONFINED)
def test_goals_show_only_the_grant_and_only_a_regional_manager_sets_them(monkeypatch, walk, downloads, role):
    """A region's goal shows only to whom sees every store of it (the regional manager: Arabia and its
    three stores; the store manager: ST007's goal alone, not Arabia's, whose value counts ST008-9)."""
    visitor = signed_in(monkeypatch, walk, downloads, role)
    app = visitor.open("ui/goals.py")
    leaks = visitor.scan()
    visible = sorted(visible_stores(walk.brand, role))
    expected = (["Arabia"] if role == "regional_manager" else []) + visible
    assert sorted(_goal_place(label) for label in app.dataframe[0].value["goal"]) == sorted(expected)
    subheaders = [subheader.value for subheader in app.subheader]
    if role == "store_manager":
        assert "New goal" not in subheaders and "goal_scope_type" not in keys_of(app)
        assert "Your role sees the goals" in texts_of(app.caption)
    else:
        assert "New goal" in subheaders
        for scope_type in app.selectbox(key="goal_scope_type").options:
            visitor.pick("goal_scope_type", scope_type.lower())
            leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


def _goal_place(label: str) -> str:
    """``Arabia`` or ``ST007`` from a goal's label (``#3 NPS · Arabia · 2026``, ``#4 NPS · store ST007 · 2026``)."""
    return as_read(label).split(" · ")[1].split()[-1]


@pytest.mark.parametrize("role", CONFINED)
def test_compare_peer_groups_stay_inside_the_grant(monkeypatch, walk, downloads, role):
    """The peers of a store by format span regions; the peer groups still show only the grant."""
    visitor = signed_in(monkeypatch, walk, downloads, role)
    visitor.open("ui/compare.py")
    leaks = []
    for peer in ("same format", "same region"):
        visitor.where = f"{role} ui/compare.py > compare_peer={peer}"
        visitor.app.radio(key="compare_peer").set_value(peer)
        app = visitor.run()
        assert not app.exception, [e.value for e in app.exception]
        leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


def drill_once_each(visitor: Visitor, budget: int = 16) -> list[str]:
    """Use every drill-down control of the Root cause page once, scanning after each run: click a drill
    button not used yet; else move a pick (at most :data:`PICK_MOVES` times each) to show another; else
    go one level back up the path; stop when none is left or the ``budget`` of runs is spent."""
    used: set[str] = set()
    moves = dict.fromkeys(PICKS, 0)
    leaks: list[str] = []
    for _ in range(budget):
        app = visitor.app
        assert not app.exception, (visitor.where, [e.value for e in app.exception])
        present = keys_of(app)
        fresh = [key for key in DRILLS if key not in used and key in present]
        crumbs = sorted(
            (key for key in present if key.startswith("root_crumb_") and key not in used), reverse=True
        )
        if fresh:
            used.add(fresh[0])
            visitor.click(fresh[0])
        elif not _move_a_pick(visitor, moves):
            if not crumbs:
                break
            used.add(crumbs[0])
            visitor.click(crumbs[0])
        leaks += visitor.scan()
    return leaks


def _move_a_pick(visitor: Visitor, moves: dict[str, int]) -> bool:
    """Move the first pick that has moves left to its next option; False when none can move."""
    for box in visitor.app.selectbox:
        if box.key in moves and moves[box.key] < PICK_MOVES and len(box.options) > 1:
            moves[box.key] += 1  # the picks show their values as they are (display_name)
            visitor.pick(box.key, box.options[(box.options.index(str(box.value)) + 1) % len(box.options)])
            return True
    return False


@pytest.mark.parametrize("metric", ["nps", "rating"])
def test_the_root_cause_drill_down_stays_inside_the_grant(monkeypatch, walk, downloads, metric):
    visitor = signed_in(monkeypatch, walk, downloads, "regional_manager")
    app = visitor.open(ROOT_CAUSE, metric=metric)
    assert app.selectbox(key="root_metric").value == metric
    leaks = visitor.scan()
    leaks += drill_once_each(visitor)
    assert not leaks, "\n".join(leaks)


# --- Signing in -------------------------------------------------------------------------------


def new_account(engine, name: str, role: str = "executive", **grants) -> Account:
    account = Account(f"{name}@walk.test", role, f"{name} walk passphrase 42")
    add_user(engine, account.email, role=role, password=account.password, grants=list(grants.items()))
    return account


def session_token(visitor: Visitor) -> str:
    """The token of the session's sign-in (the browser keeps it in a cookie, the database its hash)."""
    return visitor.app.session_state["cx_session"]["token"]


def test_a_wrong_password_never_signs_in(monkeypatch, walk, downloads, engine):
    account = new_account(engine, "wrong")
    other = ACCOUNTS["executive"]
    visitor = sign_in_page(monkeypatch, walk, downloads)
    for email, password in ((account.email, account.password + "x"), (account.email, account.password.upper()),
                            (account.email, account.password[:-1]), (account.email, other.password),
                            ("nobody@walk.test", account.password)):  # fmt: skip
        app = submit(visitor, email, password)
        assert titles(app) == ["Sign in"], (email, password)
        assert "The e-mail address or the password is wrong." in texts_of(app.error)
        assert "cx_session" not in app.session_state


def test_the_sign_in_page_shows_nothing_of_the_brand(monkeypatch, walk, downloads):
    """Before signing in, whatever the address names, only the form shows: no store, region, comment,
    customer or user."""
    visitor = sign_in_page(monkeypatch, walk, downloads)
    visitor.forbidden = forbidden_for(walk.brand, set(), walk.linked)
    visitor.forbidden = Forbidden(
        visitor.forbidden.ids, visitor.forbidden.words | {a.email for a in ACCOUNTS.values()}
    )
    leaks = visitor.scan()
    for params in ({"store": "ST001"}, {"region": "Gulf", "store": "ST002", "touchpoint": "Delivery"}):
        visitor.where, visitor.asked = f"anyone ?{urlencode(params)}", params
        visitor.app.query_params.clear()
        visitor.app.query_params.update(params)
        app = visitor.run()
        assert titles(app) == ["Sign in"] and not app.exception
        leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


def test_a_wrong_password_does_not_tell_a_disabled_account_from_an_unknown_one(monkeypatch, walk, downloads,
                                                                             engine):  # fmt: skip
    account = new_account(engine, "retired")
    disable(engine, account.email)
    visitor = sign_in_page(monkeypatch, walk, downloads)
    refusals = [texts_of(submit(visitor, email, "a guess that is wrong").error)
                for email in (account.email, "nobody@walk.test")]  # fmt: skip
    assert refusals[0] == refusals[1], refusals


def test_five_wrong_passwords_lock_the_account_even_to_the_right_one(monkeypatch, walk, downloads, engine):
    account = new_account(engine, "locked")
    visitor = sign_in_page(monkeypatch, walk, downloads)
    for _ in range(5):
        submit(visitor, account.email, "not the passphrase at all")
    app = submit(visitor, account.email, account.password)
    assert titles(app) == ["Sign in"] and "cx_session" not in app.session_state
    assert "locked until" in texts_of(app.error)


def test_a_disabled_user_is_signed_out_at_the_next_rerun(monkeypatch, walk, downloads, engine):
    account = new_account(engine, "disabled", role="store_manager", store="ST007")
    visitor = sign_in_page(monkeypatch, walk, downloads)
    assert "Executive summary" in titles(submit(visitor, account.email, account.password))
    token = session_token(visitor)
    disable(engine, account.email)
    app = visitor.run()
    assert titles(app) == ["Sign in"] and "cx_session" not in app.session_state
    assert "disabled" in texts_of(app.warning) and "You are signed out." in texts_of(app.warning)
    assert session_for(engine, token) is None
    assert "This account is disabled" in texts_of(submit(visitor, account.email, account.password).error)


def test_a_changed_grant_takes_effect_at_the_next_rerun(monkeypatch, walk, downloads, engine):
    """Moved from Arabia to Gulf mid-session, a manager sees Gulf at the next rerun and nothing of
    Arabia, whatever the widgets and the address held."""
    account = new_account(engine, "moved", role="regional_manager", region="Arabia")
    visitor = sign_in_page(monkeypatch, walk, downloads)
    submit(visitor, account.email, account.password)
    visitor.role = "moved regional manager"
    visitor.open("ui/compare.py", store="ST008")
    assert "Compare locations" in titles(visitor.app)
    grant(engine, account.email, "region", "Gulf")
    revoke(engine, account.email, "region", "Arabia")
    visitor.forbidden = forbidden_for(walk.brand, {"ST001", "ST002", "ST003"}, walk.linked)
    visitor.where += " > grant moved to Gulf"
    app = visitor.run()
    assert REFUSAL.format(noun="store") in texts_of(app.error)  # the address still names ST008
    leaks = visitor.scan()
    app = visitor.open("ui/compare.py")
    assert "Compare locations" in titles(app) and not app.exception
    assert occurs(visitor.payload("main"), b"ST001", bounded=True)
    leaks += visitor.scan()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize(("hours", "age", "ends"), [
    (None, dt.timedelta(hours=13), True),
    (None, dt.timedelta(hours=11), False),
    ("0.5", dt.timedelta(minutes=40), True),
    ("0.5", dt.timedelta(minutes=20), False),
])  # fmt: skip
def test_a_session_ends_after_its_hours(monkeypatch, walk, downloads, engine, hours, age, ends):
    if hours is None:
        monkeypatch.delenv("CX_SESSION_HOURS", raising=False)
    else:
        monkeypatch.setenv("CX_SESSION_HOURS", hours)
    visitor = signed_in(monkeypatch, walk, downloads, "executive")
    token = session_token(visitor)
    session = visitor.app.session_state["cx_session"]
    visitor.app.session_state["cx_session"] = {**session, "since": dt.datetime.now() - age}
    app = visitor.run()
    if ends:
        assert titles(app) == ["Sign in"]
        assert f"Your session ended after {hours or 12} hours; sign in again." in texts_of(app.warning)
        assert session_for(engine, token) is None  # a reload with the cookie does not bring it back
    else:
        assert "Executive summary" in titles(app) and session_for(engine, token) is not None


def test_signing_out_returns_to_the_sign_in_page(monkeypatch, walk, downloads, engine):
    visitor = signed_in(monkeypatch, walk, downloads, "cx_lead")
    assert "Signed in as" in texts_of(visitor.app.sidebar.caption)
    token = session_token(visitor)
    assert session_for(engine, token)["email"] == ACCOUNTS["cx_lead"].email
    app = visitor.click("sign_out")
    assert titles(app) == ["Sign in"] and "cx_session" not in app.session_state
    assert "You are signed out." in texts_of(app.warning)
    assert titles(visitor.run()) == ["Sign in"]  # and stays out
    assert session_for(engine, token) is None  # the browser's cookie no longer signs in


def table_dump(engine) -> str:
    """Every row of every table, as text."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(repr(tuple(row)) for table in tables.sorted_tables
                         for row in connection.execute(select(table)))  # fmt: skip


def test_a_password_is_kept_only_as_its_argon2id_hash(monkeypatch, walk, downloads, engine, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    for name in ("streamlit", "sqlalchemy", "cx"):
        caplog.set_level(logging.DEBUG, logger=name)
    streamlit_log = logging.getLogger("streamlit")  # does not propagate to the root logger
    streamlit_log.addHandler(caplog.handler)
    try:
        account = new_account(engine, "secret")
        visitor = sign_in_page(monkeypatch, walk, downloads)
        submit(visitor, account.email, account.password + "!")
        assert "Executive summary" in titles(submit(visitor, account.email, account.password))
        assert main(["metrics", "--db", walk.url, "--as", account.email, "--json"]) == 0
    finally:
        streamlit_log.removeHandler(caplog.handler)
    out, err = capfd.readouterr()
    logged = "\n".join([caplog.text, *(repr((r.getMessage(), r.args)) for r in caplog.records)])
    dump = table_dump(engine)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT password_hash FROM app_user WHERE email = 'secret@walk.test'"
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    for secret in (account.password, account.password + "!"):
        assert secret not in logged and secret not in out and secret not in err and secret not in dump


# --- The command line -------------------------------------------------------------------------


def command(walk: Walk, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    walk.probes += 1
    code = main([*args, "--db", walk.url, "--json"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("read", list(READS))
@pytest.mark.parametrize("role", CONFINED)
def test_a_command_answers_a_manager_with_their_grant_only(walk, capsys, role, read):
    arguments, wheres = READS[read]
    email, forbidden = ACCOUNTS[role].email, walk.forbidden(role)
    code, out, err = command(walk, capsys, *arguments, "--as", email)
    assert code == 0 and out.strip(), err
    leaks = walk.scan(f"{role} python -m cx {read}", [("stdout", out.encode())], forbidden)
    regions, stores, own = other_parts(walk, role)
    for option, value in [(w, regions[0] if w == "--region" else stores[0]) for w in wheres]:
        code, out, err = command(walk, capsys, *arguments, option, value, "--as", email)
        assert code == 3 and out == "", (option, value, code, out)
        assert f"is outside what {email} may see." in err
    code, out, err = command(walk, capsys, *arguments, "--region", own, "--as", email)
    assert code == 0, err
    leaks += walk.scan(f"{role} python -m cx {read} --region {own}", [("stdout", out.encode())], forbidden)
    assert not leaks, "\n".join(leaks)


def test_a_store_managers_region_and_brand_are_their_store_alone(walk, capsys):
    """``--by region`` and ``--by brand`` for a store manager count the answers of their store only."""
    email = ACCOUNTS["store_manager"].email
    counts = []
    for by in ("store", "region", "brand"):
        code, out, err = command(walk, capsys, "metrics", "--by", by, "--as", email)
        assert code == 0, err
        counts.append([(row["nps"], row["nps_n"], row["reviews_n"]) for row in json.loads(out)])
    assert counts[0] == counts[1] == counts[2] and len(counts[0]) == 1


def test_a_command_as_an_unknown_or_disabled_user_exits_3(walk, capsys, engine):
    account = new_account(engine, "gone", role="regional_manager", region="Arabia")
    disable(engine, account.email)
    for email, reason in (("nobody@walk.test", "There is no user nobody@walk.test."),
                          (account.email, f"The user {account.email} is disabled.")):  # fmt: skip
        for read, (arguments, _) in READS.items():
            code, out, err = command(walk, capsys, *arguments, "--as", email)
            assert code == 3 and out == "" and reason in err, (read, email, code, err)


# --- The scan itself --------------------------------------------------------------------------


def test_the_scan_finds_a_token_however_a_page_sends_it():
    """Arrow bytes (cells run together), Markdown-escaped text, JSON, a chart's dataset and widget
    options all count; a store id inside a longer id does not."""

    def page():
        import altair as alt
        import pandas as pd
        import streamlit as st

        from cx.present.markup import escape_markdown

        st.dataframe(pd.DataFrame({"store": ["ST009", "ST001"]}))
        st.table(pd.DataFrame({"text": [escape_markdown("Late again (cold food).")]}))
        st.json({"text": "تأخير كبير جداً في التوصيل"})
        chart = alt.Chart(pd.DataFrame({"name": ["Jeddah Al Hamra"], "n": [1]})).mark_bar()
        st.altair_chart(chart.encode(x="n:Q", y="name:N"))
        st.selectbox("Store", ["ST0010 · Levant"])

    app = AppTest.from_function(page).run()
    payload = b"\n".join(data for _, data in parts_of(app._tree))
    forbidden = Forbidden(frozenset({"ST001", "ST0011"}), frozenset(
        {"Late again (cold food).", "تأخير كبير جداً في التوصيل", "Jeddah Al Hamra", "Levant", "Gulf"}))  # fmt: skip
    assert forbidden.found(payload) == sorted(
        ["ST001", "Late again (cold food).", "تأخير كبير جداً في التوصيل", "Jeddah Al Hamra", "Levant"]
    )
