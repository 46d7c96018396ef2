"""Activation: keeping audiences (segments) in sync with the tools that use them.

Destinations (webhooks, files, database tables, ad-platform and email-tool lists) each take
one segment for one declared purpose; only members with consent for that purpose, and not
suppressed, are ever sent, and a member who leaves or withdraws is removed at the
destination. Syncs are full or incremental (entered, exited, changed since the last
delivery), recorded in a history; webhook batches that fail after retries become dead
letters that can be replayed.
"""

from opencdp.activate.access import Access
from opencdp.activate.audience import consented_members
from opencdp.activate.catalog import (
    configure_destination,
    create_destination,
    delete_destination,
    get_destination,
    list_destinations,
    set_audience,
    set_enabled,
)  # fmt: skip
from opencdp.activate.dead_letters import dead_letters, replay_dead_letter
from opencdp.activate.egress import Egress, EgressRefused
from opencdp.activate.errors import (
    DeadLetterNotFound,
    DeadLetterNotPending,
    DestinationDisabled,
    DestinationNotFound,
    InvalidDestination,
    InvalidSyncMode,
    SyncInProgress,
)  # fmt: skip
from opencdp.activate.history import sync_history
from opencdp.activate.schedule import due_destinations
from opencdp.activate.sync import sync

__all__ = [
    "Access", "DeadLetterNotFound", "DeadLetterNotPending", "DestinationDisabled",
    "DestinationNotFound", "Egress", "EgressRefused", "InvalidDestination", "InvalidSyncMode",
    "SyncInProgress", "configure_destination", "consented_members", "create_destination",
    "dead_letters", "delete_destination", "due_destinations", "get_destination",
    "list_destinations", "replay_dead_letter", "set_audience", "set_enabled", "sync",
    "sync_history",
]  # fmt: skip
