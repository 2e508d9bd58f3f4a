"""SQLModel tables, grouped by what they hold.

Natural keys (``response_id``, ``review_id``, ``(store_id, date)``, ``store_id``) are unique, so
re-importing a file can never duplicate a row. Every fact row records the import batch it came from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

JOURNEY_STAGES = ("awareness", "consideration", "conversion", "retention", "advocacy")


# --- Organisation: brand -> region -> optional district -> store ---------------------------


class Brand(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200), unique=True)


class Region(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("brand_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    name: str = Field(sa_type=String(200))


class District(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("region_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    name: str = Field(sa_type=String(200))


class Store(SQLModel, table=True):
    store_id: str = Field(sa_type=String(100), primary_key=True)
    name: str = Field(sa_type=String(300))
    region_id: int = Field(foreign_key="region.id", index=True)
    district_id: int | None = Field(default=None, foreign_key="district.id", index=True)
    city: str | None = Field(default=None, sa_type=String(200))
    country: str | None = Field(default=None, sa_type=String(100))
    latitude: float | None = None
    longitude: float | None = None
    format: str | None = Field(default=None, sa_type=String(100), index=True)
    opened_on: dt.date | None = None
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")


# --- Touchpoints and the customer journey ---------------------------------------------------


class Touchpoint(SQLModel, table=True):
    """A moment of contact; ``stage`` is one of JOURNEY_STAGES (null until someone assigns it)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), unique=True)
    stage: str | None = Field(default=None, sa_type=String(20))
    channel: str | None = Field(default=None, sa_type=String(40))


# --- Imports ----------------------------------------------------------------------------------


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(20), index=True)
    file_name: str = Field(sa_type=String(500))
    sha256: str = Field(sa_type=String(64), index=True)
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_updated: int = 0
    rows_rejected: int
    options: str | None = Field(default=None, sa_type=Text)
    imported_at: dt.datetime = Field(sa_type=DateTime)
    imported_by: str | None = Field(default=None, sa_type=String(200))
    status: str = Field(default="loaded", sa_type=String(10))  # loaded or undone (the row stays)
    undone_at: dt.datetime | None = Field(default=None, sa_type=DateTime)
    undone_by: str | None = Field(default=None, sa_type=String(200))


class StoreChange(SQLModel, table=True):
    """A store's values (JSON, only the fields that changed) before a stores batch updated it, so
    undoing the batch can restore them."""

    __tablename__ = "store_change"
    batch_id: int = Field(foreign_key="import_batch.id", primary_key=True)
    store_id: str = Field(sa_type=String(100), primary_key=True, index=True)
    previous: str = Field(sa_type=Text)


# --- Customer feedback ------------------------------------------------------------------------


class NpsResponse(SQLModel, table=True):
    __tablename__ = "nps_response"
    __table_args__ = (Index("ix_nps_store_time", "store_id", "responded_at"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(sa_type=String(100), unique=True)
    store_id: str = Field(sa_type=String(100), foreign_key="store.store_id")
    responded_at: dt.datetime = Field(sa_type=DateTime, index=True)
    date_precision: str = Field(default="day", sa_type=String(5))
    score: int = Field(sa_type=SmallInteger)
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id", index=True)
    comment: str | None = Field(default=None, sa_type=Text)
    customer_id: str | None = Field(default=None, sa_type=String(100))
    email_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    phone_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    loyalty_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    batch_id: int = Field(foreign_key="import_batch.id")


class SurveyResponse(SQLModel, table=True):
    """CSAT 1-5 and optional CES 1-7 (floats, so rescaled answers keep their value)."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_store_time", "store_id", "responded_at"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(sa_type=String(100), unique=True)
    store_id: str = Field(sa_type=String(100), foreign_key="store.store_id")
    responded_at: dt.datetime = Field(sa_type=DateTime, index=True)
    date_precision: str = Field(default="day", sa_type=String(5))
    touchpoint_id: int = Field(foreign_key="touchpoint.id", index=True)
    csat: float = Field(sa_type=Float)
    ces: float | None = Field(default=None, sa_type=Float)
    comment: str | None = Field(default=None, sa_type=Text)
    customer_id: str | None = Field(default=None, sa_type=String(100))
    email_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    phone_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    loyalty_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    batch_id: int = Field(foreign_key="import_batch.id")


class SurveyAttribute(SQLModel, table=True):
    """One named attribute rating (1-5) of a survey response, in long format."""

    __tablename__ = "survey_attribute"
    response_id: str = Field(
        sa_column=Column(
            String(100),
            ForeignKey("survey_response.response_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    attribute: str = Field(sa_type=String(100), primary_key=True, index=True)
    rating: float = Field(sa_type=Float)


class Review(SQLModel, table=True):
    __table_args__ = (Index("ix_review_store_time", "store_id", "posted_at"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: str = Field(sa_type=String(100), unique=True)
    store_id: str = Field(sa_type=String(100), foreign_key="store.store_id")
    posted_at: dt.datetime = Field(sa_type=DateTime, index=True)
    date_precision: str = Field(default="day", sa_type=String(5))
    rating: float = Field(sa_type=Float)
    text: str | None = Field(default=None, sa_type=Text)
    platform: str | None = Field(default=None, sa_type=String(100))
    language: str | None = Field(default=None, sa_type=String(10))
    author: str | None = Field(default=None, sa_type=String(200))  # the platform's handle
    batch_id: int = Field(foreign_key="import_batch.id")


# --- Customers -------------------------------------------------------------------------------------


class Customer(SQLModel, table=True):
    """A customer of the brand's CRM: the only table holding raw e-mail addresses and phone numbers
    (normalised), beside their keyed hashes, which every other table matches on."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(sa_type=String(100), unique=True)
    name: str | None = Field(default=None, sa_type=String(200))
    email: str | None = Field(default=None, sa_type=String(320))
    phone: str | None = Field(default=None, sa_type=String(50))
    loyalty_id: str | None = Field(default=None, sa_type=String(100))
    city: str | None = Field(default=None, sa_type=String(200))
    country: str | None = Field(default=None, sa_type=String(200))
    segment: str | None = Field(default=None, sa_type=String(200))
    signed_up_at: dt.date | None = Field(default=None, sa_type=Date)
    email_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    phone_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    loyalty_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    merged_into: str | None = Field(default=None, sa_type=String(100), index=True)  # the customer kept
    forgotten_at: dt.datetime | None = Field(default=None, sa_type=DateTime)  # personal data erased
    batch_id: int = Field(foreign_key="import_batch.id")


class CustomerMerge(SQLModel, table=True):
    """Two CRM customers that look like one person: proposed (with the match probability and how it
    was found), then merged or rejected by a person; a merge can be undone."""

    __tablename__ = "customer_merge"
    __table_args__ = (UniqueConstraint("kept_id", "merged_id"),)
    id: int | None = Field(default=None, primary_key=True)
    kept_id: str = Field(sa_type=String(100), index=True)
    merged_id: str = Field(sa_type=String(100), index=True)
    probability: float | None = Field(default=None, sa_type=Float)
    method: str = Field(sa_type=String(20))  # shared key, or splink
    status: str = Field(sa_type=String(10), index=True)  # proposed, merged, rejected, undone
    proposed_at: dt.datetime = Field(sa_type=DateTime)
    decided_at: dt.datetime | None = Field(default=None, sa_type=DateTime)
    decided_by: str | None = Field(default=None, sa_type=String(320))


class CustomerLink(SQLModel, table=True):
    """Which customer one NPS answer, survey answer or transaction belongs to, as ``customers link``
    found it: ``linked`` (one customer, ``matched_on`` the keys that agree), ``conflict`` (its keys name
    several customers, listed in ``candidates``; nothing is merged) or ``unlinked`` (its keys name none)."""

    __tablename__ = "customer_link"
    source: str = Field(sa_type=String(20), primary_key=True)  # nps, survey or transaction
    record_id: str = Field(sa_type=String(100), primary_key=True)
    status: str = Field(sa_type=String(10), index=True)
    customer_id: str | None = Field(default=None, sa_type=String(100), index=True)
    matched_on: str | None = Field(default=None, sa_type=String(100))
    candidates: str | None = Field(default=None, sa_type=Text)
    linked_at: dt.datetime = Field(sa_type=DateTime)


# --- Business outcomes and targets --------------------------------------------------------------


class Sales(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("store_id", "date"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: str = Field(sa_type=String(100), foreign_key="store.store_id")
    date: dt.date = Field(index=True)
    revenue: float | None = None
    transactions: int | None = None
    batch_id: int = Field(foreign_key="import_batch.id")


class Purchase(SQLModel, table=True):
    """One loyalty or point-of-sale transaction; its customer is named by the file's ``customer_id``
    and by keyed hashes of e-mail, phone and loyalty number (never the raw keys)."""

    __table_args__ = (Index("ix_purchase_store_time", "store_id", "purchased_at"),)
    id: int | None = Field(default=None, primary_key=True)
    transaction_id: str = Field(sa_type=String(100), unique=True)
    store_id: str = Field(sa_type=String(100), foreign_key="store.store_id")
    purchased_at: dt.datetime = Field(sa_type=DateTime, index=True)
    date_precision: str = Field(default="day", sa_type=String(5))
    amount: float = Field(sa_type=Float)
    items: int | None = None
    channel: str | None = Field(default=None, sa_type=String(100))
    customer_id: str | None = Field(default=None, sa_type=String(100), index=True)
    email_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    phone_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    loyalty_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    batch_id: int = Field(foreign_key="import_batch.id")


class Goal(SQLModel, table=True):
    """A target for one metric over one scope (brand, region, store ...) and period."""

    id: int | None = Field(default=None, primary_key=True)
    metric: str = Field(sa_type=String(40))
    scope_type: str = Field(sa_type=String(20))
    scope_value: str | None = Field(default=None, sa_type=String(200))
    period_start: dt.date
    period_end: dt.date
    target: float
    created_at: dt.datetime = Field(sa_type=DateTime)
    created_by: str | None = Field(default=None, sa_type=String(200))
    updated_at: dt.datetime | None = Field(default=None, sa_type=DateTime)
    updated_by: str | None = Field(default=None, sa_type=String(200))
    version: int = 1  # raised by every change; an edit of an older version is refused


# --- People: who may sign in, with which role, and which part of the brand they may see --------------


class AppUser(SQLModel, table=True):
    """A person who signs in: one role (:data:`cx.access.roles.ROLES`), a password hash (Argon2) for the
    built-in sign-in or none for single sign-on, and the state of the failed-attempt lockout."""

    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), unique=True)  # stored lower-case
    display_name: str = Field(sa_type=String(200))
    role: str = Field(sa_type=String(30))
    active: bool = True
    password_hash: str | None = Field(default=None, sa_type=String(200))
    created_at: dt.datetime = Field(sa_type=DateTime)
    last_sign_in_at: dt.datetime | None = Field(default=None, sa_type=DateTime)
    failed_attempts: int = 0
    locked_until: dt.datetime | None = Field(default=None, sa_type=DateTime)


class AccessGrant(SQLModel, table=True):
    """A part of the brand a user may see: a brand, region, district or store, by name or id."""

    __tablename__ = "access_grant"
    __table_args__ = (UniqueConstraint("user_id", "level", "value"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    level: str = Field(sa_type=String(20))  # brand, region, district or store
    value: str = Field(sa_type=String(200))


class AuditEvent(SQLModel, table=True):
    """Who did what, when, to which part of the brand (``detail``: JSON, never a password or a hash).
    Append-only: the database refuses to change or delete a row (triggers of revision 0009)."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_type=DateTime, index=True)
    actor: str = Field(sa_type=String(320))  # an e-mail, or the operating-system user of the CLI
    action: str = Field(sa_type=String(40))  # one of cx.store.audit.ACTIONS
    scope: str = Field(sa_type=String(400))
    detail: str = Field(sa_type=Text)


class SignInSession(SQLModel, table=True):
    """A dashboard sign-in that outlives a page reload: the browser holds a random token in a cookie,
    the database only its SHA-256; it ends at ``expires_at``, at sign-out, or when the user is disabled."""

    __tablename__ = "sign_in_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    email: str = Field(sa_type=String(320), index=True)
    method: str = Field(sa_type=String(20))  # password, demo or sso
    created_at: dt.datetime = Field(sa_type=DateTime)
    expires_at: dt.datetime = Field(sa_type=DateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=DateTime)


# --- Rollups: sufficient statistics per store x day and per store x month ---------------------------
# Kept up to date by every import; metrics read these, never the raw rows. A period is answered from
# the monthly tables for its whole months and the daily tables for the days at its edges.
# touchpoint_id 0 stands for "no touchpoint given".


class NpsCounts(SQLModel):
    """Count of answers per score 0-10 (``s0`` ... ``s10``): the full distribution."""

    store_id: str = Field(sa_type=String(100), primary_key=True)
    touchpoint_id: int = Field(primary_key=True)
    s0: int = 0
    s1: int = 0
    s2: int = 0
    s3: int = 0
    s4: int = 0
    s5: int = 0
    s6: int = 0
    s7: int = 0
    s8: int = 0
    s9: int = 0
    s10: int = 0


class NpsDaily(NpsCounts, table=True):
    __tablename__ = "nps_daily"
    day: dt.date = Field(primary_key=True, index=True)


class NpsMonthly(NpsCounts, table=True):
    __tablename__ = "nps_monthly"
    month: dt.date = Field(primary_key=True, index=True)


class SurveySums(SQLModel):
    """CSAT counts per rounded answer (``c1`` ... ``c5``), exact sums, top-2-box, and CES sums with counts
    per rounded answer (``e1`` ... ``e7``)."""

    store_id: str = Field(sa_type=String(100), primary_key=True)
    touchpoint_id: int = Field(primary_key=True)
    n: int = 0
    csat_sum: float = 0.0
    csat_sq: float = 0.0
    top2: int = 0
    c1: int = 0
    c2: int = 0
    c3: int = 0
    c4: int = 0
    c5: int = 0
    ces_n: int = 0
    ces_sum: float = 0.0
    ces_sq: float = 0.0
    ces_agree: int = 0
    e1: int = 0
    e2: int = 0
    e3: int = 0
    e4: int = 0
    e5: int = 0
    e6: int = 0
    e7: int = 0


class SurveyDaily(SurveySums, table=True):
    __tablename__ = "survey_daily"
    day: dt.date = Field(primary_key=True, index=True)


class SurveyMonthly(SurveySums, table=True):
    __tablename__ = "survey_monthly"
    month: dt.date = Field(primary_key=True, index=True)


class AttributeSums(SQLModel):
    store_id: str = Field(sa_type=String(100), primary_key=True)
    touchpoint_id: int = Field(primary_key=True)
    attribute: str = Field(sa_type=String(100), primary_key=True)
    n: int = 0
    rating_sum: float = 0.0
    rating_sq: float = 0.0


class AttributeDaily(AttributeSums, table=True):
    __tablename__ = "attribute_daily"
    day: dt.date = Field(primary_key=True, index=True)


class AttributeMonthly(AttributeSums, table=True):
    __tablename__ = "attribute_monthly"
    month: dt.date = Field(primary_key=True, index=True)


class ReviewSums(SQLModel):
    """Review counts per rounded star (``r1`` ... ``r5``), exact sums and the 1-2 star count."""

    store_id: str = Field(sa_type=String(100), primary_key=True)
    n: int = 0
    rating_sum: float = 0.0
    rating_sq: float = 0.0
    low: int = 0
    r1: int = 0
    r2: int = 0
    r3: int = 0
    r4: int = 0
    r5: int = 0


class ReviewDaily(ReviewSums, table=True):
    __tablename__ = "review_daily"
    day: dt.date = Field(primary_key=True, index=True)


class ReviewMonthly(ReviewSums, table=True):
    __tablename__ = "review_monthly"
    month: dt.date = Field(primary_key=True, index=True)


class SalesMonthly(SQLModel, table=True):
    """Monthly sales per store; ``*_paired`` sums only days with both revenue and transactions."""

    __tablename__ = "sales_monthly"
    store_id: str = Field(sa_type=String(100), primary_key=True)
    month: dt.date = Field(primary_key=True, index=True)
    days: int = 0
    revenue: float | None = None
    transactions: int | None = None
    revenue_paired: float = 0.0
    transactions_paired: int = 0


class DriverMoments(SQLModel, table=True):
    """Pairwise-complete moments of survey variables (``csat`` and ``attr:<name>``) per store x month.

    Enough to rebuild the respondent-level correlation matrix of any scope without raw rows.
    """

    __tablename__ = "driver_moments"
    store_id: str = Field(sa_type=String(100), primary_key=True)
    month: dt.date = Field(primary_key=True)
    var_a: str = Field(sa_type=String(110), primary_key=True)
    var_b: str = Field(sa_type=String(110), primary_key=True)
    n: int = 0
    sum_a: float = 0.0
    sum_b: float = 0.0
    sum_ab: float = 0.0
    sum_aa: float = 0.0
    sum_bb: float = 0.0


# --- Coarser rollups: the same sums under fewer keys, for reads that need no finer grain ----------
# ``<group>_daily_total``: day (x touchpoint) summed over every store, for the whole brand;
# ``<group>_store_weekly`` / ``_store_monthly``: store x week (from Monday) / month, touchpoints summed.


def _coarser_rollup(name: str, finer: type[SQLModel], keys: tuple[str, ...]) -> Table:
    """A rollup table keyed on ``keys`` with the measure columns of ``finer`` (same types), and an index
    on its time key when that does not lead the primary key."""
    types = {"store_id": String(100), "touchpoint_id": Integer(), "attribute": String(100)}
    columns = [Column(key, types.get(key, Date()), primary_key=True) for key in keys]
    columns += [
        Column(c.name, c.type, nullable=c.nullable) for c in finer.__table__.columns if not c.primary_key
    ]
    table = Table(name, SQLModel.metadata, *columns)
    if keys[0] == "store_id":
        Index(f"ix_{name}_{keys[1]}", table.c[keys[1]])
    return table


COARSER_ROLLUPS = {
    table.name: table
    for table in (
        _coarser_rollup("nps_daily_total", NpsDaily, ("day", "touchpoint_id")),
        _coarser_rollup("nps_store_weekly", NpsDaily, ("store_id", "week")),
        _coarser_rollup("nps_store_monthly", NpsDaily, ("store_id", "month")),
        _coarser_rollup("survey_daily_total", SurveyDaily, ("day", "touchpoint_id")),
        _coarser_rollup("survey_store_weekly", SurveyDaily, ("store_id", "week")),
        _coarser_rollup("survey_store_monthly", SurveyDaily, ("store_id", "month")),
        _coarser_rollup("attribute_daily_total", AttributeDaily, ("day", "touchpoint_id", "attribute")),
        _coarser_rollup("review_daily_total", ReviewDaily, ("day",)),
        _coarser_rollup("review_store_weekly", ReviewDaily, ("store_id", "week")),
        _coarser_rollup("sales_daily_total", SalesMonthly, ("day",)),
        _coarser_rollup("sales_store_weekly", SalesMonthly, ("store_id", "week")),
    )
}


# --- Actions: what someone did, so the drill-down can test whether anything changed after it ------


class Action(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    action_date: dt.date = Field(index=True)
    scope_type: str = Field(sa_type=String(20))
    scope_value: str | None = Field(default=None, sa_type=String(200))
    description: str = Field(sa_type=Text)
    created_at: dt.datetime = Field(sa_type=DateTime)
    created_by: str | None = Field(default=None, sa_type=String(200))
    updated_at: dt.datetime | None = Field(default=None, sa_type=DateTime)
    updated_by: str | None = Field(default=None, sa_type=String(200))
    version: int = 1  # raised by every change; an edit of an older version is refused


class StoredResult(SQLModel, table=True):
    """An expensive computation's answer (``name`` called with the arguments whose canonical JSON has
    the SHA-256 ``arguments_digest``), valid for the data version it was computed on (see
    :func:`cx.store.queries.data_version`)."""

    __tablename__ = "stored_result"
    name: str = Field(sa_type=String(200), primary_key=True)
    arguments_digest: str = Field(sa_type=String(64), primary_key=True)
    data_version: int = Field(primary_key=True)
    answer: str = Field(sa_type=Text)
