"""Management of users and tokens, returning plain JSON-ready data (part of `Admin`).

Every operation takes the acting `Principal` for its object-level checks, so the API and the
offline CLI (acting as the `cli` principal) enforce the same rules: people see and revoke
their own tokens; only a caller with `users:write` (an admin) acts on other people's; no
one grants a token more than they hold themselves.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from opencdp.db.writer import WriterSaturated, WriterStopped
from opencdp.security import passwords, tokens, users
from opencdp.security.errors import Forbidden, InvalidSecurityRequest, LoginFailed, TokenNotFound
from opencdp.security.principal import Principal
from opencdp.security.roles import all_permissions, check_scopes, role_allows, scope_allows
from opencdp.workspace import Workspace

_TOUCH_EVERY = timedelta(minutes=1)  # how stale `last_used_at` may be
_TOUCH_LOCK = threading.Lock()
_PEOPLE = ("user", "token")  # principals that are a user (not the admin token, not the CLI)


def _now() -> datetime:
    return datetime.now(UTC)


class SecurityAdmin:
    ws: Workspace
    _touched: dict[str, datetime]

    # users -----------------------------------------------------------------
    def create_user(self, name: str, role: str, password: str | None = None) -> dict[str, Any]:
        """A new user; without a password they cannot log in until one is set."""
        hashed = None
        if password is not None:
            passwords.check_policy(password, self.ws.settings.password_min_length)
            hashed = passwords.hash_password(password)
        now = _now()
        return self.ws.write(lambda con: users.create_user(con, name, role, hashed, now)).to_json()

    def list_users(self) -> list[dict[str, Any]]:
        return [u.to_json() for u in self.ws.read(users.list_users)]

    def get_user(self, name: str) -> dict[str, Any]:
        return self.ws.read(lambda con: users.get_user(con, name)).to_json()

    def update_user(
        self, name: str, role: str | None = None, disabled: bool | None = None
    ) -> dict[str, Any]:
        now = _now()
        return self.ws.write(
            lambda con: users.update_user(con, name, now, role=role, disabled=disabled)
        ).to_json()

    def set_password(self, name: str, password: str) -> dict[str, Any]:
        """An admin sets (resets) a user's password. Every session and API token of the user
        is revoked with it: a reset after a suspected compromise must lock the intruder out,
        whatever credential they hold."""
        return self._replace_password(name, password, keep=None)

    def change_own_password(self, actor: Principal, current: str, new: str) -> dict[str, Any]:
        """A person changes their own password, proving they know the current one. Their
        other sessions and API tokens are revoked; the credential making the change stays
        valid (its holder just proved the password)."""
        if actor.kind not in _PEOPLE:
            raise Forbidden("only a user has a password to change")
        _, stored = self.ws.read(lambda con: users.find_user(con, actor.name))
        if not passwords.verify_password(stored, current):
            raise LoginFailed("the current password is wrong")
        return self._replace_password(actor.name, new, keep=actor.token_id)

    def _replace_password(self, name: str, password: str, keep: str | None) -> dict[str, Any]:
        passwords.check_policy(password, self.ws.settings.password_min_length)
        hashed = passwords.hash_password(password)
        now = _now()

        def replace(con: Any) -> tuple[users.User, int]:
            user = users.set_password_hash(con, name, hashed, now)
            return user, tokens.revoke_all(con, user.user_id, now, keep=keep)

        user, revoked = self.ws.write(replace)
        return {**user.to_json(), "revoked_tokens": revoked}

    # login -----------------------------------------------------------------
    def login(self, name: str, password: str) -> dict[str, Any]:
        """A session token for a correct name and password of an enabled user."""
        user, stored = self.ws.read(lambda con: users.find_user(con, name))
        correct = passwords.verify_password(stored, password)  # runs even for unknown names
        if user is None or not correct or user.disabled:
            raise LoginFailed("wrong user name or password, or the user is disabled")
        if stored and passwords.needs_rehash(stored):  # same password, stronger hash
            rehashed, when = passwords.hash_password(password), _now()
            self.ws.write(lambda con: users.set_password_hash(con, name, rehashed, when))
        now = _now()
        expires = now + timedelta(hours=self.ws.settings.session_hours)
        issued = self._issue(user, "session", "login", ["*"], now, expires, user.name)
        return {**issued, "role": user.role}

    def logout(self, actor: Principal) -> dict[str, Any]:
        if actor.token_id is None:
            raise InvalidSecurityRequest("this credential is not a revocable token")
        return self.revoke_token(actor, actor.token_id)

    # tokens ----------------------------------------------------------------
    def create_token(
        self,
        actor: Principal,
        name: str,
        scopes: list[str],
        expires_days: float | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        """An API token, shown once. Its rights are its owner's role ∩ `scopes`."""
        owner_name = user or (actor.name if actor.kind in _PEOPLE else None)
        if owner_name is None:
            raise InvalidSecurityRequest("name the user the token belongs to (`user`)")
        if not _is_self(actor, owner_name) and not actor.can("users:write"):
            raise Forbidden("only an admin creates tokens for other users")
        if not name.strip() or len(name) > 200:
            raise InvalidSecurityRequest("a token needs a name of 1-200 characters")
        if not scopes:
            raise InvalidSecurityRequest("a token needs at least one scope (`*` for all)")
        granted = check_scopes(scopes)
        owner = self.ws.read(lambda con: users.get_user(con, owner_name))
        effective = {
            p for p in all_permissions()
            if scope_allows(granted, p) and role_allows(owner.role, p)
        }  # fmt: skip
        if not effective:
            raise InvalidSecurityRequest(
                f"the scopes grant nothing to {owner.name!r}, whose role is {owner.role}"
            )
        beyond = sorted(p for p in effective if not actor.can(p))
        if beyond:
            raise Forbidden(f"cannot grant what you do not hold: {', '.join(beyond)}")
        settings = self.ws.settings
        days = settings.token_default_days if expires_days is None else expires_days
        if not 0 < days <= settings.token_max_days:
            raise InvalidSecurityRequest(
                f"a token expires after more than 0 and at most {settings.token_max_days} days"
            )
        now = _now()
        return self._issue(
            owner, "api", name, sorted(granted), now, now + timedelta(days=days), actor.name
        )

    def _issue(
        self,
        owner: users.User,
        kind: str,
        name: str,
        scopes: list[str],
        now: datetime,
        expires: datetime,
        created_by: str,
    ) -> dict[str, Any]:
        token_id, token = tokens.new_token()
        self.ws.write(lambda con: tokens.insert_token(
            con, token_id=token_id, token=token, user_id=owner.user_id, kind=kind, name=name,
            scopes=scopes, now=now, expires_at=expires, created_by=created_by))  # fmt: skip
        record = self.ws.read(lambda con: tokens.get_token(con, token_id))
        return {**record.to_json(now), "token": token}

    def list_tokens(
        self, actor: Principal, user: str | None = None, include_inactive: bool = False
    ) -> list[dict[str, Any]]:
        """The caller's own tokens; an admin may list anyone's (`user`) or everyone's."""
        if user is None and not actor.can("users:read"):
            user = actor.name
        if user is not None and not _is_self(actor, user) and not actor.can("users:read"):
            raise Forbidden("only an admin lists other users' tokens")
        user_id = self.ws.read(lambda con: users.get_user(con, user)).user_id if user else None
        now = _now()
        records = self.ws.read(lambda con: tokens.list_tokens(con, user_id))
        shown = [r.to_json(now) for r in records]
        return shown if include_inactive else [t for t in shown if t["status"] == "active"]

    def get_token(self, actor: Principal, token_id: str) -> dict[str, Any]:
        return self._visible(actor, token_id).to_json(_now())

    def revoke_token(self, actor: Principal, token_id: str) -> dict[str, Any]:
        self._visible(actor, token_id, managing=True)
        now = _now()
        return self.ws.write(lambda con: tokens.revoke(con, token_id, now)).to_json(now)

    def _visible(
        self, actor: Principal, token_id: str, managing: bool = False
    ) -> tokens.TokenRecord:
        """A token the caller may see (or manage); others' tokens are 'not found', so ids
        cannot be probed."""
        try:
            record = self.ws.read(lambda con: tokens.get_token(con, token_id))
        except TokenNotFound:
            record = None
        needed = "users:write" if managing else "users:read"
        if record is None or (not _is_self(actor, record.user) and not actor.can(needed)):
            raise TokenNotFound(f"no token {token_id!r}")
        return record

    # resolving a presented token -------------------------------------------
    def principal_for_token(self, token: str) -> Principal | None:
        """The principal a bearer token stands for, or None (unknown, expired, revoked,
        owner disabled)."""
        if tokens.token_id_of(token) is None:
            return None
        record = self.ws.read(lambda con: tokens.verify(con, token))
        now = _now()
        if record is None or record.user_disabled or record.status(now) != "active":
            return None
        self._note_use(record.token_id, now)
        return Principal(
            kind="user" if record.kind == "session" else "token", name=record.user,
            role=record.role, scopes=frozenset(record.scopes), token_id=record.token_id,
        )  # fmt: skip

    def _note_use(self, token_id: str, now: datetime) -> None:
        """Record `last_used_at` at most once a minute per token, without waiting for it."""
        with _TOUCH_LOCK:
            if not hasattr(self, "_touched"):
                self._touched = {}
            last = self._touched.get(token_id)
            if last is not None and now - last < _TOUCH_EVERY:
                return
            self._touched[token_id] = now
        # A busy writer skips this bookkeeping; a later use records it.
        with contextlib.suppress(WriterSaturated, WriterStopped):
            self.ws.writer.call(lambda con: tokens.touch(con, {token_id: now}))


def _is_self(actor: Principal, user: str) -> bool:
    return actor.kind in _PEOPLE and actor.name == user
