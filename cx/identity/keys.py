"""Customer keys in one normal form, then a keyed hash, so records from CRM, loyalty/POS, NPS and
surveys can be matched without storing raw personal data outside the customers table.

An e-mail address is trimmed and lower-cased; a phone number becomes E.164 (``+971501234567``) when
the region of numbers written without a country code is known (:func:`phone_region`), and otherwise
``national:`` plus its national significant digits, so that ``+971 50 123 4567`` and ``050 123 4567``
still match; a loyalty id is kept as given. Each normal form is hashed with HMAC-SHA256 under
:func:`identity_secret`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import math
import numbers
import os
import re
import secrets
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import geocoder
from sqlalchemy import Engine, select

from cx.store.models import Store

KEY_KINDS = ("email", "phone", "loyalty")
KEY_COLUMNS = {"email": "email", "phone": "phone", "loyalty_id": "loyalty"}  # frame column -> kind
INVALID_REASONS = {"email": "not an e-mail address", "phone": "not a phone number"}
REGION_VARIABLE = "CX_PHONE_REGION"
SECRET_VARIABLE = "CX_IDENTITY_SECRET"
KEY_FILE_VARIABLE = "CX_IDENTITY_KEY_FILE"
MIN_SECRET_LENGTH = 16
_SPREADSHEET_INTEGER = re.compile(r"\+?\d+\.0")  # 971501234567.0: a number that went through a float


def _text(value: object) -> str | None:
    """``value`` as stripped text; None when blank or missing. Integer-valued floats lose their ``.0``."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if _SPREADSHEET_INTEGER.fullmatch(text):
        text = text[:-2]
    return text or None


def normal_email(value: object) -> str | None:
    """``value`` trimmed and lower-cased, without surrounding ``<...>`` or a leading ``mailto:``;
    None when blank or not one ``@`` between a local part and a dotted domain, with no spaces.

    >>> normal_email(" mailto:<Bob@X.org> ")
    'bob@x.org'
    """
    text = _text(value)
    if text is None:
        return None
    email = text.lower()
    if email.startswith("<") and email.endswith(">"):
        email = email[1:-1].strip()
    if email.startswith("mailto:"):
        email = email.removeprefix("mailto:").strip()
    if email.startswith("<") and email.endswith(">"):
        email = email[1:-1].strip()
    local, at, domain = email.partition("@")
    if not (at and local) or "@" in domain or "." not in domain.strip(".") or re.search(r"\s", email):
        return None
    return email


def phone_region(engine: Engine) -> str | None:
    """The region that phone numbers written without a country code are read in.

    ``CX_PHONE_REGION`` (an ISO 3166-1 alpha-2 code) wins; else the country every store shares, as an
    ISO code (``AE``) or an English country name (``United Arab Emirates``, ``Iran``: the names the
    ``phonenumbers`` geocoder gives each of its regions; any case). None when the stores are in
    several countries, none has a country, or one names a country that cannot be read (with a
    warning): then phone keys are matched on their national digits.
    """
    configured = os.environ.get(REGION_VARIABLE, "").strip().upper()
    if configured:
        if configured not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"{REGION_VARIABLE} must be an ISO 3166-1 alpha-2 country code with a phone numbering "
                f"plan, such as AE, IR or GB; got {os.environ[REGION_VARIABLE]!r}."
            )
        return configured
    with engine.connect() as connection:
        countries = connection.execute(select(Store.country).distinct()).scalars().all()
    regions = set()
    for country in countries:
        if country is None or not country.strip():
            continue
        region = _region_code(country)
        if region is None:
            warnings.warn(
                f"Store country {country!r} is neither an ISO country code nor a country name; phone "
                f"numbers are matched on national digits. Set {REGION_VARIABLE} to choose a region.",
                stacklevel=2,
            )
            return None
        regions.add(region)
    return regions.pop() if len(regions) == 1 else None


def _region_code(country: str) -> str | None:
    """The region code of an ISO code or an English country name; None when it is neither."""
    code = country.strip().upper()
    if code in phonenumbers.SUPPORTED_REGIONS:
        return code
    return _regions_by_name().get(country.strip().casefold())


@functools.cache
def _regions_by_name() -> dict[str, str]:
    """English country name (casefolded) -> region code, from the names the geocoder gives regions."""
    names = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        name = geocoder.country_name_for_number(example, "en") if example else ""
        if name:
            names[name.casefold()] = region
    return names


@functools.cache
def _national_lengths() -> frozenset[int]:
    """Lengths a national significant number has in at least one region."""
    return frozenset(
        length
        for region in phonenumbers.SUPPORTED_REGIONS
        for length in phonenumbers.PhoneMetadata.metadata_for_region(region).general_desc.possible_length
    )


def normal_phone(value: object, region: str | None) -> str | None:
    """A phone number in E.164 (``+971501234567``), or ``national:<digits>`` when ``region`` is None.

    A number with a country code (``+971 ...``, ``(+98) ...``, or ``00971 ...``) is read as written;
    one without is read in ``region`` (whose own international prefix phonenumbers knows). When no
    region is known every number, with a country code or not, becomes ``national:`` plus its national
    significant digits (one trunk ``0`` dropped), so keys are matched on national digits and
    ``+971501234567`` meets ``0501234567``; digits with neither ``+`` nor ``00`` are taken as national
    (``971501234567`` -> ``national:971501234567``). A spreadsheet's ``971501234567.0`` is read as
    its digits. None when blank, without digits, unparseable or not a possible number.

    >>> normal_phone("050 123 4567", "AE")
    '+971501234567'
    """
    text = _text(value)
    digits = phonenumbers.normalize_digits_only(text) if text else ""
    if not digits:
        return None
    head = text[: next((i for i, char in enumerate(text) if char.isdigit()), len(text))]
    international = "+" in head or "\uff0b" in head  # a plus sign, ASCII or full-width
    if region is None and not international and not digits.startswith("00"):
        national = digits.removeprefix("0")
        return f"national:{national}" if len(national) in _national_lengths() else None
    if region is None and not international:
        text = "+" + digits[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    if region is None:
        return f"national:{phonenumbers.national_significant_number(number)}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normal_loyalty(value: object) -> str | None:
    """A loyalty id as given, trimmed (``12345.0`` from a spreadsheet is ``12345``); None when blank."""
    return _text(value)


def normal_key(kind: str, value: object, region: str | None = None) -> str | None:
    """The normal form of a key of ``kind`` (one of :data:`KEY_KINDS`); ``region`` is for phones."""
    if kind == "email":
        return normal_email(value)
    if kind == "phone":
        return normal_phone(value, region)
    if kind == "loyalty":
        return normal_loyalty(value)
    raise ValueError(f"Unknown key kind {kind!r}; expected one of {', '.join(KEY_KINDS)}.")


def keyed_hash(kind: str, normal: str, secret: bytes) -> str:
    """HMAC-SHA256 of ``"<kind>:<normal>"`` under ``secret``, as hex (RFC 2104, with SHA-256).

    The kind is part of the message, so an e-mail and a loyalty id written alike never collide.
    """
    if kind not in KEY_KINDS:
        raise ValueError(f"Unknown key kind {kind!r}; expected one of {', '.join(KEY_KINDS)}.")
    return hmac.new(secret, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


def identity_secret() -> bytes:
    """The key of the identity hashes.

    ``CX_IDENTITY_SECRET`` (at least 16 characters) wins: set it in production, to the same value on
    every server. Otherwise the key is read from ``CX_IDENTITY_KEY_FILE`` or ``data/identity.key``
    (relative to the working directory), which is created on first use with 32 random bytes in hex,
    readable by its owner only. Changing the key makes every stored hash unmatchable until
    ``customers link`` is run again after re-import.
    """
    configured = os.environ.get(SECRET_VARIABLE, "").strip()
    if configured:
        if len(configured) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"{SECRET_VARIABLE} must be at least {MIN_SECRET_LENGTH} characters long; "
                f"it has {len(configured)}."
            )
        return configured.encode()
    path = Path(os.environ.get(KEY_FILE_VARIABLE) or Path("data") / "identity.key")
    if not path.exists():
        _create_key_file(path)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"The identity key file {path} must hold at least {MIN_SECRET_LENGTH} characters; "
            f"delete it to have a new key made, or set {SECRET_VARIABLE}."
        )
    return key.encode()


def _create_key_file(path: Path) -> None:
    """Write a new random key to ``path`` (mode 0o600) unless another process has just done so.

    The key goes to a temporary file in the same folder, which is then linked into place: unlike a
    rename, a link never replaces a key file that appeared meanwhile (and was perhaps already used).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0o600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_bytes(32).hex() + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile: keep it
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def hashed_keys(frame: pd.DataFrame, region: str | None, secret: bytes) -> pd.DataFrame:
    """Keyed hashes of the ``email``, ``phone`` and ``loyalty_id`` columns of ``frame``.

    Each distinct raw value is normalised once and each distinct normal form hashed once, so a
    million rows with few distinct keys cost little. Returns, on ``frame``'s index, ``email_hash``,
    ``phone_hash`` and ``loyalty_hash`` for the columns present (None for blank or invalid values)
    and ``invalid_keys``: the first invalid non-blank key of the row, such as
    ``"email: not an e-mail address"``, else None.
    """
    result = pd.DataFrame(index=frame.index)
    invalid = np.full(len(frame), None, dtype=object)
    hashes: dict[tuple[str, str], str] = {}
    for column, kind in KEY_COLUMNS.items():
        if column not in frame.columns:
            continue
        codes, distinct = pd.factorize(frame[column])  # missing values get code -1
        normals = [normal_key(kind, value, region) for value in distinct]
        for normal in normals:
            if normal is not None and (kind, normal) not in hashes:
                hashes[kind, normal] = keyed_hash(kind, normal, secret)
        column_hashes = [None if normal is None else hashes[kind, normal] for normal in normals]
        reasons = [
            f"{column}: {INVALID_REASONS[kind]}" if normal is None and _text(value) is not None else None
            for value, normal in zip(distinct, normals, strict=True)
        ]
        result[f"{kind}_hash"] = pd.Series(
            np.array([*column_hashes, None], dtype=object)[codes], index=frame.index, dtype=object
        )
        row_reasons = np.array([*reasons, None], dtype=object)[codes]
        invalid = np.where(pd.isna(invalid), row_reasons, invalid)
    result["invalid_keys"] = pd.Series(invalid, index=frame.index, dtype=object)
    return result
