"""How import messages speak: counted nouns, and the options a batch recorded, in words."""

from __future__ import annotations

import json

import pytest

from cx.ingest.wording import describe_options, plural, share_rejected


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [(0, "row", "0 rows"), (1, "row", "1 row"), (2, "column", "2 columns"), (1000, "row", "1,000 rows"),
     (1, "new store", "1 new store")],
)  # fmt: skip
def test_plural(count, noun, expected):
    assert plural(count, noun) == expected


def test_share_rejected_agrees_with_its_count():
    assert share_rejected(1, 3) == "1 of 3 rows was"
    assert share_rejected(2, 3) == "2 of 3 rows were"
    assert share_rejected(1, 1) == "1 of 1 row was"


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("{}", "none"),
        (None, "none"),
        (json.dumps({"encoding": "cp1252", "rescale": {"csat": [0.0, 2.0]}}), "encoding cp1252; rescale csat 0-2"),
        (json.dumps({"constants": {"brand": "Oasis Market"}}), "brand set to 'Oasis Market'"),
        (json.dumps({"mapping": {"Store ID": "store_id", "Note": "-"}, "create_stores": True, "strict": True}),
         "column 'Store ID' read as store_id; column 'Note' ignored; unknown stores created; "
         "nothing loaded if any row is rejected"),
        (json.dumps({"date_format": "%d/%m/%Y", "as_of": "2024-05-01", "rescale": {"attr_*": [1, 10]}}),
         "date format %d/%m/%Y; relative dates counted back from 2024-05-01; rescale attr_* 1-10"),
        ("not json", "not json"),
    ],
)  # fmt: skip
def test_recorded_options_in_words(recorded, expected):
    assert describe_options(recorded) == expected
