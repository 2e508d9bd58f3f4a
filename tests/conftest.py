"""Fresh databases for every test: a SQLite file, and a PostgreSQL schema when a server answers.

``CX_TEST_POSTGRES_URL`` names the server (default: the local one, database ``test``).
``CX_REQUIRE_POSTGRES=1`` (set by CI) turns "no server" from a skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from functools import cache

import pytest
from sqlalchemy import create_engine, text

from cx.config import make_engine
from cx.store.schema import upgrade_schema

POSTGRES_URL = os.environ.get("CX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CX_REQUIRE_POSTGRES") == "1"


@cache
def postgres_unavailable_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means "no server here"
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__})"
    return None


def _postgres_schema_url():
    reason = postgres_unavailable_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}; CX_REQUIRE_POSTGRES=1 makes this a failure")
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    return admin, schema, f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def _drop_schema(admin, schema: str) -> None:
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """URL of an empty, fully migrated database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cx.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        engine.dispose()
        yield url
        return
    admin, schema, url = _postgres_schema_url()
    engine = make_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    try:
        yield url
    finally:
        _drop_schema(admin, schema)


@pytest.fixture
def sqlite_url(tmp_path):
    """URL of an empty, migrated SQLite database, for tests that need not run on both."""
    url = f"sqlite:///{tmp_path / 'cx.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _reports_dir(tmp_path, monkeypatch):
    """Reject reports go to the test's own folder, never into data/."""
    monkeypatch.setenv("CX_REPORTS_DIR", str(tmp_path / "reports"))


@pytest.fixture(autouse=True)
def _identity_key(tmp_path, monkeypatch):
    """The key of customer-key hashes lives in the test's own folder, never in data/."""
    monkeypatch.delenv("CX_IDENTITY_SECRET", raising=False)
    monkeypatch.setenv("CX_IDENTITY_KEY_FILE", str(tmp_path / "identity.key"))


@pytest.fixture(autouse=True)
def _navigation_apps(monkeypatch):
    """Run AppTest as the server runs the app: ``app.py`` declares its pages with ``st.navigation``.

    AppTest resets Streamlit's "pages directory" flag before every run, which makes it execute a page
    file on its own (skipping ``app.py``: no sidebar filters, banner or footer) because our pages live
    in ``ui/``. The server clears that flag on the first ``st.navigation`` call; do the same here.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
