"""Merging CRM customers who are one person: proposed by :func:`cx.identity.duplicates.find_duplicates`,
merged or rejected by a person, and undone.

A pair has one ``customer_merge`` row, whichever way round: ``proposed`` (with the probability and
how it was found), then ``merged``, ``rejected`` or, after an unmerge, ``undone``; a pair with a row
is never proposed again. Merging sets ``customer.merged_into`` of the merged customer, and of everyone
already merged into them, to the customer kept (so ``merged_into`` always names a customer who is not
merged), and moves the merged customer's links to the customer kept.

Unmerging undoes the merge in force of one customer from what the tables hold, with no log of what
moved: its row becomes ``undone``; every customer under the same kept customer gets ``merged_into``
again from the merges still in force, so those merged into the unmerged customer follow them out; and
each link of the kept customer whose record names a customer leaving (by its ``customer_id`` or a key
hash, :data:`cx.store.linking.KEYS`) goes back to the unmerged customer. Those are exactly the links
the merges moved: :func:`cx.store.linking.link_customers` links a record only when its keys name one
customer, so none of the kept customer's own records names another.

Every change runs in one transaction with its audit event; a refusal (``ValueError``) changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Engine, and_, false, insert, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel

from cx.identity.duplicates import INPUT_COLUMNS, find_duplicates
from cx.store import audit
from cx.store.linking import KEYS, RECORDS
from cx.store.models import Customer, CustomerLink, CustomerMerge

STATUSES = ("proposed", "merged", "rejected", "undone")
PROPOSAL_COLUMNS = (
    "kept_id", "kept_name", "kept_city", "merged_id", "merged_name", "merged_city", "probability", "method",
    "status", "proposed_at", "decided_at", "decided_by",
)  # fmt: skip


def propose_merges(engine: Engine, *, now: dt.datetime | None = None) -> int:
    """Propose every pair of live customers (not merged, not forgotten) that
    :func:`~cx.identity.duplicates.find_duplicates` finds and that has no ``customer_merge`` row yet;
    how many were added."""
    now = now or dt.datetime.now()
    with engine.begin() as connection:
        live = connection.execute(
            select(*(getattr(Customer, column) for column in INPUT_COLUMNS)).where(
                Customer.merged_into.is_(None), Customer.forgotten_at.is_(None)
            )
        ).all()
        pairs = find_duplicates(pd.DataFrame(live, columns=list(INPUT_COLUMNS)))
        known = {
            frozenset(pair)
            for pair in connection.execute(select(CustomerMerge.kept_id, CustomerMerge.merged_id))
        }
        rows = [
            {
                "kept_id": pair.first_id,
                "merged_id": pair.second_id,
                "probability": pair.probability,
                "method": pair.method,
                "status": "proposed",
                "proposed_at": now,
            }
            for pair in pairs.itertuples()
            if frozenset((pair.first_id, pair.second_id)) not in known
        ]
        if rows:
            connection.execute(insert(CustomerMerge), rows)
    return len(rows)


def merge(engine: Engine, kept_id: str, merged_id: str, *, by: str, now: dt.datetime | None = None) -> dict:
    """Merge ``merged_id`` into ``kept_id`` (see the module's description), decided by ``by``; a pair
    nobody proposed is recorded with method ``manual``. Refused when either is unknown, they are the
    same, ``merged_id`` is merged already or ``kept_id`` is merged into someone."""
    now = now or dt.datetime.now()
    with engine.begin() as connection:
        found = _customers(connection, kept_id, merged_id)
        if kept_id == merged_id:
            raise ValueError(f"Customer {kept_id} cannot be merged into themselves.")
        if found[merged_id] is not None:
            raise ValueError(f"Customer {merged_id} is already merged into {found[merged_id]}.")
        if found[kept_id] is not None:
            raise ValueError(
                f"Customer {kept_id} is merged into {found[kept_id]}; merge {merged_id} into "
                f"{found[kept_id]} instead."
            )
        moved = connection.execute(
            update(Customer)
            .where(or_(Customer.customer_id == merged_id, Customer.merged_into == merged_id))
            .values(merged_into=kept_id)
        ).rowcount
        proposal = _decide(connection, kept_id, merged_id, status="merged", by=by, now=now)
        links = connection.execute(
            update(CustomerLink).where(CustomerLink.customer_id == merged_id).values(customer_id=kept_id)
        ).rowcount
        done = {"kept_id": kept_id, "merged_id": merged_id, "customers_moved": moved, "links_moved": links}
        audit.record(connection, actor=by, action="customer_merge", **done, **proposal)
    return done


def unmerge(engine: Engine, merged_id: str, *, by: str, now: dt.datetime | None = None) -> dict:
    """Undo the merge in force of ``merged_id`` (see the module's description), decided by ``by``; its
    row becomes ``undone``. Refused when ``merged_id`` is unknown or not merged."""
    now = now or dt.datetime.now()
    with engine.begin() as connection:
        root = _customers(connection, merged_id)[merged_id]
        if root is None:
            raise ValueError(f"Customer {merged_id} is not merged into anyone.")
        row = connection.execute(
            select(CustomerMerge.id, CustomerMerge.kept_id)
            .where(CustomerMerge.merged_id == merged_id, CustomerMerge.status == "merged")
            .order_by(CustomerMerge.decided_at.desc(), CustomerMerge.id.desc())
        ).first()
        if row is None:
            raise ValueError(f"Customer {merged_id} is marked merged into {root}, but no merge is recorded.")
        connection.execute(
            update(CustomerMerge).where(CustomerMerge.id == row.id)
            .values(status="undone", decided_at=now, decided_by=by[:320])
        )  # fmt: skip
        apart = _set_apart(connection, root, merged_id)
        links = _restore_links(connection, root, merged_id, apart)
        done = {"kept_id": row.kept_id, "merged_id": merged_id, "customers_moved": len(apart),
                "links_moved": links}  # fmt: skip
        audit.record(connection, actor=by, action="customer_unmerge", **done)
    return done


def reject(engine: Engine, kept_id: str, merged_id: str, *, by: str, now: dt.datetime | None = None) -> None:
    """Reject the proposal to merge the pair (either way round), decided by ``by``; it is never
    proposed again. Refused when the pair has no proposal, or one already decided."""
    now = now or dt.datetime.now()
    with engine.begin() as connection:
        row = _pair_row(connection, kept_id, merged_id)
        if row is None or row.status != "proposed":
            said = "no proposal" if row is None else f"a proposal already {row.status}"
            raise ValueError(f"There is {said} to merge {merged_id} into {kept_id}.")
        _decide(connection, row.kept_id, row.merged_id, status="rejected", by=by, now=now)
        audit.record(connection, actor=by, action="customer_merge_reject", kept_id=row.kept_id,
                     merged_id=row.merged_id, probability=row.probability, method=row.method)  # fmt: skip


def proposals(engine: Engine, *, status: str = "proposed") -> pd.DataFrame:
    """The pairs in ``status`` for review (:data:`PROPOSAL_COLUMNS`: ids, names and cities, never
    e-mails or phones), most likely first; open proposals only while both customers are live."""
    if status not in STATUSES:
        raise ValueError(f"A merge's status is one of {', '.join(STATUSES)}, not {status!r}.")
    kept, merged = aliased(Customer), aliased(Customer)
    query = (
        select(
            CustomerMerge.kept_id,
            kept.name.label("kept_name"),
            kept.city.label("kept_city"),
            CustomerMerge.merged_id,
            merged.name.label("merged_name"),
            merged.city.label("merged_city"),
            CustomerMerge.probability,
            CustomerMerge.method,
            CustomerMerge.status,
            CustomerMerge.proposed_at,
            CustomerMerge.decided_at,
            CustomerMerge.decided_by,
        )
        .join(kept, kept.customer_id == CustomerMerge.kept_id)
        .join(merged, merged.customer_id == CustomerMerge.merged_id)
        .where(CustomerMerge.status == status)
        .order_by(
            CustomerMerge.probability.desc().nulls_last(), CustomerMerge.kept_id, CustomerMerge.merged_id
        )
    )
    if status == "proposed":
        query = query.where(*(c.merged_into.is_(None) & c.forgotten_at.is_(None) for c in (kept, merged)))
    with engine.connect() as connection:
        found = connection.execute(query).all()
    return pd.DataFrame(found, columns=list(PROPOSAL_COLUMNS))


def _customers(connection: Connection, *customer_ids: str) -> dict[str, str | None]:
    """Each customer's ``merged_into``, rows locked until the transaction ends; refused when one is
    unknown or forgotten."""
    found = dict(
        connection.execute(
            select(Customer.customer_id, Customer.merged_into)
            .where(Customer.customer_id.in_(customer_ids), Customer.forgotten_at.is_(None))
            .with_for_update()
        ).all()
    )
    unknown = [customer_id for customer_id in customer_ids if customer_id not in found]
    if unknown:
        raise ValueError(f"There is no customer {' or '.join(dict.fromkeys(unknown))}.")
    return found


def _pair_row(connection: Connection, first: str, second: str):
    """The pair's ``customer_merge`` row, whichever way round; None when there is none."""
    return connection.execute(
        select(CustomerMerge).where(
            or_(
                and_(CustomerMerge.kept_id == first, CustomerMerge.merged_id == second),
                and_(CustomerMerge.kept_id == second, CustomerMerge.merged_id == first),
            )
        )
    ).first()


def _decide(
    connection: Connection, kept_id: str, merged_id: str, *, status: str, by: str, now: dt.datetime
) -> dict:
    """Put the pair's row in ``status``, named the way it was decided (a new ``manual`` row when there
    was none); its probability and method."""
    decided = {"kept_id": kept_id, "merged_id": merged_id, "status": status, "decided_at": now,
               "decided_by": by[:320]}  # fmt: skip
    row = _pair_row(connection, kept_id, merged_id)
    if row is None:
        connection.execute(insert(CustomerMerge).values(**decided, method="manual", proposed_at=now))
        return {"probability": None, "method": "manual"}
    connection.execute(update(CustomerMerge).where(CustomerMerge.id == row.id).values(**decided))
    return {"probability": row.probability, "method": row.method}


def _set_apart(connection: Connection, root: str, merged_id: str) -> list[str]:
    """Work out again whom each customer merged into ``root`` is merged into, from the merges still in
    force (``merged_id``'s is undone): ``merged_id`` no one, those whose merges lead to it ``merged_id``.
    Returns those that left ``root``."""
    group = list(
        connection.execute(select(Customer.customer_id).where(Customer.merged_into == root)).scalars()
    )
    parent = dict(
        connection.execute(
            select(CustomerMerge.merged_id, CustomerMerge.kept_id).where(
                CustomerMerge.status == "merged", CustomerMerge.merged_id.in_(group)
            )
        ).all()
    )
    apart = []
    for customer_id in group:
        top = customer_id
        while top in parent:
            top = parent[top]
        if top == merged_id:
            apart.append(customer_id)
    connection.execute(update(Customer).where(Customer.customer_id == merged_id).values(merged_into=None))
    others = [customer_id for customer_id in apart if customer_id != merged_id]
    if others:
        connection.execute(
            update(Customer).where(Customer.customer_id.in_(others)).values(merged_into=merged_id)
        )
    return apart


def _restore_links(connection: Connection, root: str, merged_id: str, apart: list[str]) -> int:
    """Move back to ``merged_id`` the links of ``root`` whose record a customer in ``apart`` names."""
    named = false()
    for source, (table_name, record_id) in RECORDS.items():
        table = SQLModel.metadata.tables[table_name]
        keys = or_(*(table.c[column] == Customer.__table__.c[column] for column in KEYS.values()))
        records = select(table.c[record_id]).join(Customer, keys).where(Customer.customer_id.in_(apart))
        named = or_(named, and_(CustomerLink.source == source, CustomerLink.record_id.in_(records)))
    return connection.execute(
        update(CustomerLink)
        .where(CustomerLink.customer_id == root, CustomerLink.status == "linked", named)
        .values(customer_id=merged_id)
    ).rowcount
