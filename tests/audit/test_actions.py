"""Coverage is decided in one table per door: every route and `Admin` method that reads
customer data, exports, activates, logs in or changes something is audited."""

from __future__ import annotations

import inspect

import pytest

from opencdp.admin import Admin
from opencdp.api.app import create_app
from opencdp.audit.actions import describe, method_action, route_action

# GET routes that return no customer data: configuration, credentials, counts, health.
NOT_CUSTOMER_DATA = {
    "/health", "/ready", "/v1/auth/me", "/v1/users", "/v1/users/{name}", "/v1/tokens",
    "/v1/tokens/{token_id}", "/v1/sources", "/v1/sources/{name}", "/v1/events/count",
    "/v1/sources/{name}/imports", "/v1/segments", "/v1/segments/{name}", "/v1/destinations",
    "/v1/destinations/{name}", "/v1/destinations/{name}/syncs", "/v1/computed-traits",
    "/v1/computed-traits/{name}", "/v1/consents/purposes", "/v1/privacy/retention",
    "/v1/predictions", "/v1/predictions/models", "/v1/predictions/models/{model_id}",
    "/v1/predictions/{name}", "/v1/predictions/trends",
}  # fmt: skip


@pytest.fixture(scope="module")
def operations(tmp_path_factory):
    from opencdp.config import load_settings

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("routes") / "data")
    app = create_app(settings)
    try:
        schema = app.openapi()
    finally:
        app.state.workspace.close()
    return [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]


def test_every_get_route_is_audited_or_holds_no_customer_data(operations):
    unaudited = {path for method, path in operations
                 if method == "GET" and route_action(method, path) is None}  # fmt: skip
    assert unaudited <= NOT_CUSTOMER_DATA, f"audit these? {unaudited - NOT_CUSTOMER_DATA}"


def test_every_change_is_audited(operations):
    for method, path in operations:
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert route_action(method, path) is not None, (method, path)


@pytest.mark.parametrize(("method", "path", "action"), [
    ("GET", "/v1/profiles/{identifier:path}", "profile.read"),
    ("GET", "/v1/profiles/{identifier}/consents", "profile.read"),
    ("POST", "/v1/auth/login", "auth.login"),
    ("POST", "/v1/privacy/access", "privacy.request.access"),
    ("POST", "/v1/privacy/erasure", "privacy.request.erasure"),
    ("GET", "/v1/privacy/requests", "privacy.request.list"),
    ("GET", "/v1/privacy/requests/{request_id}/export", "privacy.request.export"),
    ("POST", "/v1/privacy/requests/{request_id}/cancel", "privacy.request.cancel"),
    ("GET", "/v1/privacy/retention", None),
    ("PUT", "/v1/privacy/retention/{name}", "config.change"),
    ("POST", "/v1/restore", "backup.restore"),
    ("POST", "/v1/backups", "backup.create"),
    ("POST", "/v1/segments/preview", "segment.preview"),
    ("POST", "/v1/destinations/{name}/sync", "destination.sync"),
    ("DELETE", "/v1/segments/{name}", "config.change"),
    ("GET", "/v1/audit/report", "audit.report"),
    ("GET", "/v1/profiles/export", "profile.export"),
    ("GET", "/v1/segments/{name}/export", "segment.export"),
    ("GET", "/v1/sources", None),
])  # fmt: skip
def test_route_actions(method, path, action):
    assert route_action(method, path) == action


def test_admin_methods_that_read_people_or_change_things_are_audited():
    for name in ("get_profile", "search_profiles", "export_events", "sync_destination",
                 "privacy_erase", "privacy_export", "create_segment", "delete_destination",
                 "set_source_enabled", "import_file", "unmerge", "create_user",
                 "revoke_token", "audit_report"):  # fmt: skip
        assert method_action(name), name
    assert method_action("privacy_erase") == "privacy.request.erasure"
    assert method_action("privacy_export") == "privacy.request.access"
    assert method_action("sync_destination") == "destination.sync"
    assert method_action("audit_report") == "audit.report"
    names = {n for n, _ in inspect.getmembers(Admin, inspect.isfunction)}
    for name in ("list_sources", "get_segment", "list_destinations"):
        assert name in names and method_action(name) is None


def test_personal_arguments_are_hashed_and_others_kept():
    described = describe(
        ["v1", "privacy", "erasure"],
        {"identifier": "ann@mail.co.jp", "password": "secret", "limit": 5, "name": "web"},
        lambda text: f"h({text})",
    )
    assert described.details == {"hashed": {"identifier": "h(ann@mail.co.jp)"}, "limit": 5}
    assert (described.target_kind, described.target) == ("privacy_request", "web")
