"""The canonical import formats: which fields each kind of file has, their types, scales and aliases."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("stores", "nps", "surveys", "reviews", "sales", "customers", "transactions")
ATTRIBUTE_PREFIX = "attr_"
MAX_ID_LENGTH = 100
MAX_SHORT_LENGTH = 200
UNASSIGNED_REGION = "Unassigned"
DEFAULT_BRAND = "Default brand"


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field.

    ``type`` is one of: ``id`` (short identifier), ``short`` (a label), ``text`` (free text of any
    length), ``datetime``, ``date``, ``score`` (whole numbers on ``scale``), ``rating`` (numbers on
    ``scale``; fractions allowed after ``--rescale``), ``amount`` (number >= 0), ``count`` (whole >= 0),
    ``latitude``, ``longitude``.
    """

    name: str
    type: str
    required: bool = False
    scale: tuple[float, float] | None = None
    aliases: tuple[str, ...] = ()


def _f(name, type_, required=False, scale=None, aliases=()):
    return FieldSpec(name, type_, required, scale, (name, *aliases))


STORE_ID = _f(
    "store_id",
    "id",
    True,
    aliases=(
        "store",
        "store_code",
        "store_number",
        "store_nbr",
        "store_no",
        "storeid",
        "branch",
        "branch_id",
        "location",
        "location_id",
        "locationid",
        "placeid",
        "place_id",
        "site_id",
        "shop",
        "shop_id",
        "outlet",
        "outlet_id",
        "restaurant_id",
    ),
)

# Store attributes; in fact files they are read only with --create-stores.
STORE_ATTRIBUTES = (
    _f("brand", "short", aliases=("brand_name", "banner", "chain")),
    _f("region", "short", aliases=("state", "province", "area", "zone", "territory", "market")),
    _f("district", "short", aliases=("sub_region", "subregion", "county")),
    _f("city", "short", aliases=("town",)),
    _f("country", "short", aliases=("country_name",)),
    _f("latitude", "latitude", aliases=("lat",)),
    _f("longitude", "longitude", aliases=("lon", "lng", "long")),
    _f("format", "short", aliases=("type", "store_type", "store_format", "concept")),
    _f("opened_on", "date", aliases=("open_date", "opening_date", "opened", "date_opened")),
)

TOUCHPOINT = ("touchpoint", "touch_point", "channel", "interaction", "journey_touchpoint")
COMMENT = ("comments", "verbatim", "feedback", "open_end", "remarks", "reason")
CUSTOMER = ("customer", "userid", "user_id", "client_id", "member_id", "customer_number")
# A customer's keys besides customer_id: kept as keyed hashes outside the customers table.
CUSTOMER_KEYS = (
    _f("email", "short", aliases=("e_mail", "email_address", "mail")),
    _f("phone", "short", aliases=("phone_number", "mobile", "mobile_number", "telephone", "tel", "msisdn")),
    _f(
        "loyalty_id",
        "id",
        aliases=("loyalty", "loyalty_number", "loyalty_card", "card_number", "member_card"),
    ),
)
RESPONDED = (
    "date",
    "response_date",
    "submitted_at",
    "timestamp",
    "created_at",
    "survey_date",
    "completed_at",
)


def _store_fields(name_aliases):
    brand, region, *others = STORE_ATTRIBUTES
    name = _f("name", "short", aliases=name_aliases)
    return (name, brand, FieldSpec(region.name, region.type, True, None, region.aliases), *others)


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "stores": (
        STORE_ID,
        *_store_fields(("store_name", "location_name", "branch_name", "site_name")),
    ),
    "nps": (
        _f("response_id", "id", True, aliases=("responseid", "survey_id", "record_id", "id")),
        STORE_ID,
        _f("responded_at", "datetime", True, aliases=RESPONDED),
        _f(
            "score",
            "score",
            True,
            (0, 10),
            ("nps", "nps_score", "likelihood_to_recommend", "ltr", "recommend", "recommendation"),
        ),
        _f("touchpoint", "short", aliases=TOUCHPOINT),
        _f("comment", "text", aliases=COMMENT),
        _f("customer_id", "id", aliases=CUSTOMER),
        *CUSTOMER_KEYS,
    ),
    "surveys": (
        _f("response_id", "id", True, aliases=("responseid", "survey_id", "record_id", "id")),
        STORE_ID,
        _f("responded_at", "datetime", True, aliases=RESPONDED),
        _f("touchpoint", "short", True, aliases=TOUCHPOINT),
        _f("csat", "rating", True, (1, 5), ("satisfaction", "overall_satisfaction", "rating", "csat_score")),
        _f("ces", "rating", False, (1, 7), ("effort", "customer_effort", "ces_score")),
        _f("comment", "text", aliases=COMMENT),
        _f("customer_id", "id", aliases=CUSTOMER),
        *CUSTOMER_KEYS,
    ),
    "reviews": (
        _f("review_id", "id", True, aliases=("reviewid", "id")),
        STORE_ID,
        _f(
            "posted_at",
            "datetime",
            True,
            aliases=("date", "review_date", "published_at", "created_at", "year_month", "posted", "time"),
        ),
        _f("rating", "rating", True, (1, 5), ("stars", "star_rating", "review_rating", "score")),
        _f("text", "text", aliases=("review_text", "review", "content", "body", "comment")),
        _f("platform", "short", aliases=("source", "review_platform", "website")),
        _f("language", "short", aliases=("lang", "locale")),
        _f("author", "short", aliases=("author_name", "reviewer", "user_name", "username", "handle")),
    ),
    "sales": (
        STORE_ID,
        _f("date", "date", True, aliases=("day", "sales_date", "business_date", "week", "week_start")),
        _f(
            "revenue",
            "amount",
            aliases=("sales", "weekly_sales", "net_sales", "amount", "turnover", "total_sales"),
        ),
        _f(
            "transactions",
            "count",
            aliases=("transaction_count", "tickets", "orders", "receipts", "n_transactions", "txn_count"),
        ),
    ),
    "customers": (
        _f("customer_id", "id", True, aliases=CUSTOMER),
        _f("name", "short", aliases=("customer_name", "full_name")),
        *CUSTOMER_KEYS,
        _f("city", "short", aliases=("town",)),
        _f("country", "short", aliases=("country_name",)),
        _f("segment", "short", aliases=("tier", "customer_segment", "membership_tier")),
        _f(
            "signed_up_at",
            "date",
            aliases=("signup_date", "joined_at", "joined", "registered_at", "member_since"),
        ),
    ),
    "transactions": (
        _f(
            "transaction_id",
            "id",
            True,
            aliases=("transactionid", "receipt_id", "order_id", "ticket_id", "txn_id"),
        ),
        STORE_ID,
        _f(
            "purchased_at",
            "datetime",
            True,
            aliases=("date", "purchase_date", "transaction_date", "order_date", "timestamp", "created_at"),
        ),
        _f("amount", "amount", True, aliases=("total", "value", "order_value", "basket_value", "net_amount")),
        _f("items", "count", aliases=("item_count", "quantity", "units", "n_items")),
        _f("channel", "short", aliases=("sales_channel", "order_channel")),
        _f("customer_id", "id", aliases=CUSTOMER),
        *CUSTOMER_KEYS,
    ),
}
# Fields read from a file but never written as they are: turned into keyed hashes (the customers
# table keeps the normalised value too).
HASHED_FIELDS = {"email": "email_hash", "phone": "phone_hash", "loyalty_id": "loyalty_hash"}

# Fields a fact file may carry to describe stores created with --create-stores.
STORE_CREATION_FIELDS = (
    _f("store_name", "short", aliases=("location_name", "branch_name")),
    *STORE_ATTRIBUTES,
)

# Identifier fields that are derived from the row's content when the file has none.
DERIVABLE_IDS = {"nps": "response_id", "surveys": "response_id", "reviews": "review_id"}
ATTRIBUTE_SCALE = (1.0, 5.0)


def field_specs(kind: str, *, create_stores: bool = False) -> tuple[FieldSpec, ...]:
    """Fields a file of ``kind`` may map to (store attributes too when stores are to be created)."""
    if kind not in FIELDS:
        raise ValueError(f"Unknown kind {kind!r}: choose one of {', '.join(KINDS)}.")
    specs = FIELDS[kind]
    if create_stores and kind != "stores":
        specs = specs + STORE_CREATION_FIELDS
    return specs


def attribute_spec(column: str) -> FieldSpec:
    """Spec of a survey attribute column ``attr_<name>`` (a 1-5 rating)."""
    return FieldSpec(column, "rating", False, ATTRIBUTE_SCALE, (column,))
