"""Which calls are audited, under which action, and what of their arguments is kept.

One table for the API (method and route template) and one for the offline CLI (the
`Admin` method called), so coverage is decided in one place per door: every read of
customer data, every export and activation, privacy requests, logins, audit reads, and every
change (any POST, PUT, PATCH or DELETE of the admin API is a `config.change` unless named).
Arguments that may hold personal data (an identifier, a search text) are kept only as keyed
hashes; other arguments name the target (a segment, a destination) or go to the details.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opencdp.audit.model import clean

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONVERTER = re.compile(r":[a-z]+}")

# Reads of customer data (and the POSTs that are reads or activations), by route.
ROUTES: dict[tuple[str, str], str | None] = {
    ("GET", "/v1/profiles/{identifier}"): "profile.read",
    ("GET", "/v1/profiles"): "profile.search",
    ("GET", "/v1/events/export"): "events.export",
    ("GET", "/v1/events"): "events.read",
    ("GET", "/v1/quarantine"): "quarantine.read",
    ("POST", "/v1/segments/preview"): "segment.preview",
    ("GET", "/v1/segments/{name}/count"): "segment.count",
    ("GET", "/v1/segments/{name}/members"): "segment.members",
    ("GET", "/v1/segments/{name}/history"): "segment.history",
    ("POST", "/v1/destinations/{name}/sync"): "destination.sync",
    ("POST", "/v1/destinations/{name}/dead-letters/{letter_id}/replay"): "destination.replay",
    ("GET", "/v1/destinations/{name}/dead-letters"): "destination.dead_letters",
    ("GET", "/v1/identity/review"): "identity.review",
    ("GET", "/v1/identity/clusters"): "identity.clusters",
    ("GET", "/v1/quality"): "quality.report",
    ("GET", "/v1/audit/verify"): "audit.verify",
    ("GET", "/v1/predictions/{name}/scores"): "prediction.scores",
    ("GET", "/v1/predictions/lists/{which}"): "prediction.list",
    ("POST", "/v1/privacy/access"): "privacy.request.access",
    ("POST", "/v1/privacy/erasure"): "privacy.request.erasure",
    ("GET", "/v1/privacy/requests"): "privacy.request.list",
    ("GET", "/v1/privacy/requests/{request_id}"): "privacy.request.read",
    ("GET", "/v1/privacy/requests/{request_id}/export"): "privacy.request.export",
    ("GET", "/v1/privacy/suppression"): "privacy.suppression.read",
    ("GET", "/v1/privacy/retention"): None,  # policies, no personal data
    ("PUT", "/v1/privacy/retention/{name}"): "config.change",
    ("DELETE", "/v1/privacy/retention/{name}"): "config.change",
    ("POST", "/v1/privacy/retention/apply"): "privacy.retention.apply",
}

# The same operations by `Admin` method, for commands that open the data directory.
METHODS: dict[str, str] = {
    "get_profile": "profile.read",
    "search_profiles": "profile.search",
    "export_events": "events.export",
    "recent_events": "events.read",
    "list_quarantine": "quarantine.read",
    "preview_segment": "segment.preview",
    "count_segment": "segment.count",
    "segment_members": "segment.members",
    "segment_history": "segment.history",
    "sync_destination": "destination.sync",
    "replay_dead_letter": "destination.replay",
    "dead_letters": "destination.dead_letters",
    "review_queue": "identity.review",
    "identity_clusters": "identity.clusters",
    "quality_report": "quality.report",
    "audit_verify": "audit.verify",
    "privacy_export": "privacy.request.access",
    "privacy_erase": "privacy.request.erasure",
    "privacy_requests": "privacy.request.list",
    "privacy_request": "privacy.request.read",
    "privacy_request_export": "privacy.request.export",
    "suppression_status": "privacy.suppression.read",
    "apply_retention": "privacy.retention.apply",
    "get_consents": "consent.read",
    "consent_history": "consent.read",
    "state_consent": "consent.create",
    "record_consents": "consent.create",
    "create_backup": "backup.create",
    "backup_file": "backup.read",
    "prediction_scores": "prediction.scores",
    "prediction_list": "prediction.list",
    "profile_recommendations": "profile.read",
    "train_prediction": "config.change",
    "refresh_predictions": "config.change",
    "login": "auth.login",
    "logout": "auth.logout",
}
# Method name prefixes of operations that change something.
CHANGES = (
    "create_", "update_", "delete_", "set_", "rotate_", "define_", "import_", "replay_",
    "discard_", "decide_", "unmerge", "rebuild_", "resolve_", "evaluate_", "compute_",
    "revoke_", "grant_", "enable_", "disable_", "add_", "remove_", "record_", "apply_",
    "change_",
)  # fmt: skip

# Whole areas named by their own action family (path prefix or method prefix).
FAMILIES = {"privacy": "privacy.request", "consent": "consent", "consents": "consent",
            "backup": "backup", "backups": "backup", "restore": "backup",
            "audit": "audit"}  # fmt: skip
# Path words that name what a call of such an area does (otherwise its method does).
_VERB_WORDS = frozenset({"export", "erase", "erasure", "access", "restore", "resume", "cancel",
                         "batch", "download", "apply", "log", "report", "alerts", "verify",
                         "purposes"})  # fmt: skip
_VERBS = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "POST": "create", "PUT": "update",
          "PATCH": "update", "DELETE": "delete"}  # fmt: skip

# Reads and exports of customer data, counted for unusual-access alerts.
READ_ACTIONS = frozenset({
    "profile.read", "profile.search", "events.read", "quarantine.read", "segment.members",
    "segment.preview", "identity.review", "destination.dead_letters", "prediction.scores",
    "prediction.list",
})  # fmt: skip
EXPORT_ACTIONS = frozenset({"events.export", "profile.export", "segment.export",
                            "destination.sync", "destination.replay",
                            "privacy.request.access", "privacy.request.export"})  # fmt: skip

# Arguments that may carry personal data: kept as keyed hashes only.
PERSONAL = frozenset({"identifier", "q", "fragment", "profile", "email", "phone", "subject",
                      "value", "user_id", "anonymous_id"})  # fmt: skip
PROFILE_ARGS = frozenset({"profile_id"})  # a profile id: noted as a profile, not a target
# Arguments kept in the details as given (small, no personal data).
KEPT = frozenset({"limit", "offset", "sample", "source", "format", "fmt", "mode", "status",
                  "event", "before", "user", "since", "action", "origin", "decision",
                  "letter_id", "accept", "names", "request_id", "kind", "purpose", "which",
                  "by"})  # fmt: skip
TARGET_ARGS = ("name", "segment", "destination", "request_id", "source")
_NOUNS = {"profiles": "profile", "profile": "profile", "segments": "segment",
          "segment": "segment", "destinations": "destination", "destination": "destination",
          "sources": "source", "source": "source", "computed-traits": "computed_trait",
          "traits": "computed_trait", "trait": "computed_trait", "quarantine": "quarantine",
          "quarantined": "quarantine", "identity": "identity", "events": "events",
          "privacy": "privacy_request", "users": "user", "user": "user", "tokens": "token",
          "token": "token", "audit": "audit", "consent": "consent", "consents": "consent",
          "backup": "backup", "mapping": "mapping", "matches": "identity",
          "predictions": "prediction",
          "match": "identity"}  # fmt: skip


def route_action(method: str, template: str) -> str | None:
    """The action a request to this route records, or None when it is not audited."""
    method = "GET" if method == "HEAD" else method
    template = _CONVERTER.sub("}", template)  # `{identifier:path}` is `{identifier}`
    if (method, template) in ROUTES:
        return ROUTES[(method, template)]
    words = [w for w in template.strip("/").split("/") if w and not w.startswith("{")]
    if words[-1:] in (["login"], ["logout"]):
        return f"auth.{words[-1]}"
    family = FAMILIES.get(words[1]) if len(words) > 1 and words[0] == "v1" else None
    if family is not None:
        named_verb = next((w for w in reversed(words[1:]) if w in _VERB_WORDS), None)
        return f"{family}.{named_verb or _VERBS[method]}"
    if words[-1] == "export" and len(words) > 1:  # any other export: {area}.export
        return f"{_NOUNS.get(words[1], words[1])}.export"
    if method == "GET" and "{identifier" in template:
        return "profile.read"  # any other view of one person's data
    return "config.change" if method in MUTATING else None


def method_action(name: str) -> str | None:
    """The action an `Admin` method records when a command calls it offline."""
    named = METHODS.get(name)
    if named is not None:
        return named
    head, _, rest = name.partition("_")
    family = FAMILIES.get(head)
    if family is not None:
        return f"{family}.{rest or ('restore' if head == 'restore' else 'create')}"
    return "config.change" if name.startswith(CHANGES) else None


@dataclass
class Described:
    target_kind: str | None = None
    target: str | None = None
    profile_ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    identifier: str | None = None  # the person named by an identifier, to resolve later


def describe(
    words: list[str], params: Mapping[str, Any], hash_text: Callable[[str], str]
) -> Described:
    """Target, profiles and details from a call's arguments (path and query parameters, or
    a method's bound arguments); `words` name the area (route segments or method words)."""
    out = Described(target_kind=next((_NOUNS[w] for w in words if w in _NOUNS), None))
    for key, value in params.items():
        if value is None or isinstance(value, (bytes, bytearray)) or hasattr(value, "read"):
            continue
        if key in PERSONAL:
            out.details.setdefault("hashed", {})[key] = hash_text(str(value))
            if key in ("identifier", "profile") and out.identifier is None:
                out.identifier = str(value)
        elif key in PROFILE_ARGS:
            out.profile_ids.append(str(value))
        elif key in TARGET_ARGS and out.target is None:
            out.target = clean(str(value))
        elif key in KEPT and isinstance(value, (str, int, float, bool, list)):
            out.details[key] = value if not isinstance(value, str) else clean(value)
    return out
