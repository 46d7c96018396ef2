"""Password hashing with argon2id (argon2-cffi), and the password policy.

Verification costs tens of milliseconds by design, so it runs on the caller's thread,
never on the single writer. A login for an unknown user still verifies against a dummy hash,
so the response time does not reveal which user names exist.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from opencdp.security.errors import InvalidSecurityRequest

MAX_PASSWORD_CHARS = 1024


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # RFC 9106 low-memory profile: argon2id, t=3, m=64 MiB, p=4


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def check_policy(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidSecurityRequest(f"password must have at least {min_length} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidSecurityRequest(f"password must have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    """The argon2id hash in PHC string form (`$argon2id$v=19$m=...`), salt included."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a missing hash is checked against a dummy (same time)."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at login)."""
    return _hasher().check_needs_rehash(stored_hash)
