"""Running the dashboard in Streamlit's test harness: ``app.py`` against a database, on one page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(monkeypatch, url: str, page: str, *, timeout: float = 120, **params) -> AppTest:
    """Run the router on ``url`` with ``params`` in the address, then switch to ``page`` (the router
    registers the pages and draws the filters before a switch)."""
    monkeypatch.setenv("CX_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page != "ui/summary.py":
        app.switch_page(page)
        app.run()
    return app
