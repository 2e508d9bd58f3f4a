"""One customer across sources: their profile and timeline, finding them by a key, the detractors at
risk, everything held about them, and forgetting them.

Events are the records :mod:`cx.store.linking` linked to the customer (NPS answers, survey answers,
transactions), read through the gate, so a manager sees a customer's events at their own stores only
and a customer with none there not at all. A merged customer is shown as the customer kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, func, literal, select, update

from cx.config import local_user
from cx.identity.keys import KEY_KINDS, identity_secret, keyed_hash, normal_key, phone_region
from cx.store import audit
from cx.store.models import (
    Customer,
    CustomerLink,
    CustomerMerge,
    NpsResponse,
    Purchase,
    StoredResult,
    SurveyResponse,
    Touchpoint,
)
from cx.store.scope import Scope, gated

PROFILE_KEYS = ("customer_id", "name", "segment", "stores", "first_seen", "last_seen", "revenue", "transactions",
                "last_nps", "journey_stage", "events")  # fmt: skip
EVENT_KEYS = ("source", "at", "store_id", "touchpoint", "score", "amount", "text")
PERSONAL = ("name", "email", "phone", "loyalty_id", "city", "country", "segment", "signed_up_at", "email_hash",
            "phone_hash", "loyalty_hash")  # fmt: skip
RECORD_TABLES = {"nps": NpsResponse, "survey": SurveyResponse, "transaction": Purchase}
RECORD_IDS = {"nps": NpsResponse.response_id, "survey": SurveyResponse.response_id,
              "transaction": Purchase.transaction_id}  # fmt: skip
DETRACTOR_AT_MOST = 6
FORGOTTEN_PREFIX = "forgotten-"


class UnknownCustomer(LookupError):
    """No such customer, or none the caller may see (the message does not tell which)."""


def resolved_id(engine: Engine, customer_id: str) -> str:
    """The customer kept for ``customer_id`` (itself unless merged); :class:`UnknownCustomer` when the
    CRM has no such live customer."""
    with engine.connect() as connection:
        found = connection.execute(
            select(Customer.customer_id, Customer.merged_into).where(Customer.customer_id == customer_id)
        ).first()
    if found is None:
        raise UnknownCustomer(f"There is no customer {customer_id}.")
    return found.merged_into or found.customer_id


def find_customer(engine: Engine, searched: str, *, scope: Scope) -> str | None:
    """The customer a search names: a customer id as written, else an e-mail, phone or loyalty number
    in any spelling (normalised and hashed as at import); None when nobody matches, or when ``scope``
    is confined and holds none of their records (the same answer: nothing tells them apart)."""
    found = _searched(engine, searched.strip())
    if found is None or scope.visible_stores is None:
        return found
    return found if len(customer_events(engine, found, scope=scope)) else None


def _searched(engine: Engine, searched: str) -> str | None:
    if not searched:
        return None
    with engine.connect() as connection:
        if connection.execute(select(Customer.id).where(Customer.customer_id == searched)).first():
            return resolved_id(engine, searched)
        region, secret = phone_region(engine), identity_secret()
        columns = {
            "email": Customer.email_hash,
            "phone": Customer.phone_hash,
            "loyalty": Customer.loyalty_hash,
        }
        for kind in KEY_KINDS:
            normal = normal_key(kind, searched, region)
            if normal is None:
                continue
            found = connection.execute(
                select(Customer.customer_id).where(columns[kind] == keyed_hash(kind, normal, secret)).limit(1)
            ).scalar()
            if found:
                return resolved_id(engine, found)
    return None


def customer_events(engine: Engine, customer_id: str, *, scope: Scope) -> pd.DataFrame:
    """The customer's linked records in ``scope`` with :data:`EVENT_KEYS`, oldest first."""
    parts = []
    for source, table in RECORD_TABLES.items():
        link = and_(_linked(source), CustomerLink.customer_id == customer_id)
        joined, conditions = gated(
            table.__table__, scope, also=frozenset({"touchpoint"}) if source != "transaction" else frozenset()
        )
        joined = joined.join(CustomerLink.__table__, link)
        columns = _event_columns(source, table)
        parts.append(select(*columns).select_from(joined).where(*conditions))
    with engine.connect() as connection:
        rows = [row for part in parts for row in connection.execute(part).mappings()]
    events = pd.DataFrame(rows, columns=list(EVENT_KEYS))
    return events.sort_values(["at", "source"], kind="stable").reset_index(drop=True)


def _event_columns(source: str, table) -> list:
    none = literal(None)
    if source == "nps":
        values = (table.responded_at, Touchpoint.name, table.score, none, table.comment)
    elif source == "survey":
        values = (table.responded_at, Touchpoint.name, table.csat, none, table.comment)
    else:
        values = (table.purchased_at, none, none, table.amount, none)
    at, touchpoint, score, amount, comment = values
    return [literal(source).label("source"), at.label("at"), table.store_id.label("store_id"),
            touchpoint.label("touchpoint"), score.label("score"), amount.label("amount"),
            comment.label("text")]  # fmt: skip


def customer_profile(engine: Engine, customer_id: str, *, scope: Scope) -> dict:
    """:data:`PROFILE_KEYS` of one customer as ``scope`` sees them. The journey stage is the furthest
    the customer's records show: ``consideration`` (feedback, no purchase), ``conversion`` (one
    purchase), ``retention`` (more than one), ``advocacy`` (more than one and their latest NPS answer a
    promoter's, 9-10). :class:`UnknownCustomer` when there is no such customer or the scope holds none
    of their records while it is confined."""
    kept = resolved_id(engine, customer_id)
    events = customer_events(engine, kept, scope=scope)
    if scope.visible_stores is not None and events.empty:
        raise UnknownCustomer(f"There is no customer {customer_id} among those you may see.")
    with engine.connect() as connection:
        crm = connection.execute(
            select(Customer.name, Customer.segment).where(Customer.customer_id == kept)
        ).one()
    purchases = events.loc[events["source"] == "transaction"]
    answers = events.loc[events["source"] == "nps"]
    last_nps = int(answers["score"].iloc[-1]) if len(answers) else None
    return {
        "customer_id": kept,
        "name": crm.name,
        "segment": crm.segment,
        "stores": sorted(events["store_id"].unique().tolist()),
        "first_seen": events["at"].min() if len(events) else None,
        "last_seen": events["at"].max() if len(events) else None,
        "revenue": float(purchases["amount"].sum()),
        "transactions": len(purchases),
        "last_nps": last_nps,
        "journey_stage": _stage(len(purchases), last_nps, has_feedback=len(events) > len(purchases)),
        "events": events.to_dict("records"),
    }


def _stage(purchases: int, last_nps: int | None, *, has_feedback: bool) -> str | None:
    if purchases > 1:
        return "advocacy" if last_nps is not None and last_nps >= 9 else "retention"
    if purchases == 1:
        return "conversion"
    return "consideration" if has_feedback else None


def at_risk(engine: Engine, *, scope: Scope, limit: int = 200) -> pd.DataFrame:
    """Detractors (latest NPS answer 0-6) in ``scope`` with no purchase since that answer: customer,
    store, answered, score, comment, last purchase (before it), newest answers first."""
    answers = _latest_answers(engine, scope=scope)
    risky = answers.loc[answers["score"] <= DETRACTOR_AT_MOST]
    last = _last_purchases(engine, risky["customer_id"])
    risky = risky.merge(last, on="customer_id", how="left")
    risky = risky.loc[~(risky["last_purchase"] > risky["answered"])]
    columns = ["customer_id", "store_id", "answered", "score", "comment", "last_purchase"]
    ordered = risky.sort_values(["answered", "customer_id"], ascending=[False, True], kind="stable")
    return ordered[columns].head(limit).reset_index(drop=True)


def _linked_answers(scope: Scope):
    """The FROM and WHERE of the NPS answers in ``scope`` linked to a customer."""
    joined, conditions = gated(NpsResponse.__table__, scope)
    return joined.join(CustomerLink.__table__, _linked("nps")), conditions


def _linked(source: str):
    """The join of ``source``'s records to their ``linked`` customer."""
    return and_(CustomerLink.source == source, CustomerLink.record_id == RECORD_IDS[source],
                CustomerLink.status == "linked")  # fmt: skip


def linked_customers(engine: Engine, *, scope: Scope) -> int:
    """How many customers have an NPS answer linked to them in ``scope``."""
    joined, conditions = _linked_answers(scope)
    query = select(func.count(func.distinct(CustomerLink.customer_id))).select_from(joined).where(*conditions)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def _latest_answers(engine: Engine, *, scope: Scope) -> pd.DataFrame:
    """Each linked customer's latest NPS answer in ``scope``: customer_id, store_id, answered, score,
    comment (one answer when several share the moment)."""
    joined, conditions = _linked_answers(scope)
    query = select(CustomerLink.customer_id, NpsResponse.store_id, NpsResponse.responded_at.label("answered"),
                   NpsResponse.score, NpsResponse.comment).select_from(joined).where(*conditions)  # fmt: skip
    with engine.connect() as connection:
        rows = pd.DataFrame(map(tuple, connection.execute(query)), columns=["customer_id", "store_id", "answered",
                                                                      "score", "comment"])  # fmt: skip
    rows = rows.sort_values(["customer_id", "answered", "store_id"], kind="stable")
    return rows.drop_duplicates("customer_id", keep="last")


def _last_purchases(engine: Engine, customer_ids: pd.Series) -> pd.DataFrame:
    """customer_id, last_purchase (at any store) of these customers; those without a purchase left out."""
    link = _linked("transaction")
    wanted = sorted(set(customer_ids))
    found = []
    with engine.connect() as connection:
        for start in range(0, len(wanted), 5000):  # bounded IN lists
            query = (
                select(CustomerLink.customer_id, func.max(Purchase.purchased_at))
                .select_from(Purchase.__table__.join(CustomerLink.__table__, link))
                .where(CustomerLink.customer_id.in_(wanted[start : start + 5000]))
                .group_by(CustomerLink.customer_id)
            )
            found += map(tuple, connection.execute(query))
    last = pd.DataFrame(found, columns=["customer_id", "last_purchase"])
    return last.astype({"last_purchase": "datetime64[us]"}) if len(last) else last


def customer_export(engine: Engine, customer_id: str, *, actor: str | None = None) -> dict:
    """Everything held about one customer (the right of access): the CRM record with its personal
    data, every link and linked record, and the merges naming them; recorded as an ``export``."""
    with engine.connect() as connection:
        crm = (
            connection.execute(select(Customer).where(Customer.customer_id == customer_id)).mappings().first()
        )
    if crm is None:
        raise UnknownCustomer(f"There is no customer {customer_id}.")
    kept = crm["merged_into"] or customer_id
    with engine.begin() as connection:
        links = (
            connection.execute(select(CustomerLink).where(CustomerLink.customer_id.in_({customer_id, kept})))
            .mappings()
            .all()
        )
        merges = (
            connection.execute(
                select(CustomerMerge).where(
                    (CustomerMerge.kept_id == customer_id) | (CustomerMerge.merged_id == customer_id)
                )
            )
            .mappings()
            .all()
        )
        audit.record(connection, actor=actor or local_user(), action="export", what="customer")
    record = {key: value for key, value in crm.items() if key not in ("id", "batch_id")}
    events = customer_events(engine, kept, scope=Scope())
    return {"customer": record, "links": [dict(link) for link in links], "merges": [dict(m) for m in merges],
            "events": events.to_dict("records")}  # fmt: skip


def forget_customer(
    engine: Engine, customer_id: str, *, actor: str | None = None, now: dt.datetime | None = None
) -> dict:
    """Erase one customer's personal data (the right to erasure): the CRM record keeps only a
    tombstone id (a keyed hash of the id, so a later CRM file does not bring them back), their links
    go, and their records lose every key that could name them again (``customer_id`` and the key
    hashes); scores, amounts and comments stay, anonymous. Kept answers are dropped. Audited under the
    tombstone, never the id."""
    now = now or dt.datetime.now()
    tombstone = forgotten_id(customer_id)
    with engine.begin() as connection:
        found = connection.execute(select(Customer.id).where(Customer.customer_id == customer_id)).first()
        if found is None:
            raise UnknownCustomer(f"There is no customer {customer_id}.")
        ids = {customer_id} | set(
            connection.execute(
                select(Customer.customer_id).where(Customer.merged_into == customer_id)
            ).scalars()
        )
        anonymised = _anonymise_records(connection, ids)
        removed = connection.execute(delete(CustomerLink).where(CustomerLink.customer_id.in_(ids))).rowcount
        connection.execute(
            delete(CustomerMerge).where(CustomerMerge.kept_id.in_(ids) | CustomerMerge.merged_id.in_(ids))
        )
        connection.execute(
            update(Customer).where(Customer.customer_id.in_(ids - {customer_id})).values(merged_into=None)
        )
        connection.execute(
            update(Customer)
            .where(Customer.id == found.id)
            .values(customer_id=tombstone, merged_into=None, forgotten_at=now, **dict.fromkeys(PERSONAL))
        )
        connection.execute(delete(StoredResult))
        audit.record(connection, actor=actor or local_user(), action="customer_forget", customer=tombstone,
                     records=anonymised, links=removed)  # fmt: skip
    return {"customer": tombstone, "records_anonymised": anonymised, "links_removed": removed}


def _anonymise_records(connection: Connection, ids: set[str]) -> int:
    """Take every key that names these customers off every record: the links' records, records naming
    them by ``customer_id``, and records carrying one of their key hashes (linked or not); conflicts
    naming them as a candidate are dropped, to be looked at again by the next link. How many records."""
    hashes = {column: set() for column in ("email_hash", "phone_hash", "loyalty_hash")}
    for row in connection.execute(
        select(Customer.email_hash, Customer.phone_hash, Customer.loyalty_hash).where(
            Customer.customer_id.in_(ids)
        )
    ).mappings():
        for column, value in row.items():
            if value is not None:
                hashes[column].add(value)
    keys = dict.fromkeys(("customer_id", *hashes))
    total = 0
    for source, table in RECORD_TABLES.items():
        linked = select(CustomerLink.record_id).where(
            CustomerLink.source == source, CustomerLink.customer_id.in_(ids)
        )
        named = RECORD_IDS[source].in_(linked) | table.customer_id.in_(ids)
        for column, values in hashes.items():
            if values:
                named = named | getattr(table, column).in_(sorted(values))
        total += connection.execute(update(table).where(named).values(**keys)).rowcount
    conflicts = connection.execute(
        select(CustomerLink.source, CustomerLink.record_id, CustomerLink.candidates).where(
            CustomerLink.status == "conflict"
        )
    ).all()
    for source, record_id, candidates in conflicts:
        if ids & set((candidates or "").split()):
            connection.execute(
                delete(CustomerLink).where(CustomerLink.source == source, CustomerLink.record_id == record_id)
            )
    return total


def forgotten_id(customer_id: str) -> str:
    """The tombstone of a forgotten customer's id: a keyed hash, the same for the same id."""
    return (
        FORGOTTEN_PREFIX
        + hmac.new(identity_secret(), f"customer:{customer_id}".encode(), hashlib.sha256).hexdigest()[:24]
    )


def forgotten_among(engine: Engine, customer_ids: pd.Series) -> pd.Series:
    """Which of these ids belong to customers forgotten at their request (a CRM file must not bring
    them back)."""
    with engine.connect() as connection:
        tombstones = set(
            connection.execute(
                select(Customer.customer_id).where(Customer.customer_id.startswith(FORGOTTEN_PREFIX))
            ).scalars()
        )
    if not tombstones:
        return pd.Series(False, index=customer_ids.index)
    distinct = customer_ids.dropna().unique()
    forgotten = {value for value in distinct if forgotten_id(value) in tombstones}
    return customer_ids.isin(forgotten)


def answers_and_returns(engine: Engine, *, days: int, scope: Scope, start: dt.datetime | None = None,
                        end: dt.datetime | None = None) -> tuple[pd.DataFrame, int, dt.datetime | None]:  # fmt: skip
    """Each linked customer's first NPS answer in ``scope`` and ``[start, end)``, with their purchases
    (any store) in the ``days`` after it, (answer, answer + days]: ``customer_id, answered, score,
    purchases, revenue``. Answers less than ``days`` before the last purchase on record are left out,
    as their window is not over (censored); returns the rows, how many customers were left out so,
    and that last purchase. Two grouped reads (the answers, the customers' purchases in the span the
    windows cover); the windows are matched in pandas."""
    columns = ["customer_id", "answered", "score", "purchases", "revenue"]
    joined, conditions = _linked_answers(scope)
    if start is not None:
        conditions.append(NpsResponse.responded_at >= start)
    if end is not None:
        conditions.append(NpsResponse.responded_at < end)
    query = select(CustomerLink.customer_id, NpsResponse.responded_at, NpsResponse.score).select_from(joined)
    with engine.connect() as connection:
        data_end = connection.execute(select(func.max(Purchase.purchased_at))).scalar()
        answers = pd.DataFrame(map(tuple, connection.execute(query.where(*conditions))),
                               columns=["customer_id", "answered", "score"])  # fmt: skip
    if data_end is None or answers.empty:
        return pd.DataFrame(columns=columns), 0, data_end
    answers["answered"] = pd.to_datetime(answers["answered"])
    first = answers.sort_values(["customer_id", "answered", "score"], kind="stable").drop_duplicates(
        "customer_id"
    )
    window = pd.Timedelta(days=days)
    open_windows = first["answered"] > pd.Timestamp(data_end) - window
    censored, first = int(open_windows.sum()), first.loc[~open_windows]
    bought = _purchases_between(engine, first["answered"].min(), first["answered"].max() + window)
    bought = bought.merge(first[["customer_id", "answered"]], on="customer_id")
    inside = (bought["purchased_at"] > bought["answered"]) & (
        bought["purchased_at"] <= bought["answered"] + window
    )
    sums = (
        bought.loc[inside].groupby("customer_id").agg(purchases=("amount", "size"), revenue=("amount", "sum"))
    )
    result = first.merge(sums, on="customer_id", how="left").fillna({"purchases": 0, "revenue": 0.0})
    return (
        result[columns].astype({"score": "int64", "purchases": "int64", "revenue": "float64"}),
        censored,
        data_end,
    )


def _purchases_between(engine: Engine, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """customer_id, purchased_at, amount of the linked purchases in ``[first, last]``."""
    link = _linked("transaction")
    query = (
        select(CustomerLink.customer_id, Purchase.purchased_at, Purchase.amount)
        .select_from(Purchase.__table__.join(CustomerLink.__table__, link))
        .where(Purchase.purchased_at >= first.to_pydatetime(), Purchase.purchased_at <= last.to_pydatetime())
    )
    with engine.connect() as connection:
        rows = pd.DataFrame(
            map(tuple, connection.execute(query)), columns=["customer_id", "purchased_at", "amount"]
        )
    return rows.assign(purchased_at=pd.to_datetime(rows["purchased_at"]))
