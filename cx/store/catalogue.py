"""The default touchpoint catalogue and how file values are matched to it."""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import Engine, insert, select

from cx.store.models import Touchpoint

# name, journey stage, channel
DEFAULT_TOUCHPOINTS: tuple[tuple[str, str, str], ...] = (
    ("Advertising", "awareness", "media"),
    ("Social media", "awareness", "digital"),
    ("Website", "consideration", "digital"),
    ("Mobile app", "consideration", "digital"),
    ("Phone", "consideration", "phone"),
    ("In-store service", "conversion", "in person"),
    ("Checkout", "conversion", "in person"),
    ("Delivery", "retention", "delivery"),
    ("Customer support", "retention", "phone"),
    ("Returns", "retention", "in person"),
    ("Loyalty program", "advocacy", "digital"),
)

ALIASES: dict[str, str] = {
    "ads": "Advertising",
    "advert": "Advertising",
    "social": "Social media",
    "web": "Website",
    "online": "Website",
    "site": "Website",
    "app": "Mobile app",
    "mobile": "Mobile app",
    "call": "Phone",
    "call center": "Phone",
    "call centre": "Phone",
    "telephone": "Phone",
    "in store": "In-store service",
    "instore": "In-store service",
    "store": "In-store service",
    "in store service": "In-store service",
    "service": "In-store service",
    "staff": "In-store service",
    "till": "Checkout",
    "cashier": "Checkout",
    "payment": "Checkout",
    "shipping": "Delivery",
    "support": "Customer support",
    "customer service": "Customer support",
    "helpdesk": "Customer support",
    "return": "Returns",
    "refunds": "Returns",
    "loyalty": "Loyalty program",
    "loyalty programme": "Loyalty program",
    "rewards": "Loyalty program",
}


def touchpoint_key(name: str) -> str:
    """Case, spacing and punctuation-insensitive key: ``"In-Store_Service"`` -> ``"in store service"``."""
    return re.sub(r"[\W_]+", " ", name, flags=re.UNICODE).strip().casefold()


_CANONICAL = {touchpoint_key(name): name for name, _, _ in DEFAULT_TOUCHPOINTS}
_CANONICAL.update({touchpoint_key(alias): name for alias, name in ALIASES.items()})


def canonical_touchpoint_names(values: pd.Series) -> pd.Series:
    """Map file values to catalogue names; values not in the catalogue keep their own spelling."""
    unique = pd.Series(values.dropna().unique())
    lookup = {value: _CANONICAL.get(touchpoint_key(value), value.strip()) for value in unique}
    return values.map(lookup)


def ensure_default_touchpoints(engine: Engine) -> None:
    """Insert catalogue touchpoints that the database does not hold yet."""
    with engine.begin() as connection:
        existing = set(connection.scalars(select(Touchpoint.name)))
        missing = [
            {"name": name, "stage": stage, "channel": channel}
            for name, stage, channel in DEFAULT_TOUCHPOINTS
            if name not in existing
        ]
        if missing:
            connection.execute(insert(Touchpoint), missing)
