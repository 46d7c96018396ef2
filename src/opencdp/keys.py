"""Stable 64-bit keys of text parts, for deduplication and idempotency across restarts.

MD5 (not for security): the same parts give the same key in every process and version,
and DuckDB computes the identical value in SQL as `md5_number_upper(...)`, so keys can be
made in Python on the hot path or in SQL over a whole batch and still compare equal.
"""

from __future__ import annotations

import hashlib

SEPARATOR = "\0"


def stable_key(*parts: str) -> int:
    """64-bit key of `parts` joined by NUL; equals DuckDB `md5_number_upper` of the join."""
    joined = SEPARATOR.join(parts).encode("utf-8", "surrogatepass")
    digest = hashlib.md5(joined, usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "little")
