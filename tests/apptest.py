"""Running the dashboard in Streamlit's test harness: ``app.py`` against a database, on one page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(
    monkeypatch, url: str, page: str, *, timeout: float = 120, user: str | None = None, **params
) -> AppTest:
    """Run the router on ``url`` with ``params`` in the address, then switch to ``page`` (the router
    registers the pages and draws the filters before a switch); ``user``: signed in as that user (a
    session as the sign-in form leaves it)."""
    monkeypatch.setenv("CX_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=timeout)
    if user:
        app.session_state["cx_session"] = {"email": user, "since": dt.datetime.now(), "method": "password"}
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page != "ui/summary.py":
        app.switch_page(page)
        app.run()
    return app
