"""Customer keys: normal forms of e-mails, phones and loyalty ids, their keyed hashes, the key they
are hashed with, the phone region, and whole frames hashed with each distinct value done once.

Expected values are worked by hand: E.164 forms from the numbering plans (UAE +971, mobile 50 ...;
Iran +98, mobile 912 ...), HMAC digests from :mod:`hmac` on literal messages.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat

import pandas as pd
import pytest

from cx.identity import keys
from cx.identity.keys import (
    hashed_keys,
    identity_secret,
    keyed_hash,
    normal_email,
    normal_key,
    normal_loyalty,
    normal_phone,
    phone_region,
)
from cx.ingest import ImportOptions, load_frame

SECRET = b"k" * 16


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Alice.Smith@Example.COM ", "alice.smith@example.com"),
        ("mailto:<bob@x.org>", "bob@x.org"),
        ("<mailto:bob@x.org>", "bob@x.org"),
        ("<Carol@Shop.ae>", "carol@shop.ae"),
    ],
)
def test_email_addresses_are_trimmed_lowered_and_unwrapped(raw, expected):
    assert normal_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["not-an-email", "a@b", "a b@c.com", "@x.org", "a@@x.org", "a@x.", "", "   ", None, float("nan")]
)
def test_what_is_not_one_email_address_is_none(raw):
    assert normal_email(raw) is None


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+971 50 123 4567", "AE", "+971501234567"),
        ("00971 50 123 4567", "AE", "+971501234567"),
        ("0501234567", "AE", "+971501234567"),
        ("050-123-4567", "AE", "+971501234567"),
        ("971501234567", "AE", "+971501234567"),  # country code without "+": phonenumbers strips it
        ("+971 50 123 4567", "IR", "+971501234567"),  # a country code wins over the region
        ("٠٥٠١٢٣٤٥٦٧", "AE", "+971501234567"),  # Arabic-Indic digits
        ("0912 345 6789", "IR", "+989123456789"),
        ("(+98) 912-345-6789", "IR", "+989123456789"),
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "IR", "+989123456789"),  # Persian digits
        ("+971 50 123 4567", None, "national:501234567"),
        ("00971501234567", None, "national:501234567"),
        ("(+98) 912-345-6789", None, "national:9123456789"),
        ("0501234567", None, "national:501234567"),
        ("050 123 4567", None, "national:501234567"),
        (971501234567.0, None, "national:971501234567"),  # no "+" nor "00": national digits
        ("971501234567.0", None, "national:971501234567"),  # the same float, written out as text
        (971501234567, "AE", "+971501234567"),
        (971501234567.0, "AE", "+971501234567"),
    ],
)
def test_phone_numbers_become_e164_or_national_digits(raw, region, expected):
    assert normal_phone(raw, region) == expected


@pytest.mark.parametrize("region", ["AE", None])
@pytest.mark.parametrize("raw", ["abc", "12", "", "  ", None, float("nan"), "+971 12", "+999 123 456 789"])
def test_what_is_not_a_possible_phone_number_is_none(raw, region):
    assert normal_phone(raw, region) is None


def test_loyalty_ids_are_kept_as_given():
    assert normal_loyalty(" LX-0042 ") == "LX-0042"
    assert normal_loyalty("00123") == "00123"
    assert normal_loyalty(12345.0) == "12345"
    assert normal_loyalty(12345) == "12345"
    assert normal_loyalty("  ") is None
    assert normal_loyalty(float("nan")) is None
    assert normal_loyalty(None) is None


def test_normal_key_dispatches_on_kind():
    assert normal_key("email", " A@B.co ") == "a@b.co"
    assert normal_key("phone", "050 123 4567", "AE") == "+971501234567"
    assert normal_key("phone", "050 123 4567") == "national:501234567"
    assert normal_key("loyalty", 7.0) == "7"
    with pytest.raises(ValueError, match="Unknown key kind 'fax'"):
        normal_key("fax", "123")


def test_keyed_hash_is_hmac_sha256_of_kind_and_normal_form():
    expected = hmac.new(b"k" * 16, b"email:a@b.co", "sha256").hexdigest()
    assert keyed_hash("email", "a@b.co", SECRET) == expected
    assert (
        keyed_hash("email", "a@b.co", b"j" * 16)
        == hmac.new(b"j" * 16, b"email:a@b.co", hashlib.sha256).hexdigest()
    )
    assert keyed_hash("email", "a@b.co", b"j" * 16) != expected
    assert keyed_hash("email", "x", SECRET) != keyed_hash("loyalty", "x", SECRET)
    assert keyed_hash("loyalty", "x", SECRET) == hmac.new(SECRET, b"loyalty:x", "sha256").hexdigest()


def test_the_secret_comes_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CX_IDENTITY_SECRET", "  0123456789abcdef  ")
    assert identity_secret() == b"0123456789abcdef"
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv("CX_IDENTITY_SECRET", "too-short")
    with pytest.raises(ValueError, match="CX_IDENTITY_SECRET must be at least 16 characters"):
        identity_secret()


def test_the_default_key_file_is_made_once_readable_by_its_owner_only(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CX_IDENTITY_SECRET", raising=False)
    monkeypatch.delenv("CX_IDENTITY_KEY_FILE", raising=False)
    first = identity_secret()
    path = tmp_path / "data" / "identity.key"
    assert len(first) == 64 and bytes.fromhex(first.decode())  # 32 random bytes in hex
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert identity_secret() == first
    assert os.listdir(path.parent) == ["identity.key"]  # no temporary file left behind


def test_a_named_key_file_is_used_and_never_replaced(monkeypatch, tmp_path):
    monkeypatch.delenv("CX_IDENTITY_SECRET", raising=False)
    path = tmp_path / "keys" / "cx.key"
    monkeypatch.setenv("CX_IDENTITY_KEY_FILE", str(path))
    first = identity_secret()
    assert path.read_text().strip().encode() == first
    other = tmp_path / "other.key"
    other.write_text("an existing key of 30 chars..\n")
    monkeypatch.setenv("CX_IDENTITY_KEY_FILE", str(other))
    assert identity_secret() == b"an existing key of 30 chars.."
    other.write_text("short\n")
    with pytest.raises(ValueError, match="must hold at least 16 characters"):
        identity_secret()


def test_a_key_file_that_appears_meanwhile_is_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("CX_IDENTITY_SECRET", raising=False)
    path = tmp_path / "identity.key"
    monkeypatch.setenv("CX_IDENTITY_KEY_FILE", str(path))
    real_link = os.link

    def another_process_first(source, target):
        path.write_text("written by the other process\n")
        real_link(source, target)

    monkeypatch.setattr(keys.os, "link", another_process_first)
    assert identity_secret() == b"written by the other process"
    assert os.listdir(tmp_path) == ["identity.key"]


def _stores(engine, tmp_path, countries):
    frame = pd.DataFrame(
        {
            "store_id": [f"S{number}" for number in range(1, len(countries) + 1)],
            "name": [f"Store {number}" for number in range(1, len(countries) + 1)],
            "region": "Gulf",
            "country": countries,
        }
    )
    options = ImportOptions(constants={"brand": "Brand"})
    summary = load_frame(engine, "stores", frame, options, name="stores", reports_dir=tmp_path)
    assert summary.rows_loaded == len(countries), summary


def test_the_phone_region_setting_wins_and_must_be_a_region(engine, monkeypatch, tmp_path):
    _stores(engine, tmp_path, ["AE", "AE"])
    monkeypatch.setenv("CX_PHONE_REGION", " ir ")
    assert phone_region(engine) == "IR"
    monkeypatch.setenv("CX_PHONE_REGION", "Persia")
    with pytest.raises(ValueError, match="CX_PHONE_REGION must be an ISO 3166-1 alpha-2"):
        phone_region(engine)


@pytest.mark.parametrize(
    ("countries", "expected"),
    [
        (["AE", "AE", None], "AE"),
        (["United Arab Emirates", "united arab emirates"], "AE"),
        (["AE", "United Arab Emirates"], "AE"),
        (["Iran"], "IR"),
        (["AE", "IR"], None),
        ([None, None], None),
    ],
)
def test_the_phone_region_is_the_country_all_stores_share(engine, monkeypatch, tmp_path, countries, expected):
    monkeypatch.delenv("CX_PHONE_REGION", raising=False)
    _stores(engine, tmp_path, countries)
    assert phone_region(engine) == expected


def test_an_unreadable_store_country_leaves_no_region(engine, monkeypatch, tmp_path):
    monkeypatch.delenv("CX_PHONE_REGION", raising=False)
    _stores(engine, tmp_path, ["AE", "Atlantis"])
    with pytest.warns(UserWarning, match="'Atlantis' is neither"):
        assert phone_region(engine) is None


def test_hashed_keys_match_variants_and_report_invalid_keys():
    frame = pd.DataFrame(
        {
            "email": [" Alice@Example.com", "alice@example.COM", "not-an-email", None, "bob@x.org"],
            "phone": ["050 123 4567", "+971501234567", "0501234567", "abc", None],
            "loyalty_id": [12345.0, "12345", None, "L-9", float("nan")],
        },
        index=[10, 11, 12, 13, 14],
    )
    result = hashed_keys(frame, "AE", SECRET)
    assert list(result.columns) == ["email_hash", "phone_hash", "loyalty_hash", "invalid_keys"]
    assert list(result.index) == [10, 11, 12, 13, 14]
    alice = hmac.new(SECRET, b"email:alice@example.com", "sha256").hexdigest()
    phone = hmac.new(SECRET, b"phone:+971501234567", "sha256").hexdigest()
    loyalty = hmac.new(SECRET, b"loyalty:12345", "sha256").hexdigest()
    assert result["email_hash"].tolist() == [
        alice,
        alice,
        None,
        None,
        hmac.new(SECRET, b"email:bob@x.org", "sha256").hexdigest(),
    ]
    assert result["phone_hash"].tolist() == [phone, phone, phone, None, None]
    assert result["loyalty_hash"].tolist() == [
        loyalty,
        loyalty,
        None,
        hmac.new(SECRET, b"loyalty:L-9", "sha256").hexdigest(),
        None,
    ]
    assert result["invalid_keys"].tolist() == [
        None,
        None,
        "email: not an e-mail address",
        "phone: not a phone number",
        None,
    ]


def test_hashed_keys_takes_only_the_key_columns_present():
    frame = pd.DataFrame({"phone": ["0501234567", "+971 50 123 4567"], "store_id": ["S1", "S2"]})
    result = hashed_keys(frame, None, SECRET)
    national = hmac.new(SECRET, b"phone:national:501234567", "sha256").hexdigest()
    assert list(result.columns) == ["phone_hash", "invalid_keys"]
    assert result["phone_hash"].tolist() == [national, national]
    assert result["invalid_keys"].tolist() == [None, None]


def test_hashed_keys_does_each_distinct_value_once(monkeypatch):
    """200,000 rows holding 1,000 spellings of 500 addresses: 1,000 normalisations, 500 hashes."""
    normalised, hashed = [], []
    real_normal_key, real_keyed_hash = keys.normal_key, keys.keyed_hash

    def counted_normal_key(kind, value, region=None):
        normalised.append(value)
        return real_normal_key(kind, value, region)

    def counted_keyed_hash(kind, normal, secret):
        hashed.append(normal)
        return real_keyed_hash(kind, normal, secret)

    monkeypatch.setattr(keys, "normal_key", counted_normal_key)
    monkeypatch.setattr(keys, "keyed_hash", counted_keyed_hash)
    spellings = [f"customer{number}@example.com" for number in range(500)]
    spellings += [spelling.upper() for spelling in spellings]
    frame = pd.DataFrame({"email": [spellings[row % 1000] for row in range(200_000)]})
    result = hashed_keys(frame, None, SECRET)
    assert len(normalised) == 1000
    assert sorted(hashed) == sorted(f"customer{number}@example.com" for number in range(500))
    assert len(result) == 200_000
    assert result["email_hash"].nunique() == 500
    assert result["email_hash"].iloc[0] == result["email_hash"].iloc[500]  # customer0, both spellings
    assert result["invalid_keys"].isna().all()
