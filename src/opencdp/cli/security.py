"""`opencdp users ...` and `opencdp tokens ...`: people, their roles and their API tokens.

Without a server these act on the data directory as the `cli` principal (an admin: whoever
can open the database file holds everything anyway); with one, through its admin API with
the data directory's admin token.
"""

from __future__ import annotations

import sys

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.security.principal import bootstrap_admin
from opencdp.security.roles import ROLES

CLI = bootstrap_admin("cli")


def _password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    entered: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return entered


@click.group()
def users() -> None:
    """People who log in to the admin API, each with one role (see docs/security.md)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="No password yet: the user cannot log in.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def add_user(
    ctx: click.Context, name: str, role: str, password_stdin: bool, no_password: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Create user NAME with a role and (asked for) a password."""
    password = None if no_password else _password(password_stdin, "Password")
    with open_backend(settings_from(ctx)) as backend:
        user = backend.create_user(name, role, password)
    emit(user, as_json, f"{user['name']}: {user['role']} ({user['user_id']})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_users(ctx: click.Context, as_json: bool) -> None:
    """Every user with role and status."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_users()
    text = "\n".join(
        f"{u['name']}\t{u['role']}\t{'disabled' if u['disabled'] else 'enabled'}" for u in found
    )
    emit(found, as_json, text or "no users")


@users.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def disable_user(ctx: click.Context, name: str, as_json: bool) -> None:
    """Stop NAME from logging in; their tokens stop working too."""
    with open_backend(settings_from(ctx)) as backend:
        user = backend.update_user(name, disabled=True)
    emit(user, as_json, f"{user['name']}: disabled")


@users.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def enable_user(ctx: click.Context, name: str, as_json: bool) -> None:
    """Let a disabled user log in again (their unexpired tokens work again)."""
    with open_backend(settings_from(ctx)) as backend:
        user = backend.update_user(name, disabled=False)
    emit(user, as_json, f"{user['name']}: enabled")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def set_role(ctx: click.Context, name: str, role: str, as_json: bool) -> None:
    """Change NAME's role; it applies to their existing tokens at once."""
    with open_backend(settings_from(ctx)) as backend:
        user = backend.update_user(name, role=role)
    emit(user, as_json, f"{user['name']}: {user['role']}")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def passwd(ctx: click.Context, name: str, password_stdin: bool, as_json: bool) -> None:
    """Set NAME's password; their sessions and API tokens are revoked with it."""
    password = _password(password_stdin, "New password")
    with open_backend(settings_from(ctx)) as backend:
        user = backend.set_password(name, password)
    revoked = user.get("revoked_tokens", 0)
    emit(user, as_json, f"{user['name']}: password changed, {revoked} sessions/tokens revoked")


@click.group()
def tokens() -> None:
    """API tokens: scoped, expiring, shown once, revocable."""


@tokens.command("create")
@click.option("--user", "user", required=True, help="The user the token acts as.")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="e.g. profiles:read, segments:write, segments:*, * (repeatable).")
@click.option("--name", "label", default="cli", show_default=True, help="What it is for.")
@click.option("--expires-days", type=float, help="Default: the token_default_days setting.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def create_token(
    ctx: click.Context, user: str, scopes: tuple[str, ...], label: str,
    expires_days: float | None, as_json: bool,
) -> None:  # fmt: skip
    """Create a token for USER; the secret is printed this once only."""
    with open_backend(settings_from(ctx)) as backend:
        issued = backend.create_token(CLI, label, list(scopes), expires_days, user)
    emit(issued, as_json, f"{issued['token']}\n"
         f"  id {issued['token_id']}, {', '.join(issued['scopes'])}, expires "
         f"{issued['expires_at']}\n  Keep it now: it is stored only hashed and cannot be "
         "shown again.")  # fmt: skip


@tokens.command("list")
@click.option("--user", "user", help="Only this user's tokens.")
@click.option("--all", "include_inactive", is_flag=True, help="Include expired and revoked.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_tokens(
    ctx: click.Context, user: str | None, include_inactive: bool, as_json: bool
) -> None:
    """Tokens with owner, scopes, expiry and last use (never the secrets)."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_tokens(CLI, user, include_inactive)
    text = "\n".join(
        f"{t['token_id']}\t{t['user']}\t{t['kind']}\t{t['status']}\t{','.join(t['scopes'])}"
        f"\texpires {t['expires_at']}\tlast used {t['last_used_at'] or 'never'}"
        for t in found
    )
    emit(found, as_json, text or "no tokens")


@tokens.command("revoke")
@click.argument("token_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def revoke_token(ctx: click.Context, token_id: str, as_json: bool) -> None:
    """Revoke token TOKEN_ID (from `tokens list`) at once."""
    with open_backend(settings_from(ctx)) as backend:
        revoked = backend.revoke_token(CLI, token_id)
    emit(revoked, as_json, f"{revoked['token_id']}: {revoked['status']}")
