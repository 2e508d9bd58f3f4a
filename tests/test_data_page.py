"""The Data page in AppTest: empty database, files uploaded through the page, import history, data health,
the page's own wording of the importer's advice, counts and plurals, and the demo banner."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
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


def shown(markdown: str) -> str:
    """Markdown as it reads on the page: the page escapes every Markdown sign of what a file supplies."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(app: AppTest) -> list[str]:
    """Every sentence the page shows outside tables, as it reads."""
    kinds = ("caption", "markdown", "info", "success", "warning", "error", "code")
    return [shown(str(element.value)) for kind in kinds for element in app.get(kind)]


def frame_with(app: AppTest, column: str) -> pd.DataFrame:
    return next(frame.value for frame in app.dataframe if column in frame.value)


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
    assert shown(page.error[0].value).endswith(
        "missing required column 'touchpoint' (found: store, date, csat); choose the column that holds "
        'touchpoint under "Column mapping", or give touchpoint a constant under Options.'
    )
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
    assert (
        shown(page.warning[0].value)
        == "Field comment is chosen for several columns (Note, comment); choose one."
    )
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
    rejects = frame_with(page, "reason")
    assert list(rejects["row"]) == [4] and rejects["value"].iloc[0] == "S9"
    assert rejects["reason"].iloc[0] == (
        'unknown store: load it in a stores file first, or tick "Create unknown stores" under Options'
    )
    assert page.download_button(key="data_rejects_download").label == "Download rejected rows (CSV)"
    history = frame_with(page, "file_name")
    assert list(history["file_name"]) == ["nps.csv", "stores.csv"]
    assert list(history["options"]) == ["none", "none"]
    sentences = " ".join(shown(markdown.value) for markdown in page.markdown)
    assert (
        "NPS: 2 rows from 2025-01-06 to 2025-01-07; 1 of 2 stores has data; 1 store has none: S2."
        in sentences
    )
    assert "Sales: never loaded." in sentences
    assert page.get("vega_lite_chart")
    assert page.download_button(key="data_volume_download")


def test_import_history_undoes_a_batch_after_confirmation_or_says_why_not(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(page, "nps", "nps.csv", NPS).button(key="data_import").click().run()
    history = frame_with(page, "file_name")
    assert history[["id", "file_name", "imported_by", "status"]].values.tolist() == [
        [2, "nps.csv", "dashboard", "loaded"],
        [1, "stores.csv", "dashboard", "loaded"],
    ]
    assert "Batch 2: NPS, nps.csv" in page.text[0].value
    page.button(key="data_undo_1").click().run()
    assert [shown(warning.value) for warning in page.warning] == [
        "Undo batch 1? Its rows are removed and every rollup they fed is recomputed."
    ]
    page.button(key="data_undo_confirm").click().run()
    assert shown(page.error[0].value) == (
        "Batch 1 created stores that 2 NPS answers of batch 2 refer to; undo those batches first."
    )
    page.button(key="data_undo_2").click().run()
    page.button(key="data_undo_cancel").click().run()
    assert not page.warning and count(sqlite_url, "nps_response") == 2
    page.button(key="data_undo_2").click().run()
    page.button(key="data_undo_confirm").click().run()
    assert not page.exception
    assert "Batch 2 undone: 2 rows removed." in [success.value for success in page.success]
    assert count(sqlite_url, "nps_response") == 0 and count(sqlite_url, "nps_daily") == 0
    assert list(frame_with(page, "file_name")["status"]) == ["undone", "loaded"]
    assert [button.key for button in page.button if button.key.startswith("data_undo_")] == ["data_undo_1"]


def test_strict_import_loads_nothing_and_still_offers_the_rejects(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(page, "nps", "nps.csv", NPS).checkbox(key="data_strict").check().run()
    page.button(key="data_import").click().run()
    assert not page.exception
    assert shown(page.error[0].value) == (
        'Nothing was loaded from nps.csv: 1 of 3 rows was rejected and "Load nothing if any row is rejected '
        'or a store would change" is ticked; the rejected rows are listed below.'
    )
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
    history = frame_with(app, "file_name")
    assert len(history) == 2
    assert any(
        "NPS: 1 row from 2025-01-02 to 2025-01-02; the one store has data." in shown(markdown.value)
        for markdown in app.markdown
    )


def test_unknown_stores_are_created_with_the_page_checkbox(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(page, "nps", "nps.csv", NPS)
    assert page.checkbox(key="data_create_stores").label == "Create unknown stores"
    page.checkbox(key="data_create_stores").check().run()
    page.button(key="data_import").click().run()
    assert metrics(page)["Loaded"] == "3" and metrics(page)["Rejected"] == "0"
    assert "1 new store created from the file" in page.code[0].value
    assert rows(sqlite_url, "SELECT name FROM store WHERE store_id = 'S9'") == [("S9",)]


def test_no_message_on_the_page_names_a_command_line_flag(page):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(page, "nps", "nps.csv", NPS).checkbox(key="data_strict").check().run()
    page.button(key="data_import").click().run()
    shown_texts = texts(page) + list(frame_with(page, "reason")["reason"])
    assert len(shown_texts) > 5
    assert not [text for text in shown_texts if re.search(r"(^|\s)--[a-z]", text)]


# Six data rows; the third has a fourth field, so the preview and the import both count it, and reject it.
SIX_ROWS = (
    b"store_id,responded_at,score\nS1,2025-01-06,9\nS1,2025-01-07,3\nS2,2025-01-08,10,extra\n"
    b"S2,2025-01-09,7\nS1,2025-01-10,8\nS2,2025-01-11,0\n"
)


def test_preview_and_import_count_the_same_rows(page):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    upload(page, "nps", "six.csv", SIX_ROWS)
    assert page.caption[0].value.startswith("6 rows, 3 columns; encoding utf-8 (detected)")
    assert len(page.dataframe[0].value) == 5
    assert page.warning[0].value == "1 row has more fields than the header and will be rejected."
    page.button(key="data_import").click().run()
    assert metrics(page) == {
        "Read": "6",
        "Loaded": "5",
        "Already there": "0",
        "Updated": "0",
        "Rejected": "1",
    }
    rejects = frame_with(page, "reason")
    assert list(rejects["row"]) == [4] and list(rejects["reason"]) == ["has 4 fields, the header has 3"]


def test_counts_of_one_are_singular(page):
    upload(page, "stores", "one.csv", b"store_id,name,region\nS1,One,North\n")
    assert page.caption[0].value.startswith("1 row, 3 columns;")
    page.button(key="data_import").click().run()
    upload(page, "nps", "two.csv", b"store_id,responded_at,score\nS1,2025-01-06,9,x\nS1,2025-01-07,3,y\n")
    assert page.caption[0].value.startswith("2 rows, 3 columns;")
    assert page.warning[0].value == "2 rows have more fields than the header and will be rejected."
    singular = re.compile(r"(?<![\d,.])1 (rows|columns|stores|values|dates)\b")
    assert not [text for text in texts(page) if singular.search(text)]


def test_another_scale_is_explained_and_the_rescale_recorded_in_words(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    survey = (
        b"response_id,store_id,responded_at,csat\nA,S1,2025-01-06,0\nB,S1,2025-01-07,10\nC,S2,2025-01-08,8\n"
    )
    upload(page, "surveys", "survey.csv", survey)
    page.session_state["data_constants_surveys"] = {
        "edited_rows": {},
        "added_rows": [{"field": "touchpoint", "value": "Checkout"}],
        "deleted_rows": [],
    }
    page.run().button(key="data_import").click().run()
    assert shown(page.error[0].value) == (
        "Nothing was loaded from survey.csv: Column 'csat' (csat) holds values 0-10, 3 of 3 outside our 1-5 "
        "scale, so the file seems to use another scale; if it does, add csat with the file's minimum 0 and "
        "maximum 10 to the rescale table under Options to map it onto 1-5."
    )
    page.session_state["data_rescale_surveys"] = {
        "edited_rows": {},
        "added_rows": [{"field": "csat", "low": 0, "high": 10}],
        "deleted_rows": [],
    }
    page.run().button(key="data_import").click().run()
    assert metrics(page)["Loaded"] == "3"
    # 0-10 onto 1-5: 1 + x * 4 / 10, so 0 -> 1, 10 -> 5, 8 -> 4.2.
    assert rows(sqlite_url, "SELECT csat FROM survey_response ORDER BY response_id") == [
        (1.0,),
        (5.0,),
        (4.2,),
    ]
    history = frame_with(page, "file_name")
    assert list(history["options"]) == ["touchpoint set to 'Checkout'; rescale csat 0-10", "none"]


def test_a_rescale_minimum_above_its_maximum_is_explained(page):
    upload(
        page,
        "surveys",
        "survey.csv",
        b"response_id,store_id,responded_at,touchpoint,csat\nA,S1,2025-01-06,Web,0\n",
    )
    page.session_state["data_rescale_surveys"] = {
        "edited_rows": {},
        "added_rows": [{"field": "csat", "low": 10, "high": 0}],
        "deleted_rows": [],
    }
    page.run()
    assert (
        shown(page.error[0].value) == "Rescale csat: the file's minimum (10) must be below its maximum (0)."
    )


def test_names_from_a_file_are_shown_as_written_not_as_markdown(page):
    upload(page, "stores", "**bold**.csv", STORES).button(key="data_import").click().run()
    assert page.success[0].value == r"Stores file \*\*bold\*\*\.csv imported as batch 1\."


DEMO_BANNER = "You are looking at the synthetic demo brand"


@pytest.fixture
def demo_url(sqlite_url, tmp_path):
    """A database holding a (tiny) demo brand, loaded as ``python -m cx demo`` loads it."""
    engine = make_engine(sqlite_url)
    stores = pd.DataFrame({"store_id": ["D1"], "name": ["Demo"], "region": ["North"]})
    load_frame(engine, "stores", stores, ImportOptions(), name="demo:stores", reports_dir=tmp_path)
    engine.dispose()
    return sqlite_url


def test_demo_banner_goes_once_the_users_own_data_are_loaded(monkeypatch, demo_url):
    monkeypatch.setenv("CX_DATABASE_URL", demo_url)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("ui/data.py").run()
    assert any(DEMO_BANNER in info.value for info in app.info)
    upload(app, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    assert metrics(app)["Loaded"] == "2"
    assert not any(DEMO_BANNER in info.value for info in app.info)


def test_customers_and_transactions_import_through_the_page(page, sqlite_url):
    upload(page, "stores", "stores.csv", STORES).button(key="data_import").click().run()
    crm = b"Customer ID,Full Name,E-mail,Mobile\nC1,Alice,Alice@Example.com,+971501234567\nC2,Bilal,oops,\n"
    upload(page, "customers", "crm.csv", crm).button(key="data_import").click().run()
    assert not page.exception and metrics(page)["Loaded"] == "2"
    assert any("row 3: email: not an e-mail address" in text for text in texts(page)), texts(page)
    pos = b"Receipt ID,Store,Date,Total,Email\nT1,S1,2025-01-06,12.5,alice@example.com\nT2,S9,2025-01-07,3,\n"
    upload(page, "transactions", "pos.csv", pos).button(key="data_import").click().run()
    assert not page.exception and metrics(page)["Loaded"] == "1" and metrics(page)["Rejected"] == "1"
    assert rows(
        sqlite_url, "SELECT p.transaction_id FROM purchase p JOIN customer c ON c.email_hash = p.email_hash"
    ) == [("T1",)]
    history = frame_with(page, "file_name")
    assert list(history["file_name"]) == ["pos.csv", "crm.csv", "stores.csv"]
