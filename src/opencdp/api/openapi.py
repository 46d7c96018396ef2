"""The OpenAPI document tells the truth about errors.

Errors are `{"code": ..., "message": ...}` (`api/errors.py`) and a request that fails
validation is a 400, not FastAPI's default 422. This rewrites the generated document once:
every admin operation lists the error statuses it can answer with that shape, so clients
and schemathesis (`tests/api/test_openapi_fuzz.py`) can rely on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Machine-readable reason"},
        "message": {"type": "string", "description": "What went wrong, for a person"},
    },
}
ADMIN_ERRORS = {
    "400": "Invalid request: a parameter or the body is not acceptable",
    "401": "No valid credential (missing, unknown, expired or revoked token)",
    "403": "The caller's role or the token's scopes do not allow this",
    "404": "No such object",
    "409": "Conflicts with the current state",
    "429": "Rate limit reached; see Retry-After",
}
PUBLIC_ERRORS = {
    "/v1/auth/login": ("400", "401", "429"),
    "/health": (),
    "/ready": ("503",),
}
_EXTRA = {"503": "Not ready: the writer queue is full; see Retry-After"}


def document_errors(app: FastAPI) -> None:
    """Wrap `app.openapi` so the document it returns lists the real error responses."""
    generate = app.openapi
    done: set[int] = set()

    def openapi() -> dict[str, Any]:
        document = generate()
        if id(document) not in done:
            _rewrite(document)
            done.add(id(document))
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _rewrite(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        statuses = PUBLIC_ERRORS.get(path, tuple(ADMIN_ERRORS))
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in statuses:
                responses.setdefault(status, {
                    "description": ADMIN_ERRORS.get(status) or _EXTRA[status],
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}},
                })  # fmt: skip
    if "422" not in str(document.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
