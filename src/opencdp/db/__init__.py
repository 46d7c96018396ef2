"""Database layer: opening the DuckDB file, migrations and the single writer."""

from opencdp.db.connection import DatabaseLocked, fetch_one, open_database
from opencdp.db.writer import Writer, WriterSaturated

__all__ = ["DatabaseLocked", "Writer", "WriterSaturated", "fetch_one", "open_database"]
