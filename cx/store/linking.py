"""Linking NPS answers, survey answers and transactions to the CRM's customers, deterministically, in
the database.

A record names its customer by any of four keys: the file's ``customer_id`` (a CRM id) and the keyed
hashes of its e-mail, phone and loyalty number (:mod:`cx.identity.keys`). Each key is looked up among
the customers' own keys. The record is ``linked`` when every key that finds someone finds the same
customer (``matched_on`` lists those keys; a merged customer counts as the customer kept), a
``conflict`` when its keys find different customers (the candidates are listed and nothing is merged), and ``unlinked`` when no key finds anyone. A record
without any key is not a candidate at all.

Linking is incremental: only records never linked, or unlinked or in conflict last time (a new CRM
file may now know them, a merge may have made their candidates one), are looked at, so a new batch costs its own records and running it again changes nothing.
``duplicate_pairs`` counts the pairs of CRM customers proposed for merging (:mod:`cx.store.merges`)
and not decided yet: the same person, most likely, to be merged by a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select, text

from cx.config import local_user
from cx.store import audit
from cx.store.models import Customer, CustomerLink, CustomerMerge

LINK_KEYS = ("customers", "records_linked", "records_unlinked", "conflicts", "duplicate_pairs")
RECORDS = {  # source -> (table, its record id)
    "nps": ("nps_response", "response_id"),
    "survey": ("survey_response", "response_id"),
    "transaction": ("purchase", "transaction_id"),
}
KEYS = {"customer_id": "customer_id", "email": "email_hash", "phone": "phone_hash", "loyalty": "loyalty_hash"}


@dataclass(frozen=True)
class LinkSummary:
    """The state after a run (:data:`LINK_KEYS`), and how many records this run looked at."""

    customers: int
    records_linked: int
    records_unlinked: int
    conflicts: int
    duplicate_pairs: int
    looked_at: int

    def as_json(self) -> dict:
        return {key: getattr(self, key) for key in LINK_KEYS}


def link_customers(
    engine: Engine, *, actor: str | None = None, now: dt.datetime | None = None
) -> LinkSummary:
    """Link every record not linked yet (see the module's description), in one transaction, recorded
    in the audit log as ``customers_link`` by ``actor`` (default: the OS user); then propose the CRM's
    likely duplicates for merging (:func:`cx.store.merges.propose_merges`)."""
    now = now or dt.datetime.now()
    with engine.begin() as connection:
        connection.execute(
            text(
                _create_temporary(
                    "link_pending",
                    "source VARCHAR(20), record_id VARCHAR(100), PRIMARY KEY (source, record_id)",
                )
            )
        )
        for source, (table, record_id) in RECORDS.items():
            connection.execute(text(_pending_sql(source, table, record_id)))
        looked_at = connection.execute(text("SELECT COUNT(*) FROM link_pending")).scalar_one()
        connection.execute(
            text(
                _create_temporary(
                    "link_match",
                    "source VARCHAR(20), record_id VARCHAR(100), "
                    "customer_id VARCHAR(100), key_name VARCHAR(20)",
                )
            )  # fmt: skip
        )
        for source, (table, record_id) in RECORDS.items():
            for key, column in KEYS.items():
                connection.execute(text(_match_sql(source, table, record_id, key, column)))
        written = _write_links(connection, now)
        audit.record(connection, actor=actor or local_user(), action="customers_link", looked_at=looked_at,
                     **written)  # fmt: skip
        connection.execute(text("DROP TABLE link_pending"))
        connection.execute(text("DROP TABLE link_match"))
    from cx.store.merges import propose_merges  # it reads this module's keys

    propose_merges(engine, now=now)
    return link_summary(engine, looked_at=looked_at)


def link_summary(engine: Engine, *, looked_at: int = 0) -> LinkSummary:
    """How many customers there are, records in each link state, and CRM duplicate pairs."""
    with engine.connect() as connection:
        customers = connection.execute(select(func.count()).select_from(Customer)).scalar_one()
        states = dict(
            connection.execute(select(CustomerLink.status, func.count()).group_by(CustomerLink.status)).all()
        )
        pairs = _duplicate_pairs(connection)
    return LinkSummary(
        customers=customers,
        records_linked=states.get("linked", 0),
        records_unlinked=states.get("unlinked", 0),
        conflicts=states.get("conflict", 0),
        duplicate_pairs=pairs,
        looked_at=looked_at,
    )


def _create_temporary(name: str, columns: str) -> str:
    return f"CREATE TEMPORARY TABLE {name} ({columns})"


def _has_key(alias: str) -> str:
    return "(" + " OR ".join(f"{alias}.{column} IS NOT NULL" for column in KEYS.values()) + ")"


def _pending_sql(source: str, table: str, record_id: str) -> str:
    """Records with a key and no link, or an ``unlinked`` or ``conflict`` one, into ``link_pending``."""
    return (
        f"INSERT INTO link_pending (source, record_id) SELECT '{source}', r.{record_id} FROM {table} r "
        f"WHERE {_has_key('r')} AND NOT EXISTS (SELECT 1 FROM customer_link l WHERE l.source = '{source}' "
        f"AND l.record_id = r.{record_id} AND l.status = 'linked')"
    )


def _match_sql(source: str, table: str, record_id: str, key: str, column: str) -> str:
    """The customers one key of the pending records of ``source`` finds (a merged customer as the one
    kept), into ``link_match``."""
    return (
        f"INSERT INTO link_match (source, record_id, customer_id, key_name) "
        f"SELECT p.source, p.record_id, COALESCE(c.merged_into, c.customer_id), '{key}' FROM link_pending p "
        f"JOIN {table} r ON r.{record_id} = p.record_id "
        f"JOIN customer c ON c.{column} = r.{column} "
        f"WHERE p.source = '{source}' AND r.{column} IS NOT NULL"
    )


def _write_links(connection: Connection, now: dt.datetime) -> dict[str, int]:
    """Replace the pending records' links by what their matches say; how many of each state."""
    matches = connection.execute(
        text(
            "SELECT source, record_id, customer_id, key_name FROM link_match "
            "ORDER BY source, record_id, customer_id, key_name"
        )
    ).all()
    found: dict[tuple[str, str], dict[str, list[str]]] = {}
    for source, record_id, customer_id, key in matches:
        found.setdefault((source, record_id), {}).setdefault(customer_id, []).append(key)
    pending = connection.execute(text("SELECT source, record_id FROM link_pending")).all()
    rows = []
    for source, record_id in pending:
        customers = found.get((source, record_id), {})
        row = {"source": source, "record_id": record_id, "linked_at": now, "customer_id": None,
               "matched_on": None, "candidates": None}  # fmt: skip
        if len(customers) == 1:
            ((customer_id, keys),) = customers.items()
            row |= {"status": "linked", "customer_id": customer_id, "matched_on": " ".join(_ordered(keys))}
        elif customers:
            row |= {"status": "conflict", "candidates": " ".join(sorted(customers))}
        else:
            row |= {"status": "unlinked"}
        rows.append(row)
    connection.execute(
        text(
            "DELETE FROM customer_link WHERE EXISTS (SELECT 1 FROM link_pending p "
            "WHERE p.source = customer_link.source AND p.record_id = customer_link.record_id)"
        )
    )
    if rows:
        connection.execute(CustomerLink.__table__.insert(), rows)
    return {
        state: sum(row["status"] == state for row in rows) for state in ("linked", "conflict", "unlinked")
    }


def _ordered(keys: list[str]) -> list[str]:
    return [key for key in KEYS if key in keys]


def _duplicate_pairs(connection: Connection) -> int:
    """Pairs of customers proposed for merging and not decided yet."""
    return connection.execute(
        select(func.count()).select_from(CustomerMerge).where(CustomerMerge.status == "proposed")
    ).scalar_one()
