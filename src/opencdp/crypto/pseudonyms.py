"""Keyed pseudonyms: what identity resolution, lookups and suppression compare instead of values.

`type:value` becomes `type:<22 characters>` (keyed BLAKE2b-128, a MAC at a third of
HMAC-SHA256's cost, under a key derived from the master key; URL-safe base64). Equal
normalised values give equal pseudonyms, so linking, lookups and suppression work
unchanged, while the database never holds the value; without the master key a pseudonym
cannot be tested against a guessed address. The `type:`
prefix is kept readable so SQL can still split on the first colon.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict

from opencdp.crypto.keys import derive_key

_BYTES = 16
LENGTH = 22  # characters of a pseudonym: 16 bytes in unpadded base64url


class Pseudonyms:
    """Pseudonyms of identifiers, with a bounded memo for the hot path."""

    def __init__(self, master: bytes, cache_size: int = 200_000) -> None:
        self._key = derive_key(master, "identifiers")
        self._memo: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size

    def of_value(self, text: str) -> str:
        """The pseudonym of one normalised `type:value` text (no type prefix kept)."""
        known = self._memo.get(text)
        if known is not None:
            return known
        digest = hashlib.blake2b(text.encode(), key=self._key, digest_size=_BYTES).digest()
        made = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
        self._memo[text] = made
        if len(self._memo) > self._cache_size:
            self._memo.popitem(last=False)
        return made

    def of_identifier(self, identifier: str) -> str:
        """`type:value` → `type:<pseudonym>`; a value without a type is taken whole."""
        kind, sep, _ = identifier.partition(":")
        if not sep:
            return self.of_value(identifier)
        return f"{kind}:{self.of_value(identifier)}"


def is_pseudonym(text: str) -> bool:
    _, _, tail = text.rpartition(":")
    return len(tail) == LENGTH and all(c.isalnum() or c in "-_" for c in tail)
