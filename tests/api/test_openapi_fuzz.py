"""schemathesis against the app's own OpenAPI schema: no 5xx, no response breaking it.

Every operation gets a bounded number of generated requests (derandomized, so a run is
repeatable), sent in-process through ASGI as the admin; each response must not be a server
error, must have a status the schema documents, a documented content type and a body
matching the declared response model. A second pass fixes path parameters to objects that
exist (a source, a segment, a user, a profile) so generated bodies reach the code behind
the 404s (an operation without path parameters has no such pass: it would draw again from
the same strategy); GET operations are also read as a viewer, whose answers are PII-masked.
A few operations whose every call is expensive by design (an argon2 password hash, a
recomputation of every profile) and whose bodies are a name, a password or an identifier get
fewer examples (`FEW`). All operations are tried and every failure is reported at the end;
the run takes 30-50 s on a loaded 2-core machine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from opencdp.api.app import create_app
from opencdp.config import load_settings
from opencdp.workspace import admin_token

RANDOM_EXAMPLES = 20
SEEDED_EXAMPLES = 10
MASKED_EXAMPLES = 5
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
# Heavy work each call would only repeat (a full snapshot of the database).
SKIP = {"POST /v1/backups"}
# Examples per pass for operations that cost ~0.5 s a call by design and take small bodies:
# argon2 hashes a password on every call (for an unknown user too), the others recompute or
# export everything. Their bodies (a name and a password; an identifier; an optional time)
# need no more to meet each documented answer.
FEW = {
    "POST /v1/auth/login": 6, "POST /v1/users": 6, "PUT /v1/users/{name}/password": 6,
    "POST /v1/computed-traits/compute": 5, "POST /v1/predictions/refresh": 5,
    "POST /v1/privacy/access": 8,
}  # fmt: skip
# Existing objects by the first path segment after /v1 (filled in by `_seed`).
VIEWER: dict[str, str] = {}  # a viewer's credential: reads come back masked
KNOWN: dict[str, dict[str, Any]] = {
    "sources": {"name": "web"}, "segments": {"name": "gold"}, "users": {"name": "ann"},
    "profiles": {"identifier": "u-1"}, "computed-traits": {"name": "order_count"},
    "quarantine": {"quarantine_id": 1},
}  # fmt: skip


def _seed(client: TestClient, headers: dict[str, str]) -> None:
    key = client.post("/v1/sources", json={"name": "web"}, headers=headers).json()["write_key"]
    batch = [
        {"type": "identify", "userId": "u-1",
         "traits": {"email": "ann@mail.co.th", "plan": "gold", "birthday": "1990-01-02"}},
        {"type": "track", "userId": "u-1", "event": "Order Completed", "properties": {"total": 5}},
        {"type": "identify", "userId": "u-2", "timestamp": "not a time"},  # quarantined
    ]  # fmt: skip
    client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))
    client.post("/v1/identity/rebuild", headers=headers)
    client.post("/v1/segments", json={"name": "gold", "where": 'plan = "gold"'}, headers=headers)
    client.post("/v1/users", json={"name": "ann", "role": "analyst"}, headers=headers)
    issued = client.post("/v1/tokens", json={"name": "t", "scopes": ["*"], "user": "ann"},
                         headers=headers).json()  # fmt: skip
    KNOWN["tokens"] = {"token_id": issued["token_id"]}
    viewer = client.post("/v1/users", json={"name": "vic", "role": "viewer"}, headers=headers)
    assert viewer.status_code == 201
    token = client.post("/v1/tokens", json={"name": "t", "scopes": ["*"], "user": "vic"},
                        headers=headers).json()["token"]  # fmt: skip
    VIEWER["Authorization"] = f"Bearer {token}"
    seen = client.get("/v1/profiles/u-1", headers=VIEWER)
    assert seen.status_code == 200 and "a***@mail.co.th" in seen.text, seen.text


def _fuzz(operation: Any, headers: dict[str, str], examples: int, **fixed: Any) -> None:
    @given(case=operation.as_strategy(**fixed))
    @settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def _known_parameters(path: str) -> dict[str, Any]:
    resource = path.split("/")[2] if path.count("/") > 2 else ""
    wanted = set(re.findall(r"\{(\w+)", path))
    known = {k: v for k, v in KNOWN.get(resource, {}).items() if k in wanted}
    return known if known and set(known) == wanted else {}


def test_every_operation_conforms_to_the_schema(tmp_path: Path) -> None:
    env = {"OPENCDP_API_RATE_PER_SECOND": "0", "OPENCDP_LOGIN_ATTEMPTS_PER_MINUTE": "0",
           "OPENCDP_SCHEDULE_SECONDS": "0", "OPENCDP_IDENTITY_STITCHING": "off"}  # fmt: skip
    settings_ = load_settings(env=env, data_dir=tmp_path / "data")
    app = create_app(settings_)
    headers = {"Authorization": f"Bearer {admin_token(settings_)}"}
    failures: list[str] = []
    try:
        _seed(TestClient(app), headers)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        tried = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.label in SKIP:
                continue
            tried += 1
            few = FEW.get(operation.label, RANDOM_EXAMPLES)
            passes: list[tuple[dict[str, str], int, dict[str, Any]]] = [(headers, few, {})]
            known = _known_parameters(operation.path)
            if known or "{" not in operation.path:
                fixed = {"path_parameters": known} if known else {}
                if known:
                    passes.append((headers, min(few, SEEDED_EXAMPLES), fixed))
                if operation.method.upper() == "GET":  # masked answers keep to the schema
                    passes.append((VIEWER, MASKED_EXAMPLES, fixed))
            for caller, examples, fixed in passes:
                try:
                    _fuzz(operation, caller, examples, **fixed)
                except (Exception, BaseExceptionGroup) as exc:  # try all, report every failure
                    failures.append(f"{operation.label} {fixed}: {exc!r}"[:3000])
        assert tried > 60
    finally:
        app.state.workspace.close()
    assert not failures, "\n\n".join(failures)
