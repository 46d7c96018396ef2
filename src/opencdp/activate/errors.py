"""Why a destination cannot be created, found, synced or replayed, in the caller's words.

Each is a ValueError (bad request, 400) or LookupError (404) so the API maps them without
knowing this package; messages name the field and the reason, never personal data.
"""

from __future__ import annotations


class InvalidDestination(ValueError):
    """A destination definition that cannot work: unknown kind, bad config, missing segment."""


class DestinationNotFound(LookupError):
    """No destination of that name."""


class SyncInProgress(ValueError):
    """Another sync of the same destination is still running."""


class DeadLetterNotFound(LookupError):
    """No dead letter of that id for the destination."""


class DeadLetterNotPending(ValueError):
    """The dead letter was already replayed or superseded by a later sync."""


class InvalidSyncMode(ValueError):
    """A sync mode other than 'incremental' or 'full'."""


class DestinationDisabled(ValueError):
    """The destination is disabled; enable it before syncing."""
