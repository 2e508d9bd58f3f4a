"""CRM customers who are probably one person: pairs to propose for merging, with a match probability.

Two customers who share a key hash (e-mail, phone or loyalty number, :mod:`cx.identity.keys`) are
certain: probability 1.0, method ``shared key``. Every other pair is scored by the Fellegi-Sunter
model (Fellegi and Sunter 1969, "A theory for record linkage", JASA 64:1183-1210,
doi:10.2307/2286061) as Splink implements it on the DuckDB backend
(https://moj-analytical-services.github.io/splink/, topic guide "The Fellegi-Sunter model",
topic_guides/theory/fellegi_sunter.html): each level of each comparison has an m probability (two
records of one person agree at that level: data quality) and a u probability (two different people
do: coincidence); the match weights log2(m/u) add up, and with the prior lambda (that two random
customers are one person) give the probability.

Comparisons: the name (exact, Jaro-Winkler >= 0.92, >= 0.8, after :func:`name_key`: lower-case,
accents and punctuation gone, tokens sorted, so "Smith, Alice" is "alice smith"), the city (exact),
and three partial keys that survive a key written another way: the e-mail's local part (before any
``+tag``), the phone's last 7 digits, the loyalty number's letters and digits. Only pairs that agree
on the name's first or last token and the city, or on a partial key, are compared (blocking).

Parameters start from the priors of :data:`M_U_PRIORS`, set by hand. m stays fixed: expectation
maximisation needs many duplicates inside each training block, and it was unstable on generated CRMs
of 60 to 5,000 customers (at 1,000 it called every blocked pair a match); how one person's records differ
(typos, a second sign-up) carries over from brand to brand. u of the name and the city depends on the
brand's customers (common names, big cities): with at least :data:`MIN_CUSTOMERS_TO_TRAIN` customers
Splink estimates it by random sampling (seed :data:`SEED`, so a run is reproducible), and a level the
sample never sees keeps its prior. Below that there is nothing to learn from and the priors are used
as they are. u of the partial keys stays fixed: two people hardly ever share 7 phone digits, and the
few pairs of a sample that do are mostly the CRM's duplicates, while random sampling assumes the
sampled pairs are not matches. lambda is :data:`DUPLICATE_SHARE` / (n - 1), n customers: about one
customer in twenty has a second record.

The same settings run on Spark (``splink.SparkAPI`` instead of ``DuckDBAPI``) for brands that outgrow
one machine.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

INPUT_COLUMNS = (
    "customer_id", "name", "city", "email", "phone", "loyalty_id", "email_hash", "phone_hash", "loyalty_hash",
)  # fmt: skip
KEY_HASHES = ("email_hash", "phone_hash", "loyalty_hash")
PAIR_COLUMNS = ("first_id", "second_id", "probability", "method")
THRESHOLD = 0.9
MIN_CUSTOMERS_TO_TRAIN = 50
DUPLICATE_SHARE = 0.05
SEED = 20260301
U_SAMPLE_PAIRS = 1e7
NAME_THRESHOLDS = (0.92, 0.8)
PARTIAL_KEYS = ("email_local", "phone_last7", "loyalty_key")
# comparison -> (m, u) per level, from the closest agreement to "anything else". u: two different
# people share a full name about 1 time in 1,000, a city 1 in 5, a partial key 1 in 10,000.
M_U_PRIORS = {
    "name_key": ((0.70, 0.18, 0.07, 0.05), (0.001, 0.004, 0.03, 0.965)),
    "city_key": ((0.90, 0.10), (0.20, 0.80)),
    "email_local": ((0.60, 0.40), (0.0001, 0.9999)),
    "phone_last7": ((0.60, 0.40), (0.0001, 0.9999)),
    "loyalty_key": ((0.60, 0.40), (0.0001, 0.9999)),
}
_DROPPED = re.compile(r"['’.]")  # O'Brien is OBrien, "A." is "A"
_SEPARATORS = re.compile(r"[^\w\s]|_")


def find_duplicates(customers: pd.DataFrame, *, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Pairs of ``customers`` (columns :data:`INPUT_COLUMNS`, values may be None) that are probably one
    person: :data:`PAIR_COLUMNS`, ``first_id`` < ``second_id``, each pair once, certain pairs (a shared
    key hash) first, then the model's pairs with probability >= ``threshold``, most likely first."""
    if not 0 < threshold <= 1:
        raise ValueError(f"The threshold is a probability above 0 and at most 1, got {threshold}.")
    missing = [column for column in INPUT_COLUMNS if column not in customers]
    if missing:
        raise ValueError(f"Finding duplicates needs the customer columns {', '.join(missing)}.")
    customers = customers.loc[:, list(INPUT_COLUMNS)].astype(object)
    customers = customers.where(customers.notna(), None)
    if customers["customer_id"].duplicated().any():
        raise ValueError("Each customer_id must appear once to find duplicates among them.")
    certain = _shared_key_pairs(customers)
    scored = _scored_pairs(customers, threshold) if len(customers) > 1 else _pairs([], [], [], "splink")
    known = pd.MultiIndex.from_frame(certain[["first_id", "second_id"]])
    scored = scored[~pd.MultiIndex.from_frame(scored[["first_id", "second_id"]]).isin(known)]
    return pd.concat([certain, scored], ignore_index=True)


def name_key(name: object) -> str | None:
    """A name for comparing: lower-case, accents stripped, apostrophes and dots dropped, other
    punctuation a space, tokens sorted; None when nothing is left.

    >>> name_key("Smith, Élise")
    'elise smith'
    """
    if name is None or pd.isna(name):
        return None
    decomposed = unicodedata.normalize("NFKD", str(name))
    text = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    tokens = _SEPARATORS.sub(" ", _DROPPED.sub("", text)).split()
    return " ".join(sorted(tokens)) or None


def _pairs(first: list, second: list, probability: list, method: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "first_id": pd.Series(first, dtype=object),
            "second_id": pd.Series(second, dtype=object),
            "probability": pd.Series(probability, dtype=float),
            "method": pd.Series([method] * len(first), dtype=object),
        }
    )


def _shared_key_pairs(customers: pd.DataFrame) -> pd.DataFrame:
    """Pairs sharing an e-mail, phone or loyalty hash: probability 1.0."""
    found = []
    for column in KEY_HASHES:
        keyed = customers.loc[customers[column].notna(), ["customer_id", column]]
        joined = keyed.merge(keyed, on=column, suffixes=("_first", "_second"))
        found.append(joined.loc[joined["customer_id_first"] < joined["customer_id_second"]])
    pairs = pd.concat(found).drop_duplicates(["customer_id_first", "customer_id_second"])
    pairs = pairs.sort_values(["customer_id_first", "customer_id_second"])
    return _pairs(list(pairs["customer_id_first"]), list(pairs["customer_id_second"]), [1.0] * len(pairs),
                  "shared key")  # fmt: skip


def _match_columns(customers: pd.DataFrame) -> pd.DataFrame:
    """The columns the model compares and blocks on, one row per customer."""
    names = customers["name"].map(name_key).astype(object)
    tokens = names.str.split()
    digits = customers["phone"].str.replace(r"\D", "", regex=True)
    columns = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "name_key": names,
            "name_first": tokens.str[0],
            "name_last": tokens.str[-1],
            "city_key": customers["city"].map(name_key).astype(object),
            "email_local": customers["email"].str.lower().str.split("@").str[0].str.split("+").str[0],
            "phone_last7": digits.where(digits.str.len() >= 7).str[-7:],
            "loyalty_key": customers["loyalty_id"].str.replace(r"[\W_]", "", regex=True).str.upper(),
        }
    ).astype(object)
    return columns.where(columns.notna() & columns.ne(""), None)


def _comparison(column: str, levels: list) -> cl.CustomComparison:
    """``levels`` (closest first) after a null level, with their prior m and u; u of a partial key is
    fixed, the others may be re-estimated."""
    m, u = M_U_PRIORS[column]
    fixed = column in PARTIAL_KEYS
    configured = [
        level.configure(m_probability=m_level, u_probability=u_level, fix_u_probability=fixed)
        for level, m_level, u_level in zip(levels, m, u, strict=True)
    ]
    return cl.CustomComparison([cll.NullLevel(column), *configured], output_column_name=column)


def _settings(customers: int) -> SettingsCreator:
    """The model for ``customers`` customers: comparisons, blocking rules and lambda."""
    name = [
        cll.ExactMatchLevel("name_key"),
        *(cll.JaroWinklerLevel("name_key", score) for score in NAME_THRESHOLDS),
        cll.ElseLevel(),
    ]
    exact = [
        _comparison(column, [cll.ExactMatchLevel(column), cll.ElseLevel()])
        for column in ("city_key", *PARTIAL_KEYS)
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="customer_id",
        probability_two_random_records_match=min(DUPLICATE_SHARE / (customers - 1), 0.5),
        comparisons=[_comparison("name_key", name), *exact],
        blocking_rules_to_generate_predictions=[
            block_on("name_first", "city_key"),
            block_on("name_last", "city_key"),
            *(block_on(column) for column in PARTIAL_KEYS),
        ],
        retain_matching_columns=False,
    )


def _scored_pairs(customers: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The model's pairs with probability >= ``threshold`` (see the module's description)."""
    api = DuckDBAPI()
    linker = Linker(api.register(_match_columns(customers)), _settings(len(customers)), log_level=None)
    if len(customers) >= MIN_CUSTOMERS_TO_TRAIN:
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    found = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    scored = found.as_pandas_dataframe()
    first = scored[["customer_id_l", "customer_id_r"]].min(axis=1)
    second = scored[["customer_id_l", "customer_id_r"]].max(axis=1)
    pairs = _pairs(list(first), list(second), list(scored["match_probability"]), "splink")
    return pairs.sort_values(["probability", "first_id", "second_id"], ascending=[False, True, True],
                             ignore_index=True)  # fmt: skip
