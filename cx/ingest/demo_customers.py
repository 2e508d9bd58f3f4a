"""The demo brand's customers: who answers, what they buy, and the stories planted in both.

:func:`customer_frames` adds to a brand of :mod:`cx.ingest.demo` (``generate_brand(...,
customers=True)``, ``demo_brand()``):

* a CRM (``customers``) of everyone whose answers name them, with a home store (where they first
  answered), a name fitting their country, an e-mail address, a mobile number, a loyalty id for
  LOYALTY_SHARE of them and a segment; DUPLICATE_SHARE of them signed up a second time under another
  customer id, the name written otherwise (``Smith, Alice``, ``A. Smith``, upper case, a typo), the
  same phone written otherwise, another e-mail address or none, and no loyalty card;
* the customers' keys on the NPS and survey answers (``email``, ``phone``, ``loyalty_id``): most
  answers without a customer id name their customer by one key instead, some answers with an id carry
  a key too, and keys are spelt otherwise than in the CRM (e-mails in other cases or with spaces,
  phones with or without the country code); a few answers carry a stranger's e-mail or phone, and a
  few (_CONFLICTS per source) one customer's e-mail with another customer's loyalty id;
* transactions (``transactions``): the customers' purchases, mostly at their home store and each with
  one key, and anonymous ones. Planted in them: within RETURN_DAYS of an NPS answer its customer comes
  back with the chance RETURN_RATES gives the answer's group (promoters more often than passives,
  passives more often than detractors), and from then on spends SPEND_INDEX (of that group) times the
  store format's ticket a visit;
  detractors answering at the incident's store (ST007 in the demo) from its start come back with
  chance INCIDENT_DETRACTOR_RETURN_RATE only.

The ground truth is the brand's ``story["customers"]`` (see :func:`customer_frames`). The customer data
are drawn from a generator of their own (``SeedSequence([seed, 360])``), never from the world's, and
only add frames and columns, so a brand without them has every other value as it is.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from cx.ingest.demo import (
    _ARABIC_COUNTRIES,
    _DAILY_TRANSACTIONS,
    _RESPONSE_HOURS,
    _TICKET,
    _ids,
    _in_time_order,
    _pick,
    _World,
)

# The customer story: the chance that a customer buys again within RETURN_DAYS after an NPS answer, by
# the answer's group (for answers whose RETURN_DAYS lie inside the period), and what they spend per
# visit after it, relative to the store format's ticket.
RETURN_DAYS = 90
RETURN_RATES = {"promoter": 0.55, "passive": 0.45, "detractor": 0.30}
INCIDENT_DETRACTOR_RETURN_RATE = 0.10  # detractors answering at the incident's store from its start
SPEND_INDEX = {"promoter": 1.15, "passive": 1.0, "detractor": 0.9}
DUPLICATE_SHARE = 0.02  # of CRM customers, signed up a second time under another customer id
LOYALTY_SHARE = 0.6  # of CRM customers, with a loyalty id


class _PhonePlan(NamedTuple):
    """How a country's mobile numbers look: ``+<code> <groups>`` abroad, ``<trunk><digits>`` at home."""

    code: str  # country calling code
    trunk: str  # what a number dialled at home starts with ('' for nothing)
    prefixes: tuple[str, ...]  # first digits of its mobile numbers, all of one length
    groups: tuple[int, ...]  # digit groups of the national significant number as written out

    def written(self, number: str, style: int) -> str:
        """``number`` (national significant digits) in ``style``: 0 ``+971 50 123 4567``,
        1 ``0501234567``, 2 ``00971501234567``, 3 ``050 123 4567``."""
        if style == 1:
            return self.trunk + number
        if style == 2:
            return f"00{self.code}{number}"
        ends = itertools.pairwise(itertools.accumulate(self.groups, initial=0))
        grouped = " ".join(number[start:end] for start, end in ends)
        return f"+{self.code} {grouped}" if style == 0 else self.trunk + grouped


_PHONE_PLANS = {
    "United Arab Emirates": _PhonePlan("971", "0", ("50", "52", "54", "55", "56", "58"), (2, 3, 4)),
    "Saudi Arabia": _PhonePlan("966", "0", ("50", "53", "54", "55", "56", "59"), (2, 3, 4)),
    "Jordan": _PhonePlan("962", "0", ("77", "78", "79"), (2, 3, 4)),
    "Lebanon": _PhonePlan("961", "0", ("3",), (1, 3, 3)),
    "Egypt": _PhonePlan("20", "0", ("10", "11", "12", "15"), (2, 4, 4)),
    "Morocco": _PhonePlan("212", "0", ("6", "7"), (1, 2, 2, 2, 2)),
    "Tunisia": _PhonePlan("216", "", ("2", "5", "9"), (2, 3, 3)),
    "United Kingdom": _PhonePlan("44", "0", ("74", "75", "77", "78", "79"), (4, 6)),
    "France": _PhonePlan("33", "0", ("6", "7"), (1, 2, 2, 2, 2)),
    "Germany": _PhonePlan("49", "0", ("151", "160", "170", "176"), (3, 8)),
    "Spain": _PhonePlan("34", "", ("6",), (3, 3, 3)),
}
_CRM_PHONE_STYLES = np.array([0.6, 0.25, 0.15, 0.0])  # how the CRM writes numbers (_PhonePlan.written)
# Origin: (given names, family names), in Latin script.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "arabic": (
        ("Ahmed", "Mohammed", "Omar", "Khalid", "Youssef", "Ali", "Hassan", "Tariq", "Karim", "Faisal",
         "Rami", "Sami", "Fatima", "Aisha", "Mariam", "Layla", "Noor", "Huda", "Rania", "Salma", "Yasmin",
         "Zainab", "Dana", "Lina"),
        ("Al Mansouri", "Haddad", "Khoury", "Nasser", "Saleh", "Hamdan", "Al Farsi", "Qasim", "Mansour",
         "Aziz", "Darwish", "Barakat", "Saeed", "Al Hashimi", "Najjar", "Fakhoury"),
    ),
    "persian": (
        ("Reza", "Dariush", "Kian", "Arash", "Farhad", "Omid", "Babak", "Shirin", "Maryam", "Niloufar",
         "Parisa", "Leila", "Roya", "Sara", "Yasaman", "Nasrin"),
        ("Hosseini", "Rahimi", "Karimi", "Tehrani", "Jafari", "Moradi", "Ahmadi", "Rostami", "Sadeghi",
         "Farahani", "Ghorbani"),
    ),
    "english": (
        ("James", "Oliver", "Daniel", "Thomas", "William", "George", "Jack", "Harry", "Emma", "Olivia",
         "Sophie", "Charlotte", "Emily", "Grace", "Hannah", "Alice"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Walker",
         "Wright", "Clarke", "Hall", "Green"),
    ),
}  # fmt: skip
# Chance of each origin (in _NAMES order) for a customer in an Arabic-speaking country, and elsewhere.
_NAME_ORIGINS = {True: np.array([0.7, 0.15, 0.15]), False: np.array([0.2, 0.1, 0.7])}
_EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com")
_EMAIL_DOMAIN_MIX = np.array([0.4, 0.2, 0.15, 0.15, 0.1])
_UNKNOWN_DOMAINS = ("proton.me", "mail.com")  # people the CRM does not know write from these
_CRM_EMAIL_STYLES = np.array([0.82, 0.08, 0.05, 0.05])  # how the CRM writes addresses (_email_spelling)
_SEGMENTS = ("gold", "silver", "standard")
_MEMBER_SEGMENTS = np.array([0.2, 0.35, 0.45])  # of loyalty members; everyone else is "standard"
_SIGN_UP_DAYS = (7, 1500)  # range of days between signing up and the first answer
_CUSTOMER_STREAM = 360  # the customer data are drawn from SeedSequence([seed, 360])

_ID, _ID_AND_KEY, _KEY_ONLY, _UNKNOWN, _CONFLICT, _ANONYMOUS = range(6)  # what an answer carries
_BOTH_KEYS_SHARE = 0.15  # of answers with a customer id: one of the customer's keys too
_KEY_ONLY_SHARE = 0.7  # of answers without an id: one key of their customer instead
_UNKNOWN_SHARE = 0.03  # of answers without an id: a key of someone the CRM does not know
_CONFLICTS = 8  # answers per source with one customer's e-mail and another customer's loyalty id
_ANSWER_KEY_MIX = np.array([0.45, 0.35, 0.2])  # e-mail, phone, loyalty id (phone for non-members)
_POS_KEY_MIX = np.array([0.25, 0.1, 0.25, 0.4])  # customer id, e-mail, phone, loyalty id (else phone)

_PURCHASES_PER_YEAR = 0.5  # of a customer, besides the returns after their NPS answers
_RETURN_GAP_DAYS = 25.0  # mean days from an answer to the return (exponential, cut at RETURN_DAYS)
_HOME_STORE_SHARE = 0.85  # of a customer's purchases; the others at any store of their city
_BASKET_SPREAD = 0.6  # sigma of the log amount around the store format's ticket
_ANONYMOUS_PURCHASES = 0.15  # purchases without any key, per purchase with one
_CHANNELS = ("in-store", "delivery", "click and collect")
_CHANNEL_MIX = np.array([0.78, 0.17, 0.05])
_GROUPS = ("promoter", "passive", "detractor")
_DAY = 86_400  # seconds


def customer_frames(
    world: _World, seed: int, frames: dict[str, pd.DataFrame], people: dict[str, np.ndarray]
) -> tuple[dict[str, pd.DataFrame], dict]:
    """The NPS and survey frames with the keys their customers gave added, the CRM and the
    transactions of a brand's ``frames`` (``people``: the customer number of who gave each NPS and
    survey answer), drawn from ``SeedSequence([seed, _CUSTOMER_STREAM])`` only, never from the world's
    generator; and their ground truth: return_days, return_rates, incident_detractor_return_rate (None
    without an incident), spend_index, customers (in the CRM besides the duplicates), duplicate_pairs
    (original id, duplicate id)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, _CUSTOMER_STREAM]))
    store_ids = pd.Index(world.stores["store_id"])
    answers = {}
    for kind in ("nps", "surveys"):
        frame = frames[kind]
        answers[kind] = pd.DataFrame(
            {
                "person": people[kind],
                "role": _answer_roles(rng, frame["customer_id"].to_numpy() != ""),
                "store": store_ids.get_indexer(frame["store_id"]),
                "at": frame["responded_at"].to_numpy().astype("datetime64[s]").astype(np.int64),
            }
        )
    crm = _crm(world, rng, pd.concat(answers.values()))
    duplicates = _duplicates(world, rng, crm)
    added = {}
    for kind, answered in answers.items():
        answered["who"] = pd.Index(crm["person"]).get_indexer(answered["person"])
        keys = _answer_keys(rng, answered, crm, world.stores["country"].to_numpy())
        added[kind] = frames[kind].assign(**keys)
    nps = answers["nps"]
    nps = nps[nps["role"].isin([_ID, _ID_AND_KEY, _KEY_ONLY])].assign(score=frames["nps"]["score"])
    added["customers"] = _crm_frame(crm, duplicates)
    added["transactions"] = _transaction_frame(world, rng, crm, _purchases(world, rng, crm, nps))
    story = {
        "return_days": RETURN_DAYS,
        "return_rates": dict(RETURN_RATES),
        "incident_detractor_return_rate": None if world.incident is None else INCIDENT_DETRACTOR_RETURN_RATE,
        "spend_index": dict(SPEND_INDEX),
        "customers": len(crm),
        "duplicate_pairs": tuple(zip(duplicates["original"], duplicates["customer_id"], strict=True)),
    }
    return added, story


def _answer_roles(rng: np.random.Generator, has_id: np.ndarray) -> np.ndarray:
    """What each answer carries (_ID .. _ANONYMOUS): most answers without an id carry a key instead."""
    u = rng.random(has_id.size)
    without = np.select(
        [u < _KEY_ONLY_SHARE, u < _KEY_ONLY_SHARE + _UNKNOWN_SHARE], [_KEY_ONLY, _UNKNOWN], _ANONYMOUS
    )
    role = np.where(has_id, np.where(u < _BOTH_KEYS_SHARE, _ID_AND_KEY, _ID), without)
    anonymous = np.flatnonzero(role == _ANONYMOUS)
    role[rng.choice(anonymous, min(_CONFLICTS, anonymous.size), replace=False)] = _CONFLICT
    return role


def _crm(world: _World, rng: np.random.Generator, answers: pd.DataFrame) -> pd.DataFrame:
    """One CRM customer per customer that answers name (by id or by key), in customer-number order:
    name, e-mail, phone, loyalty id, home store (where they first answered), city, segment, sign-up."""
    named = answers[answers["role"].isin([_ID, _ID_AND_KEY, _KEY_ONLY, _CONFLICT])]
    first = named.sort_values(["at", "store"], kind="stable").drop_duplicates("person").sort_values("person")
    n = len(first)
    home = first["store"].to_numpy()
    country = world.stores["country"].to_numpy()[home]
    given, family = _names(rng, country)
    member = rng.random(n) < LOYALTY_SHARE
    cards = np.strings.add("OM", (10_000_000 + rng.choice(90_000_000, n, replace=False)).astype(str))
    segment = rng.choice(len(_SEGMENTS), n, p=_MEMBER_SEGMENTS)
    return pd.DataFrame(
        {
            "person": first["person"].to_numpy(),
            "customer_id": _ids("C", first["person"].to_numpy()).astype(object),
            "given": given,
            "family": family,
            "email": _emails(rng, given, family, _EMAIL_DOMAINS, _EMAIL_DOMAIN_MIX),
            "email_style": rng.choice(4, n, p=_CRM_EMAIL_STYLES),
            "number": _phone_numbers(rng, country),
            "phone_style": rng.choice(4, n, p=_CRM_PHONE_STYLES),
            "loyalty_id": np.where(member, cards, "").astype(object),
            "home": home,
            "city": world.stores["city"].to_numpy()[home],
            "country": country,
            "segment": np.array(_SEGMENTS, dtype=object)[np.where(member, segment, len(_SEGMENTS) - 1)],
            "signed_up": first["at"].to_numpy() // _DAY - rng.integers(*_SIGN_UP_DAYS, n),  # days
        }
    )


def _names(rng: np.random.Generator, country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given and family names, mostly Arabic in Arabic-speaking countries and English elsewhere."""
    arabic = np.isin(country, list(_ARABIC_COUNTRIES))
    origin = np.empty(country.size, np.int64)
    for flag in (True, False):
        rows = np.flatnonzero(arabic == flag)
        origin[rows] = rng.choice(len(_NAMES), rows.size, p=_NAME_ORIGINS[flag])
    given, family = np.empty(country.size, object), np.empty(country.size, object)
    for o, (givens, families) in enumerate(_NAMES.values()):
        rows = np.flatnonzero(origin == o)
        given[rows], family[rows] = _pick(rng, givens, rows.size), _pick(rng, families, rows.size)
    return given, family


def _emails(
    rng: np.random.Generator,
    given: np.ndarray,
    family: np.ndarray,
    domains: tuple[str, ...],
    mix: np.ndarray | None = None,
    taken: frozenset[str] = frozenset(),
) -> np.ndarray:
    """An address made of each name (``ali.haddad@``, ``alihaddad@``, ``a.haddad@``, ``ali_haddad@``,
    ``ali.haddad87@``), in lower case. A number is added where the part before the ``@`` would repeat
    another's or one in ``taken``: people of one name never share it, as duplicate detection compares it."""
    n = given.size
    pattern, year = rng.integers(5, size=n), rng.integers(70, 100, n)
    domain = np.array(domains, dtype=object)[rng.choice(len(domains), n, p=mix)]
    seen, addresses = {address.partition("@")[0] for address in taken}, np.empty(n, object)
    for i in range(n):
        first, last = given[i].lower(), family[i].lower().replace(" ", "")
        name = (f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}", f"{first}_{last}",
                f"{first}.{last}{year[i]}")[pattern[i]]  # fmt: skip
        local, repeat = name, 1
        while local in seen:
            repeat += 1
            local = f"{name}{repeat}"
        seen.add(local)
        addresses[i] = f"{local}@{domain[i]}"
    return addresses


def _email_spelling(address: str, style: int) -> str:
    """``address`` as written: 0 as it is, 1 ``Ali.Haddad@Gmail.Com``, 2 upper case, 3 with spaces."""
    return (address, address.title(), address.upper(), f" {address} ")[style]


def _phone_numbers(rng: np.random.Generator, country: np.ndarray, taken: frozenset[str] = frozenset()):
    """A mobile number (national significant digits) in each person's country, none ending in the same
    seven digits as another or as one in ``taken``: different people share neither national digits
    (what phones are matched on when the stores are in several countries) nor the last seven digits
    (what duplicate detection compares)."""
    number = np.empty(country.size, dtype=object)
    todo = np.arange(country.size)
    while todo.size:
        for name in np.unique(country[todo]):
            rows = todo[country[todo] == name]
            plan = _PHONE_PLANS[name]
            width = sum(plan.groups) - len(plan.prefixes[0])
            digits = np.strings.zfill(rng.integers(10**width, size=rows.size).astype(str), width)
            number[rows] = _pick(rng, plan.prefixes, rows.size) + digits.astype(object)
        seen, todo = {digits[-7:] for digits in taken}, []
        for i, digits in enumerate(number):
            if digits[-7:] in seen:
                todo.append(i)
            seen.add(digits[-7:])
        todo = np.array(todo, np.int64)
    return number


def _written_phones(country: np.ndarray, number: np.ndarray, style: np.ndarray) -> np.ndarray:
    return np.array(
        [_PHONE_PLANS[c].written(n, s) for c, n, s in zip(country, number, style, strict=True)], dtype=object
    )


def _duplicates(world: _World, rng: np.random.Generator, crm: pd.DataFrame) -> pd.DataFrame:
    """DUPLICATE_SHARE of the customers signed up again under a new id (the import columns, and the
    id of the ``original``): the name written otherwise, the same city and phone (written otherwise),
    another e-mail address or none, no loyalty card."""
    k = round(DUPLICATE_SHARE * len(crm))
    again = crm.iloc[np.sort(rng.choice(len(crm), k, replace=False))]
    first_number = int(world.customer_offsets[-1] + world.customer_pools[-1]) + 1
    given, family = again["given"].to_numpy(), again["family"].to_numpy()
    variant, position = rng.integers(4, size=k), rng.integers(1 << 30, size=k)
    other = _emails(rng, given, family, _EMAIL_DOMAINS, _EMAIL_DOMAIN_MIX, frozenset(crm["email"]))
    style = (again["phone_style"].to_numpy() + rng.integers(1, 4, k)) % 4
    last_day = (world.month_starts[-1] - 1).astype(np.int64)
    return pd.DataFrame(
        {
            "customer_id": _ids("C", np.arange(first_number, first_number + k)).astype(object),
            "name": [_name_variant(*names) for names in zip(given, family, variant, position, strict=True)],
            "email": np.where(rng.random(k) < 0.5, other, "").astype(object),
            "phone": _written_phones(again["country"].to_numpy(), again["number"].to_numpy(), style),
            "loyalty_id": "",
            "city": again["city"].to_numpy(),
            "country": again["country"].to_numpy(),
            "segment": "standard",
            "signed_up_at": _iso_days(np.minimum(again["signed_up"] + rng.integers(30, 700, k), last_day)),
            "original": again["customer_id"].to_numpy(),
        }
    )


def _name_variant(given: str, family: str, variant: int, position: int) -> str:
    """The name as a second sign-up writes it: ``Smith, Alice``, ``A. Smith``, upper case, or a typo
    (two letters of the family name swapped; one dropped where swapping changes nothing)."""
    if variant == 0:
        return f"{family}, {given}"
    if variant == 1:
        return f"{given[0]}. {family}"
    if variant == 2:
        return f"{given} {family}".upper()
    i = 1 + position % (len(family) - 2)
    if family[i] == family[i + 1] or " " in family[i : i + 2]:
        return f"{given} {family[:i]}{family[i + 1 :]}"
    return f"{given} {family[:i]}{family[i + 1]}{family[i]}{family[i + 2 :]}"


def _iso_days(days) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days).astype("datetime64[D]"), unit="D").astype(object)


def _crm_frame(crm: pd.DataFrame, duplicates: pd.DataFrame) -> pd.DataFrame:
    """The customers import file: every customer and the duplicates, by customer id."""
    customers = pd.DataFrame(
        {
            "customer_id": crm["customer_id"],
            "name": crm["given"] + " " + crm["family"],
            "email": [
                _email_spelling(*spelt) for spelt in zip(crm["email"], crm["email_style"], strict=True)
            ],
            "phone": _written_phones(crm["country"].to_numpy(), crm["number"].to_numpy(), crm["phone_style"]),
            "loyalty_id": crm["loyalty_id"],
            "city": crm["city"],
            "country": crm["country"],
            "segment": crm["segment"],
            "signed_up_at": _iso_days(crm["signed_up"]),
        }
    )
    both = pd.concat([customers, duplicates.drop(columns="original")], ignore_index=True)
    return both.sort_values("customer_id", ignore_index=True)


def _key_columns(
    rng: np.random.Generator, crm: pd.DataFrame, who: np.ndarray, kind: np.ndarray
) -> dict[str, np.ndarray]:
    """customer_id, email, phone and loyalty_id columns where row i carries key ``kind[i]`` (0 to 3,
    in that order; -1 none) of CRM customer ``who[i]``: e-mails and phones spelt otherwise than in the
    CRM, customers without a loyalty id giving their phone instead."""
    kind = np.where((kind == 3) & (crm["loyalty_id"].to_numpy()[who] == ""), 2, kind)
    columns = {
        name: np.full(who.size, "", dtype=object) for name in ("customer_id", "email", "phone", "loyalty_id")
    }
    for key, name in enumerate(columns):
        rows = np.flatnonzero(kind == key)
        customer = crm.iloc[who[rows]]
        if name == "email":
            style = (customer["email_style"].to_numpy() + rng.integers(1, 4, rows.size)) % 4
            values = [_email_spelling(*spelt) for spelt in zip(customer["email"], style, strict=True)]
        elif name == "phone":
            style = (customer["phone_style"].to_numpy() + rng.integers(1, 4, rows.size)) % 4
            values = _written_phones(customer["country"].to_numpy(), customer["number"].to_numpy(), style)
        else:
            values = customer[name].to_numpy()
        columns[name][rows] = values
    return columns


def _answer_keys(
    rng: np.random.Generator, answered: pd.DataFrame, crm: pd.DataFrame, store_countries: np.ndarray
) -> dict[str, np.ndarray]:
    """The email, phone and loyalty_id columns of answers (see _answer_roles): one key of their
    customer; a stranger's e-mail or phone; or their customer's e-mail with another member's loyalty id."""
    role, who = answered["role"].to_numpy(), answered["who"].to_numpy()
    kind = np.full(role.size, -1)
    keyed = np.isin(role, [_ID_AND_KEY, _KEY_ONLY])
    kind[keyed] = 1 + rng.choice(3, keyed.sum(), p=_ANSWER_KEY_MIX)
    kind[role == _CONFLICT] = 1
    keys = _key_columns(rng, crm, np.where(kind >= 0, who, 0), kind)
    del keys["customer_id"]
    conflict = np.flatnonzero(role == _CONFLICT)
    members = np.flatnonzero(crm["loyalty_id"].to_numpy() != "")
    if members.size > 1:
        donor = members[rng.integers(members.size, size=conflict.size)]
        donor = np.where(
            donor == who[conflict], members[(np.searchsorted(members, donor) + 1) % members.size], donor
        )
        keys["loyalty_id"][conflict] = crm["loyalty_id"].to_numpy()[donor]
    strangers = np.flatnonzero(role == _UNKNOWN)
    by_phone = rng.random(strangers.size) < 0.5
    country = store_countries[answered["store"].to_numpy()[strangers]]
    given, family = _names(rng, country)
    emails = _emails(rng, given, family, _UNKNOWN_DOMAINS)
    numbers = _phone_numbers(rng, country, frozenset(crm["number"]))
    phones = _written_phones(country, numbers, rng.integers(3, size=strangers.size))
    keys["email"][strangers[~by_phone]] = emails[~by_phone]
    keys["phone"][strangers[by_phone]] = phones[by_phone]
    return keys


def _purchases(world: _World, rng: np.random.Generator, crm: pd.DataFrame, nps: pd.DataFrame) -> pd.DataFrame:
    """Purchases of the CRM's customers: ``who`` (CRM row), ``at`` (seconds) and ``group`` (index into
    _GROUPS of the NPS answer that sets their spend; -1 for none yet).

    After each NPS answer that names its customer (``nps``: who, store, at, score), the customer comes
    back within RETURN_DAYS with the chance RETURN_RATES gives the answer's group
    (INCIDENT_DETRACTOR_RETURN_RATE for detractors at the incident's store from its start), and
    otherwise buys nothing in those days; besides, they buy now and then (_everyday_purchases).
    """
    answers = nps.sort_values(["who", "at"], kind="stable")
    at, score = answers["at"].to_numpy(), answers["score"].to_numpy()
    group = np.select([score >= 9, score >= 7], [0, 1], 2)
    rate = np.array([RETURN_RATES[name] for name in _GROUPS])[group]
    if world.incident is not None:
        start = np.datetime64(world.incident.start, "s").astype(np.int64)
        churned = (answers["store"].to_numpy() == world.incident_store) & (at >= start) & (group == 2)
        rate[churned] = INCIDENT_DETRACTOR_RETURN_RATE
    comes_back = rng.random(at.size) < rate
    end = world.month_starts[-1].astype("datetime64[s]").astype(np.int64)
    who = answers["who"].to_numpy()
    rows, times = _returns(who, at, comes_back, _shop_seconds(rng, at.size), rng.random((at.size, 2)), end)
    returns = pd.DataFrame({"who": who[rows], "at": times, "group": group[rows]})
    quiet = pd.DataFrame({"who": who[~comes_back], "since": at[~comes_back]})
    other = _everyday_purchases(world, rng, crm, quiet).sort_values("at", kind="stable")
    answered = pd.DataFrame({"who": who, "at": at, "group": group}).sort_values("at", kind="stable")
    other = pd.merge_asof(other, answered, on="at", by="who", allow_exact_matches=False)
    other["group"] = other["group"].fillna(-1).astype(np.int64)
    return pd.concat([returns, other], ignore_index=True)


def _everyday_purchases(
    world: _World, rng: np.random.Generator, crm: pd.DataFrame, quiet: pd.DataFrame
) -> pd.DataFrame:
    """Purchases (who, at) at _PURCHASES_PER_YEAR from each customer's signing up (and their home store
    opening) on, none in the RETURN_DAYS after an answer ``since`` which they do not come back (``quiet``)."""
    begin, end = world.month_starts[[0, -1]].astype(np.int64)
    opened = world.opened.astype(np.int64)[crm["home"].to_numpy()]
    active = np.maximum.reduce([np.full(len(crm), begin), crm["signed_up"].to_numpy(), opened])
    days = end - active
    buyer = np.repeat(np.arange(len(crm)), rng.poisson(_PURCHASES_PER_YEAR * days / 365.25))
    day = active[buyer] + np.floor(rng.random(buyer.size) * days[buyer]).astype(np.int64)
    bought = pd.DataFrame({"who": buyer, "at": day * _DAY + _shop_seconds(rng, buyer.size)})
    pairs = bought.reset_index().merge(quiet, on="who")
    inside = (pairs["at"] > pairs["since"]) & (pairs["at"] <= pairs["since"] + RETURN_DAYS * _DAY)
    return bought.drop(index=pairs.loc[inside, "index"].unique())


def _returns(
    who: np.ndarray, at: np.ndarray, comes_back: np.ndarray, shop: np.ndarray, u: np.ndarray, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which answers (sorted by customer, then time) get a return purchase, and when (seconds).

    The return after answer i falls in (at_i, at_i + RETURN_DAYS], after every earlier window that
    stays empty and before the next one begins, at a shop time (``shop``, seconds into the day) where
    that fits; none is needed where an earlier return already falls in the window. Where empty windows
    on either side leave no room (three answers within RETURN_DAYS), a coin (``u[:, 0]``) decides
    which answer loses its planted outcome. Returns from ``end`` on are left out.
    """
    window, never = RETURN_DAYS * _DAY, np.iinfo(np.int64).max
    next_quiet = np.empty(at.size, np.int64)  # start of the customer's next window that stays empty
    running = never
    for i in range(at.size - 1, -1, -1):
        if i == at.size - 1 or who[i + 1] != who[i]:
            running = never
        next_quiet[i] = running
        if not comes_back[i]:
            running = at[i]
    rows, times = [], []
    quiet_until = last = -never
    for i in range(at.size):
        if i == 0 or who[i] != who[i - 1]:
            quiet_until = last = -never
        t = int(at[i])
        if not comes_back[i]:
            quiet_until = max(quiet_until, t + window)
            continue
        if last > t:
            continue
        low, high = max(t, quiet_until), min(t + window, int(next_quiet[i]))
        if high <= low:
            if u[i, 0] < 0.5:
                continue
            high = t + window
        when = t + _return_gap(low - t, high - t, u[i, 1])
        in_shop_hours = when - when % _DAY + int(shop[i])
        if low < in_shop_hours <= high:
            when = in_shop_hours
        if when < end:
            rows.append(i)
            times.append(when)
            last = when
    return np.array(rows, np.int64), np.array(times, np.int64)


def _return_gap(low: int, high: int, u: float) -> int:
    """Seconds in (low, high] from an answer to the return: exponential with mean _RETURN_GAP_DAYS cut
    to that range, read from the uniform ``u`` by the inverse of its distribution function."""
    scale = _RETURN_GAP_DAYS * _DAY
    above, beyond = math.exp(-low / scale), math.exp(-high / scale)
    return min(high, max(low + 1, math.ceil(-scale * math.log(above - u * (above - beyond)))))


def _shop_seconds(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds into the day of purchases: the hours people answer in are the hours they shop in."""
    hours = rng.choice(24, size, p=_RESPONSE_HOURS / _RESPONSE_HOURS.sum())
    return hours * 3600 + rng.integers(0, 3600, size)


def _transaction_frame(
    world: _World, rng: np.random.Generator, crm: pd.DataFrame, purchases: pd.DataFrame
) -> pd.DataFrame:
    """The transactions import file: the customers' purchases, mostly at their home store, each with
    one key (_POS_KEY_MIX), and anonymous purchases; amounts lognormal around the store format's
    ticket times the SPEND_INDEX of the customer's latest NPS group."""
    who, at = purchases["who"].to_numpy(), purchases["at"].to_numpy()
    home = crm["home"].to_numpy()[who]
    store = home.copy()
    away = rng.random(who.size) >= _HOME_STORE_SHARE
    for city in np.unique(world.city[home[away]]):
        rows = np.flatnonzero(away & (world.city[home] == city))
        choices = np.flatnonzero(world.city == city)
        store[rows] = choices[rng.integers(choices.size, size=rows.size)]
    opened = world.opened.astype(np.int64)
    store = np.where(opened[store] <= at // _DAY, store, home)
    spend_index = np.array([*(SPEND_INDEX[name] for name in _GROUPS), 1.0])  # the last for group -1
    spend = spend_index[purchases["group"].to_numpy()]
    keys = _key_columns(rng, crm, who, rng.choice(4, who.size, p=_POS_KEY_MIX))

    walk_in, walk_in_at = _anonymous_purchases(world, rng, round(_ANONYMOUS_PURCHASES * who.size))
    store, at = np.concatenate([store, walk_in]), np.concatenate([at, walk_in_at])
    spend = np.concatenate([spend, np.ones(walk_in.size)])
    for name, values in keys.items():
        keys[name] = np.concatenate([values, np.full(walk_in.size, "", dtype=object)])

    ticket = np.array([_TICKET[f] for f in world.stores["format"]])[store]
    amount = np.round(ticket * spend * rng.lognormal(-(_BASKET_SPREAD**2) / 2, _BASKET_SPREAD, store.size), 2)
    amount = np.maximum(amount, 0.5)
    columns = {
        "store_id": world.stores["store_id"].to_numpy()[store],
        "purchased_at": at.astype("datetime64[s]"),
        "amount": amount,
        "items": 1 + rng.poisson(amount / 12),
        "channel": np.array(_CHANNELS, dtype=object)[rng.choice(len(_CHANNELS), store.size, p=_CHANNEL_MIX)],
        **keys,
    }
    return _in_time_order(columns, "transaction_id", "T", "purchased_at")


def _anonymous_purchases(world: _World, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Store and time (seconds) of ``size`` purchases nobody is known by: bigger formats have more."""
    volume = np.array([_DAILY_TRANSACTIONS[f] for f in world.stores["format"]])
    store = rng.choice(volume.size, size, p=volume / volume.sum())
    begin, end = world.month_starts[[0, -1]].astype(np.int64)
    first_day = np.maximum(begin, world.opened.astype(np.int64)[store])
    day = first_day + np.floor(rng.random(size) * (end - first_day)).astype(np.int64)
    return store, day * _DAY + _shop_seconds(rng, size)
