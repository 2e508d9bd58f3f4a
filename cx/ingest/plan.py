"""Turn validated rows into what the writer inserts: ids, duplicates, stores, touchpoints, attributes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cx.ingest.schema import ATTRIBUTE_PREFIX, DERIVABLE_IDS, UNASSIGNED_REGION

STORE_COLUMNS = ("name", "brand", "region", "district", "city", "country", "latitude", "longitude", "format")


@dataclass
class LoadPlan:
    """Everything one batch writes, decided before the transaction opens."""

    kind: str
    facts: pd.DataFrame  # typed rows to insert (stores for kind "stores")
    attributes: pd.DataFrame | None = None  # survey attribute ratings, long format
    new_stores: pd.DataFrame | None = None  # stores to create (--create-stores)
    duplicates_in_file: int = 0
    notices: list[str] = field(default_factory=list)


def natural_key(kind: str) -> list[str]:
    keys = {"stores": ["store_id"], "sales": ["store_id", "date"], "customers": ["customer_id"],
            "transactions": ["transaction_id"]}  # fmt: skip
    return keys.get(kind, [DERIVABLE_IDS.get(kind, "")])


def derive_ids(strings: pd.DataFrame, kind: str) -> pd.Series:
    """Stable ids from each row's content (hash of every mapped field) plus its occurrence number.

    Identical rows get ``...-1``, ``...-2`` in file order, so re-importing the same file yields the
    same ids and two genuinely identical answers are both kept.
    """
    content = strings[sorted(strings.columns)]
    hashes = pd.util.hash_pandas_object(content, index=False)
    occurrence = hashes.groupby(hashes).cumcount()
    prefix = {"nps": "nps-", "surveys": "srv-", "reviews": "rev-"}[kind]
    ids = prefix + hashes.map("{:016x}".format).astype("str")  # str: an empty file too
    return ids.where(occurrence.eq(0), ids + "-" + occurrence.astype("str"))


def split_file_duplicates(
    values: pd.DataFrame, row_numbers: pd.Series, kind: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Rows repeating an earlier row's key: exact repeats (dropped, counted) and conflicts (rejected).

    Returns the mask of exact repeats and reject records for conflicting ones.
    """
    key = natural_key(kind)
    repeated = values.duplicated(subset=key, keep="first")
    if not repeated.any():
        return repeated, _no_rejects()
    exact = values.astype("str").duplicated(keep="first") & repeated
    conflict = repeated & ~exact
    first_row = row_numbers.groupby([values[k] for k in key], sort=False).transform("first")
    label = " + ".join(key)
    rejects = pd.DataFrame(
        {
            "frame_index": values.index[conflict],
            "row": row_numbers[conflict].to_numpy(),
            "column": key[0],
            "value": values.loc[conflict, key[0]].astype("str").to_numpy(),
            "reason": (
                f"duplicate {label}: row "
                + first_row[conflict].astype("str")
                + " has the same key with other values"
            ).to_numpy(),
        }
    )
    return exact, rejects


def unknown_store_rejects(
    values: pd.DataFrame, row_numbers: pd.Series, known: set[str], source: str, remedy: str
) -> pd.DataFrame:
    """A reject for each row naming a store the database lacks; ``remedy`` says how to create them, and
    a store whose id differs only by case is named."""
    unknown = ~values["store_id"].isin(known) & values["store_id"].notna()
    ids = values.loc[unknown, "store_id"]
    cased = _by_case(known)
    reason = f"unknown store: load it in a stores file first, or {remedy}"
    hints = ids.map(lambda store: f" (store {cased[store.casefold()]!r} exists: ids tell case apart)"
                    if store.casefold() in cased else "")  # fmt: skip
    return pd.DataFrame(
        {
            "frame_index": values.index[unknown],
            "row": row_numbers[unknown].to_numpy(),
            "column": source,
            "value": ids.to_numpy(),
            "reason": (reason + hints).to_numpy() if len(ids) else reason,
        }
    )


def case_lookalikes(ids: pd.Series, known: set[str]) -> list[str]:
    """New store ids that differ from another (known or in the file) only by case, as ``'s1' and 'S1'``:
    they are different stores, which is rarely what the file meant."""
    fresh = sorted(set(ids.dropna().unique()) - known)
    everyone = _by_case(known)
    pairs = []
    for store in fresh:
        other = everyone.setdefault(store.casefold(), store)
        if other != store:
            pairs.append(f"{store!r} and {other!r}")
    return pairs


def _by_case(ids) -> dict[str, str]:
    return {store.casefold(): store for store in sorted(ids)}


def stores_to_create(values: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """One row per store the file names but the database lacks, described by the file's first row for it."""
    fresh = values.loc[~values["store_id"].isin(known)].drop_duplicates("store_id")
    stores = pd.DataFrame({"store_id": fresh["store_id"].to_numpy()})
    for column in STORE_COLUMNS:
        source = "store_name" if column == "name" else column
        if source in fresh.columns:
            stores[column] = fresh[source].to_numpy()
    if "name" not in stores:
        stores["name"] = stores["store_id"]
    stores["name"] = stores["name"].fillna(stores["store_id"])
    if "region" not in stores:
        stores["region"] = UNASSIGNED_REGION
    stores["region"] = stores["region"].fillna(UNASSIGNED_REGION)
    return stores


def attribute_ratings(values: pd.DataFrame) -> pd.DataFrame:
    """Survey ``attr_<name>`` columns melted to ``response_id, attribute, rating`` (answered ones only)."""
    columns = [c for c in values.columns if c.startswith(ATTRIBUTE_PREFIX)]
    if not columns:
        return pd.DataFrame(columns=["response_id", "attribute", "rating"])
    long = values[["response_id", *columns]].melt(
        id_vars="response_id", var_name="attribute", value_name="rating"
    )
    long = long.dropna(subset=["rating"])
    long["attribute"] = long["attribute"].str.slice(len(ATTRIBUTE_PREFIX))
    return long.reset_index(drop=True)


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=["frame_index", "row", "column", "value", "reason"])
