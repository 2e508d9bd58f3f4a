"""Page smoke tests with Streamlit's AppTest on an empty and on a loaded database."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.helpers import load, write_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(monkeypatch, url: str) -> AppTest:
    monkeypatch.setenv("CX_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    return app


def test_data_page_on_empty_database(monkeypatch, sqlite_url):
    app = run_app(monkeypatch, sqlite_url)
    assert not app.exception
    assert "No data is loaded yet" in app.info[0].value


def test_data_page_lists_sources_and_imports(monkeypatch, sqlite_url, tmp_path, capsys):
    load(capsys, sqlite_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "S1,One,North"))
    load(
        capsys,
        sqlite_url,
        "nps",
        write_csv(tmp_path / "n.csv", "store_id,responded_at,score", "S1,2026-01-02,9"),
    )
    app = run_app(monkeypatch, sqlite_url)
    assert not app.exception
    sources = app.dataframe[0].value
    assert sources.set_index("source").loc["nps", "rows"] == 1
    assert len(app.dataframe[1].value) == 2
