"""Whether a data directory keeps personal data encrypted, decided once when it is created.

Pseudonymised and plain identifiers cannot be mixed in one identity graph, so the mode is
recorded in `crypto_state` the first time a directory is opened; the setting only chooses
the mode of new directories, and a directory opened with the other setting keeps its own
mode, with a warning (turning encryption on for existing plain data needs a rewrite, not
built yet).
"""

from __future__ import annotations

import logging

import duckdb

from opencdp.config import Settings
from opencdp.crypto.keys import load_master_key
from opencdp.crypto.personal import PersonalData
from opencdp.security.pii import PiiSchema

log = logging.getLogger(__name__)


def decided_mode(con: duckdb.DuckDBPyConnection, wanted: bool) -> bool:
    """The directory's mode: recorded, or `wanted` recorded now for a new directory."""
    row = con.execute("SELECT field_encryption FROM crypto_state LIMIT 1").fetchone()
    if row is not None:
        return bool(row[0])
    has_data = con.execute(
        "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM source_records)"
    ).fetchone()
    mode = wanted if not (has_data and has_data[0]) else False  # old data is plain text
    con.execute("INSERT INTO crypto_state (field_encryption) VALUES (?)", [mode])
    return mode


def open_personal_data(settings: Settings, con: duckdb.DuckDBPyConnection) -> PersonalData:
    """The sealing object for this directory, in the mode it was created in."""
    mode = decided_mode(con, settings.field_encryption)
    if mode != settings.field_encryption:
        state = "encrypted" if mode else "plain text"
        log.warning(
            "%s keeps personal data in %s since it was created; field_encryption=%s "
            "applies to new data directories only",
            settings.data_dir,
            state,
            settings.field_encryption,
        )
    if not mode:
        return PersonalData()
    return PersonalData(
        load_master_key(settings),
        settings.data_dir / "keystore.sqlite",
        PiiSchema.with_traits(settings.pii_traits),
    )
