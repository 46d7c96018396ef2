"""Keys: the master key kept outside the database, keys derived from it, keyed hashes."""

from opencdp.crypto.keys import (
    MasterKeyError,
    derive_key,
    keyed_hash,
    load_master_key,
)

__all__ = ["MasterKeyError", "derive_key", "keyed_hash", "load_master_key"]
