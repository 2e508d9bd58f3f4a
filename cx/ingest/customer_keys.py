"""A file's customer keys (e-mail, phone, loyalty number) as the import writes them: keyed hashes
(:mod:`cx.identity.keys`) in every table, and the normalised values themselves only in the customers
table. A key that cannot be read (``not-an-email``) is left out of its row, which is kept; a notice
counts them and names the first rows.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from cx.identity.keys import hashed_keys, identity_secret, normal_key, phone_region
from cx.ingest.schema import HASHED_FIELDS
from cx.ingest.wording import plural

KEY_KINDS = {"email": "email", "phone": "phone", "loyalty_id": "loyalty"}
SHOWN_EXAMPLES = 3


def hash_customer_keys(
    engine: Engine, kind: str, values: pd.DataFrame, rows: pd.Series
) -> tuple[pd.DataFrame, list[str]]:
    """``values`` with a ``*_hash`` column per key the file carries and, outside the customers file,
    without the raw keys; and the notices (unreadable keys, by spreadsheet row)."""
    present = [name for name in HASHED_FIELDS if name in values]
    if not present:
        return values, []
    region = phone_region(engine)
    hashed = hashed_keys(values[present], region, identity_secret())
    values = values.assign(**{HASHED_FIELDS[name]: hashed[HASHED_FIELDS[name]] for name in present})
    if kind == "customers":
        for name in present:
            values[name] = _normalised(values[name], KEY_KINDS[name], region)
    else:
        values = values.drop(columns=present)
    return values, _unreadable(hashed["invalid_keys"], rows)


def _normalised(raw: pd.Series, kind: str, region: str | None) -> pd.Series:
    """Each value's normal form, read once per distinct value."""
    distinct = raw.dropna().unique()
    return raw.map({value: normal_key(kind, value, region) for value in distinct}).astype(object)


def _unreadable(invalid: pd.Series, rows: pd.Series) -> list[str]:
    bad = invalid.dropna()
    if bad.empty:
        return []
    examples = "; ".join(
        f"row {rows.loc[index]}: {reason}" for index, reason in bad.head(SHOWN_EXAMPLES).items()
    )
    more = f" and {len(bad) - SHOWN_EXAMPLES:,} more" if len(bad) > SHOWN_EXAMPLES else ""
    return [f"{plural(len(bad))} kept without a customer key that could not be read ({examples}{more})"]
