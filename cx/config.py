"""Settings, and the one place that builds database engines.

``--db`` wins over ``CX_DATABASE_URL``, which wins over the SQLite file under ``data/``.
``CX_CURRENCY`` names the currency that revenue is in (see :func:`currency_code`).
Imports, undos, goals and actions record who made them (:func:`local_user`, or ``DASHBOARD_USER``).
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'cx.db'}"
CURRENCY_VARIABLE = "CX_CURRENCY"
DASHBOARD_USER = "dashboard"  # who the open dashboard's changes are recorded as (no users exist yet)
SESSION_HOURS_VARIABLE = "CX_SESSION_HOURS"


def local_user() -> str:
    """The operating-system user running this process (the command line's author of a change)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no password entry, e.g. in some containers
        return "unknown"


def normalise_database_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to the psycopg 3 driver we install."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def currency_code(value: str | None = None) -> str | None:
    """The currency revenue is in: ``value`` or else ``CX_CURRENCY``, as an upper-case ISO 4217 code
    (``EUR``, ``AED``); None when neither is set, and then amounts are shown without a currency.

    >>> currency_code(" eur ")
    'EUR'
    """
    raw = os.environ.get(CURRENCY_VARIABLE, "") if value is None else value
    code = raw.strip().upper()
    if not code:
        return None
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(
            f"{CURRENCY_VARIABLE} must be a three-letter ISO 4217 currency code such as EUR, USD or AED; "
            f"got {raw!r}."
        )
    return code


def session_hours(value: str | None = None) -> float:
    """How long a dashboard sign-in lasts: ``value`` or else ``CX_SESSION_HOURS``, default 12 hours.

    >>> session_hours("0.5")
    0.5
    """
    raw = os.environ.get(SESSION_HOURS_VARIABLE, "") if value is None else value
    if not raw.strip():
        return 12.0
    try:
        hours = float(raw)
    except ValueError:
        hours = float("nan")
    if not 0 < hours <= 24 * 30:
        raise ValueError(
            f"{SESSION_HOURS_VARIABLE} must be a number of hours above 0 and at most 720; got {raw!r}."
        )
    return hours


@dataclass(frozen=True)
class Settings:
    database_url: str
    reports_dir: Path
    currency: str | None = None

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """``--db`` wins over ``CX_DATABASE_URL``, which wins over the SQLite file under ``data/``;
        the currency comes from ``CX_CURRENCY``."""
        url = database_url or os.environ.get("CX_DATABASE_URL") or DEFAULT_DATABASE_URL
        reports = Path(os.environ.get("CX_REPORTS_DIR", DATA_DIR / "imports"))
        return cls(database_url=normalise_database_url(url), reports_dir=reports, currency=currency_code())


def make_engine(url: str) -> Engine:
    """Engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-131072")  # 128 MB: bulk imports and rollups stay in memory
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)
