"""The Data page in AppTest: empty database, files uploaded through the page, import history, data health."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import count, load, rows, write_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")
STORES = b"store_id,name,region\nS1,One,North\nS2,Two,South\n"
# Aliases for every column; S9 is unknown, so its row is rejected.
NPS = b"Store ID,Date,NPS\nS1,2025-01-06,9\nS1,2025-01-07,3\nS9,2025-01-08,10\n"


@pytest.fixture
def page(monkeypatch, sqlite_url) -> AppTest:
    monkeypatch.setenv("CX_DATABASE_URL", sqlite_url)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("ui/data.py").run()
    assert not app.exception
    return app


def upload(app: AppTest, kind: str, name: str, content: bytes) -> AppTest:
    app.selectbox(key="data_kind").set_value(kind).run()
    app.file_uploader(key="data_file").set_value((name, content, "text/csv")).run()
    assert not app.exception
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_empty_database_explains_and_offers_the_import(page):
    assert "No data is loaded yet" in page.info[0].value
    assert page.file_uploader(key="data_file")
    assert "No imports yet." in [caption.value for caption in page.caption]
    assert not page.get("vega_lite_chart")
    assert not page.dataframe


def test_preview_and_mapping_from_aliases(page):
    upload(page, "nps", "nps.csv", NPS)
    assert "3 rows, 3 columns; encoding utf-8 (detected)" in page.caption[0].value
    assert len(page.dataframe[0].value) == 3
    mapping = page.data_editor[-1].value
    assert dict(zip(mapping["column"], mapping["field"], strict=True)) == {
        "Store ID": "store_id",
        "Date": "responded_at",
        "NPS": "score",
    }
    page.button(key="data_validate").click().run()
    assert page.success[0].value == "Every required field has a column or a constant."


def test_missing_required_field_keeps_the_matched_columns_and_a_constant_fixes_it(page):
    upload(page, "surveys", "survey.csv", b"store,date,csat\nS1,2025-01-06,5\n")
    mapping = page.data_editor[-1].value
    assert list(mapping["field"]) == ["store_id", "responded_at", "csat"]
    page.button(key="data_validate").click().run()
    assert "missing required column 'touchpoint'" in page.error[0].value
    page.session_state["data_constants_surveys"] = {
        "edited_rows": {},
        "added_rows": [{"field": "touchpoint", "value": "Checkout"}],
        "deleted_rows": [],
    }
    page.button(key="data_validate").click().run()
    assert not page.error
    assert ["touchpoint", "constant 'Checkout'"] in page.dataframe[-1].value.values.tolist()


def test_mapping_edits_become_overrides(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(
        page, "nps", "nps.csv", b"store_id,responded_at,score,Note,comment\nS1,2025-01-06,9,kept,dropped\n"
    )
    editor = page.data_editor[-1]
    assert list(editor.value["field"]) == ["store_id", "responded_at", "score", "-", "comment"]
    page.session_state[editor.key] = {
        "edited_rows": {3: {"field": "comment"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    page.run()
    assert "Field comment is chosen for several columns (Note, comment); choose one." in page.warning[0].value
    assert page.button(key="data_import").disabled
    edits = {3: {"field": "comment"}, 4: {"field": "-"}}
    page.session_state[editor.key] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    page.run().button(key="data_import").click().run()
    assert not page.exception and metrics(page)["Loaded"] == "1"
    assert rows(sqlite_url, "SELECT comment FROM nps_response") == [("kept",)]


def test_imports_through_the_page_show_counts_rejects_history_and_health(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    assert metrics(page)["Loaded"] == "2"
    upload(page, "nps", "nps.csv", NPS).button(key="data_import").click().run()
    assert not page.exception
    assert count(sqlite_url, "nps_response") == 2
    assert metrics(page) == {
        "Read": "3",
        "Loaded": "2",
        "Already there": "0",
        "Updated": "0",
        "Rejected": "1",
    }
    rejects = next(frame.value for frame in page.dataframe if "reason" in frame.value)
    assert list(rejects["row"]) == [4] and rejects["value"].iloc[0] == "S9"
    assert page.download_button(key="data_rejects_download").label == "Download rejected rows (CSV)"
    history = next(frame.value for frame in page.dataframe if "file_name" in frame.value)
    assert list(history["file_name"]) == ["nps.csv", "stores.csv"]
    sentences = " ".join(markdown.value for markdown in page.markdown)
    assert (
        "NPS: 2 rows from 2025-01-06 to 2025-01-07; 1 of 2 stores has data; 1 store has none: S2."
        in sentences
    )
    assert "Sales: never loaded." in sentences
    assert page.get("vega_lite_chart")
    assert page.download_button(key="data_volume_download")


def test_strict_import_loads_nothing_and_still_offers_the_rejects(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(page, "nps", "nps.csv", NPS).checkbox(key="data_strict").check().run()
    page.button(key="data_import").click().run()
    assert not page.exception
    assert page.error[0].value.startswith("Nothing was loaded from nps.csv: --strict: 1 of 3 rows")
    assert metrics(page)["Loaded"] == "0"
    assert page.download_button(key="data_rejects_download")
    assert count(sqlite_url, "nps_response") == 0


def test_unreadable_file_is_explained(page):
    upload(page, "stores", "stores.csv", b"\x00\x01\x02binary\x00" * 50)
    assert "does not look like a CSV or XLSX file" in page.error[0].value


def test_history_and_health_after_loads_from_the_command_line(monkeypatch, sqlite_url, tmp_path, capsys):
    load(capsys, sqlite_url, "stores", write_csv(tmp_path / "s.csv", "store_id,name,region", "S1,One,North"))
    load(
        capsys,
        sqlite_url,
        "nps",
        write_csv(tmp_path / "n.csv", "store_id,responded_at,score", "S1,2025-01-02,9"),
    )
    monkeypatch.setenv("CX_DATABASE_URL", sqlite_url)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("ui/data.py").run()
    assert not app.exception
    assert not any("No data is loaded yet" in info.value for info in app.info)
    history = next(frame.value for frame in app.dataframe if "file_name" in frame.value)
    assert len(history) == 2
    assert any(
        "NPS: 1 row from 2025-01-02 to 2025-01-02; the one store has data." in markdown.value
        for markdown in app.markdown
    )
