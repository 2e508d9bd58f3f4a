"""Passwords for the built-in sign-in: Argon2id hashes (``argon2-cffi``, RFC 9106 parameters), never
the password itself; a wrong password counts towards a lockout."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory profile
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (``$argon2id$...``); ``ValueError`` when it is too short."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"A password needs at least {MIN_LENGTH} characters.")
    return HASHER.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from (False without a hash)."""
    if not password_hash:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
