"""Errors of the security stage; the API maps each to a status (see `api/app.py`)."""

from __future__ import annotations


class InvalidSecurityRequest(ValueError):
    """Bad input: an unknown role or scope, a weak password, an expiry in the past (400)."""


class UserNotFound(LookupError):
    """No such user (404)."""


class TokenNotFound(LookupError):
    """No such token, or not one the caller may see (404, never 403: ids are not probed)."""


class UserExists(ValueError):
    """A user of that name already exists (409)."""


class Forbidden(PermissionError):
    """The caller is authenticated but may not do this (403)."""


class LoginFailed(PermissionError):
    """Wrong name or password, or a disabled user (401; the message never says which)."""
