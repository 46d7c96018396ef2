"""The audit trail: who accessed which customer data, when, from where and why.

An append-only, hash-chained log (`log`, `chain`, `verify`), filled at the doors: the API
middleware (`opencdp.api.audit_middleware`), offline commands (`offline`) and the scheduler
(`system`); operations add the profiles they touched through `context`. `query` answers
who accessed a person and what a user accessed; `alerts` flags unusual access.
"""

from opencdp.audit.context import note_details, note_principal, note_profiles, note_target
from opencdp.audit.log import AuditLog
from opencdp.audit.model import Actor, Entry

__all__ = ["Actor", "AuditLog", "Entry", "note_details", "note_principal", "note_profiles",
           "note_target"]  # fmt: skip
